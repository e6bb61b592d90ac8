/**
 * A webhook is an http(s) URL and nothing else: `file:`, `data:` or a bare word would make the
 * worker read or send somewhere no receiver listens. The URL itself is often a secret (a token in
 * its path or query), so no message here repeats it.
 */
export function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'the webhook is not a URL: give an http:// or https:// address';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    return `the webhook must be an http:// or https:// address, not ${parsed.protocol}`;
  if (parsed.username || parsed.password) return 'the webhook must not carry a user name or password in the URL';
  return undefined;
}
