/** The parts of a Gemini error body that decide what to do; see gemini-wire.md "Errors". */
export interface GeminiErrorBody {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
}

/** The SDK's ApiError carries the HTTP status and the JSON body as its message; parse it. */
export function parseErrorBody(message: string): GeminiErrorBody {
  const start = message.indexOf('{');
  if (start < 0) return { message };
  try {
    const parsed = JSON.parse(message.slice(start)) as { error?: GeminiErrorBody };
    return parsed.error ?? { message };
  } catch {
    return { message };
  }
}

export function detailOfType(body: GeminiErrorBody, typeSuffix: string): Record<string, unknown> | undefined {
  return body.details?.find((d) => typeof d['@type'] === 'string' && (d['@type'] as string).endsWith(typeSuffix));
}

/** "26s" or "1.5s" → milliseconds. */
export function parseDurationMs(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)s$/.exec(text.trim());
  return m ? Math.ceil(Number(m[1]) * 1000) : undefined;
}

export function quotaIds(body: GeminiErrorBody): string[] {
  const failure = detailOfType(body, 'google.rpc.QuotaFailure');
  const violations = (failure?.violations as Array<{ quotaId?: string }> | undefined) ?? [];
  return violations.map((v) => v.quotaId ?? '').filter(Boolean);
}

export function errorInfoReason(body: GeminiErrorBody): string | undefined {
  const info = detailOfType(body, 'google.rpc.ErrorInfo');
  return typeof info?.reason === 'string' ? info.reason : undefined;
}
