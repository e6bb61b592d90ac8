/**
 * Best effort to keep what a truncated (MAX_TOKENS) JSON answer already said: cut back to the
 * last complete value and close the open strings, arrays and objects. Returns undefined when
 * nothing usable is left.
 */
export function repairTruncatedJson(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    // repair below
  }
  // Each open container, and for objects whether the next string is a key.
  const stack: Array<{ closer: '}' | ']'; expectKey: boolean }> = [];
  const closers = () =>
    stack
      .map((f) => f.closer)
      .reverse()
      .join('');
  let cut: { end: number; closers: string } | undefined;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    const top = stack[stack.length - 1];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') {
        inString = false;
        const wasKey = top?.closer === '}' && top.expectKey;
        if (!wasKey) cut = { end: i + 1, closers: closers() };
      }
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{') stack.push({ closer: '}', expectKey: true });
    else if (c === '[') stack.push({ closer: ']', expectKey: false });
    else if (c === ':' && top) top.expectKey = false;
    else if (c === ',') {
      if (top?.closer === '}') top.expectKey = true;
      cut = { end: i, closers: closers() };
    } else if (c === '}' || c === ']') {
      stack.pop();
      cut = { end: i + 1, closers: closers() };
    }
  }
  if (!cut) return undefined;
  try {
    return JSON.parse(trimmed.slice(0, cut.end) + cut.closers);
  } catch {
    return undefined;
  }
}

/**
 * Merges the structured answers for consecutive clips of one long video into one: lists are
 * concatenated in clip order, texts that differ are joined, nested objects merge field by field,
 * and the first clip's scalar values are kept.
 */
export function mergeClipOutputs(parts: unknown[]): unknown {
  const present = parts.filter((p) => p !== undefined && p !== null);
  let merged: unknown = present[0];
  for (const next of present.slice(1)) merged = mergeTwo(merged, next);
  return merged;
}

function mergeTwo(a: unknown, b: unknown): unknown {
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  if (typeof a === 'string' && typeof b === 'string') return a === b || !b ? a : !a ? b : `${a}\n\n${b}`;
  if (isPlainObject(a) && isPlainObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [k, v] of Object.entries(b)) out[k] = k in out ? mergeTwo(out[k], v) : v;
    return out;
  }
  return a ?? b;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  enum?: unknown[];
};

/**
 * A truncated answer, once repaired, usually lacks the fields the model had not reached yet, so
 * the template's schema refuses it and nothing could be kept. This completes it against the JSON
 * schema sent to Gemini: missing required fields get empty values, and a last array element that
 * was cut short is dropped when the array has enough without it.
 */
export function completeToSchema(value: unknown, schema: unknown): unknown {
  return complete(value, schema as JsonSchema).value;
}

function complete(value: unknown, schema: JsonSchema | undefined): { value: unknown; whole: boolean } {
  if (!schema) return { value, whole: true };
  if (schema.properties && isPlainObject(value)) {
    const out: Record<string, unknown> = { ...value };
    let whole = true;
    for (const [key, sub] of Object.entries(schema.properties)) {
      if (key in out) {
        const r = complete(out[key], sub);
        out[key] = r.value;
        whole &&= r.whole;
      } else if (schema.required?.includes(key)) {
        out[key] = emptyFor(sub);
        whole = false;
      }
    }
    return { value: out, whole };
  }
  if (schema.items && Array.isArray(value)) {
    const items = value.map((v) => complete(v, schema.items));
    const last = items[items.length - 1];
    if (last && !last.whole && items.length - 1 >= (schema.minItems ?? 0)) items.pop();
    const values = items.map((i) => i.value);
    while (values.length < (schema.minItems ?? 0)) values.push(emptyFor(schema.items));
    return { value: values, whole: items.every((i) => i.whole) };
  }
  return { value, whole: true };
}

function emptyFor(schema: JsonSchema): unknown {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('null')) return null;
  if (schema.enum?.length) return schema.enum[0];
  if (types.includes('object') || schema.properties) return complete({}, schema).value;
  if (types.includes('array')) return complete([], schema).value;
  if (types.includes('integer') || types.includes('number')) return schema.minimum ?? 0;
  if (types.includes('boolean')) return false;
  return '';
}

/**
 * Merged clip answers can hold more list items than the schema allows (five key points per clip,
 * five wanted in all). Keeps an evenly spread selection, so the list still spans the whole video
 * rather than only its first clips.
 */
export function fitListsToSchema(value: unknown, schema: unknown): unknown {
  const s = schema as JsonSchema | undefined;
  if (!s) return value;
  if (s.properties && isPlainObject(value)) {
    const out: Record<string, unknown> = { ...value };
    for (const [key, sub] of Object.entries(s.properties)) if (key in out) out[key] = fitListsToSchema(out[key], sub);
    return out;
  }
  if (Array.isArray(value)) {
    const items = value.map((v) => fitListsToSchema(v, s.items));
    const max = s.maxItems;
    if (max === undefined || items.length <= max) return items;
    if (max <= 0) return [];
    if (max === 1) return [items[0]];
    return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]);
  }
  return value;
}

/**
 * Text-only repair requests: the model gets its own answer back with what is wrong with it, and the
 * response schema as the request's schema; the video is not sent again (for a long video that is
 * nearly all of the bill).
 */
export const repairSystemInstruction =
  'You correct JSON answers so that they match the response schema. Keep their content and wording; change only what is needed. Answer with the corrected JSON only.';

/** For an answer that does not match the schema: the answer and the validation errors. */
export function schemaRepairPrompt(answer: string, errors: string): string {
  return [
    'This answer does not match the response schema.',
    '',
    'Validation errors:',
    errors,
    '',
    'Answer:',
    answer,
    '',
    'Return the whole answer, corrected, as JSON that matches the response schema.',
  ].join('\n');
}

/** For an answer cut off at the output limit: finish it from what it already says. */
export function completionPrompt(answer: string, limit: number): string {
  return [
    `This answer was cut off at ${limit} output tokens, before it was complete.`,
    '',
    'Answer so far:',
    answer,
    '',
    'Return the whole answer as JSON that matches the response schema: keep everything already written, finish the part that was cut, and give any missing fields short values drawn from what the answer already says.',
  ].join('\n');
}
