import { describeIssues } from './manifest';
import type { LoadedTemplate, ParseResult } from './types';

const MAX_ERROR = 500;

const clip = (text: string) => (text.length > MAX_ERROR ? `${text.slice(0, MAX_ERROR - 1)}…` : text);

/** Some models wrap JSON in a Markdown fence even when asked for JSON; that is not worth a retry. */
function unfence(text: string): string {
  const m = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/i.exec(text);
  return m ? m[1] : text;
}

/** The model's text as validated, normalised data, or one readable line (`path: problem; …`). */
export function parseModelOutput(template: LoadedTemplate, text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(unfence(text));
  } catch (err) {
    const hint = text.trim() === '' ? 'the answer is empty' : `not valid JSON (${(err as Error).message})`;
    return { ok: false, error: clip(hint) };
  }
  const parsed = template.schema.safeParse(json);
  if (!parsed.success)
    return {
      ok: false,
      error: clip(`does not match the template's schema: ${describeIssues(parsed.error).join('; ')}`),
    };
  return { ok: true, data: parsed.data };
}
