/**
 * A generic, deterministic fake for structured output: given a JSON schema (or Gemini's
 * OpenAPI-style `responseSchema`), produce a value that validates against it, plus a small
 * validator for the same subset. Supported: type (incl. arrays with "null" and upper-case Gemini
 * types), nullable, const, enum, properties/required/additionalProperties/propertyOrdering,
 * items/prefixItems/minItems/maxItems/uniqueItems, minLength/maxLength/pattern/format, minimum/maximum/
 * exclusiveMinimum/exclusiveMaximum/multipleOf, anyOf/oneOf/allOf, $ref into $defs/definitions.
 *
 * Numbers whose property name (or description) suggests seconds or a timestamp stay inside the
 * video's time range; array items split the range so such timestamps increase along an array.
 */
import { formatClock, Writer } from './text-fake';
import { isRecord, Rng } from './util';

type Schema = Record<string, unknown>;

export interface FakeContext {
  /** Seed: same seed, same value. */
  seed: string;
  /** Title of the video, mentioned by generated sentences. */
  title: string;
  /** Time range timestamps must stay within, in seconds. */
  range: { start: number; end: number };
  videoUrl?: string;
}

interface Hint {
  name?: string;
  words: string[];
  range: { start: number; end: number };
}

const maxDepth = 12;

function wordsOf(name: string | undefined, description?: unknown): string[] {
  const parts: string[] = [];
  if (name) {
    parts.push(
      ...name
        .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
        .split(/[^A-Za-z0-9]+/)
        .map((w) => w.toLowerCase())
        .filter(Boolean),
    );
  }
  if (typeof description === 'string' && /\b(seconds?|timestamps?)\b/i.test(description)) parts.push('seconds');
  return parts;
}

const timeWords = new Set([
  'start',
  'end',
  'begin',
  'beginning',
  'stop',
  'finish',
  'time',
  'timestamp',
  'timestamps',
  'ts',
  'offset',
  'second',
  'seconds',
  'sec',
  'secs',
  'at',
  'duration',
  'position',
  'timecode',
]);
const endWords = new Set(['end', 'stop', 'finish', 'until', 'ending']);
const startWords = new Set(['start', 'begin', 'beginning', 'from']);
const durationWords = new Set(['duration', 'length']);

function isTimeish(h: Hint): boolean {
  return h.words.some((w) => timeWords.has(w));
}

const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** Lower-case JSON types a schema allows (with "null" when nullable); empty when unconstrained. */
export function schemaTypes(s: Schema): string[] {
  let types: string[] = [];
  if (typeof s.type === 'string') types = [s.type.toLowerCase()];
  else if (Array.isArray(s.type))
    types = s.type.filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase());
  types = types.filter((t) => t !== 'type_unspecified');
  if (types.length === 0) {
    if (isRecord(s.properties)) types = ['object'];
    else if (s.items !== undefined || s.prefixItems !== undefined) types = ['array'];
    else if (Array.isArray(s.enum) && s.enum.length > 0) types = [...new Set(s.enum.map(jsonType))];
  }
  if (s.nullable === true && types.length > 0 && !types.includes('null')) types.push('null');
  return types;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (Number.isInteger(v)) return 'integer';
  return typeof v;
}

function deref(root: unknown, s: unknown, seen = 0): unknown {
  if (!isRecord(s) || typeof s.$ref !== 'string' || seen > 20) return s;
  const ref = s.$ref;
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const part of ref.slice(1).split('/').filter(Boolean)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isRecord(node) ? node[key] : undefined;
  }
  const { $ref: _ref, ...rest } = s;
  const target = deref(root, node, seen + 1);
  return isRecord(target) ? { ...target, ...rest } : rest;
}

function mergeAllOf(root: unknown, s: Schema): Schema {
  if (!Array.isArray(s.allOf)) return s;
  const { allOf, ...rest } = s;
  const merged: Schema = { ...rest };
  for (const part of allOf as unknown[]) {
    const p = deref(root, part);
    if (!isRecord(p)) continue;
    const inner = mergeAllOf(root, p);
    for (const [k, v] of Object.entries(inner)) {
      if (k === 'properties' && isRecord(v))
        merged.properties = { ...(isRecord(merged.properties) ? merged.properties : {}), ...v };
      else if (k === 'required' && Array.isArray(v))
        merged.required = [...new Set([...((merged.required as string[]) ?? []), ...v])];
      else if (!(k in merged)) merged[k] = v;
    }
  }
  return merged;
}

class Generator {
  private readonly w: Writer;

  constructor(
    private readonly root: unknown,
    private readonly ctx: FakeContext,
    private readonly rng: Rng,
  ) {
    this.w = new Writer(rng, ctx.title);
  }

  value(schemaIn: unknown, hint: Hint, depth: number): unknown {
    const resolved = deref(this.root, schemaIn);
    if (resolved === true || resolved === undefined) return this.string({}, hint);
    if (!isRecord(resolved)) return null;
    const s = mergeAllOf(this.root, resolved);
    if ('const' in s) return s.const;
    if (Array.isArray(s.enum) && s.enum.length > 0) {
      if (s.nullable === true && this.rng.chance(0.1)) return null;
      return this.rng.pick(s.enum);
    }
    const alternatives = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined) as
      unknown[] | undefined;
    if (alternatives && alternatives.length > 0) {
      const nonNull = alternatives.filter((a) => {
        const d = deref(this.root, a);
        return !(isRecord(d) && schemaTypes(d).every((t) => t === 'null') && schemaTypes(d).length > 0);
      });
      const allowsNull = nonNull.length < alternatives.length || s.nullable === true;
      if (nonNull.length === 0 || (allowsNull && this.rng.chance(0.15))) return null;
      const { anyOf: _a, oneOf: _o, ...base } = s;
      const pick = deref(this.root, this.rng.pick(nonNull));
      return this.value(isRecord(pick) ? { ...base, ...pick } : pick, hint, depth + 1);
    }
    let types = schemaTypes(s);
    if (types.includes('null')) {
      const others = types.filter((t) => t !== 'null');
      if (others.length === 0 || this.rng.chance(0.15)) return null;
      types = others;
    }
    const type = types.length > 0 ? this.rng.pick(types) : 'string';
    switch (type) {
      case 'object':
        return this.object(s, hint, depth);
      case 'array':
        return this.array(s, hint, depth);
      case 'integer':
        return this.number(s, hint, true);
      case 'number':
        return this.number(s, hint, false);
      case 'boolean':
        return this.rng.chance(0.5);
      default:
        return this.string(s, hint);
    }
  }

  private object(s: Schema, hint: Hint, depth: number): Record<string, unknown> {
    const props = isRecord(s.properties) ? s.properties : {};
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    const order = Array.isArray(s.propertyOrdering) ? (s.propertyOrdering as string[]).filter((k) => k in props) : [];
    const keys = [...order, ...Object.keys(props).filter((k) => !order.includes(k))];
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (!required.has(key) && (depth > 5 || !this.rng.chance(0.7))) continue;
      const child = deref(this.root, props[key]);
      out[key] = this.value(
        child,
        { name: key, words: wordsOf(key, isRecord(child) ? child.description : undefined), range: hint.range },
        depth + 1,
      );
    }
    if (keys.length === 0 && isRecord(s.additionalProperties) && depth <= 5) {
      for (let i = 1; i <= 2; i++)
        out[`item${i}`] = this.value(s.additionalProperties, { words: [], range: hint.range }, depth + 1);
    }
    this.orderStartEnd(out, props);
    return out;
  }

  /** Keeps a start-like number before an end-like one in the same object. */
  private orderStartEnd(out: Record<string, unknown>, props: Record<string, unknown>): void {
    const numeric = Object.keys(out).filter((k) => typeof out[k] === 'number');
    const starts = numeric.filter((k) => wordsOf(k).some((w) => startWords.has(w)));
    const ends = numeric.filter((k) => wordsOf(k).some((w) => endWords.has(w)));
    for (const a of starts) {
      for (const b of ends) {
        const va = out[a] as number;
        const vb = out[b] as number;
        if (va > vb) {
          const swapped = { ...out, [a]: vb, [b]: va };
          if (
            validateAgainstSchema(swapped[a], props[a], this.root).length === 0 &&
            validateAgainstSchema(swapped[b], props[b], this.root).length === 0
          ) {
            out[a] = vb;
            out[b] = va;
          }
        }
      }
    }
  }

  private array(s: Schema, hint: Hint, depth: number): unknown[] {
    if (Array.isArray(s.prefixItems)) {
      const { start, end } = hint.range;
      const n = s.prefixItems.length;
      return s.prefixItems.map((item, i) =>
        this.value(
          item,
          {
            name: hint.name,
            words: hint.words,
            range: { start: start + ((end - start) * i) / n, end: start + ((end - start) * (i + 1)) / n },
          },
          depth + 1,
        ),
      );
    }
    const minItems = num(s.minItems) ?? 0;
    const maxItems = num(s.maxItems);
    let count: number;
    if (depth > 5 || depth > maxDepth) count = minItems;
    else {
      let lo = Math.max(minItems, Math.min(2, maxItems ?? 2));
      let hi = maxItems ?? Math.max(lo, 4);
      if (hi - lo > 6) hi = lo + 6;
      if (lo > hi) lo = hi;
      count = this.rng.int(lo, hi);
    }
    const out: unknown[] = [];
    const { start, end } = hint.range;
    const span = Math.max(0, end - start);
    const seen = new Set<string>();
    for (let i = 0; i < count; i++) {
      const range = {
        start: start + (span * i) / Math.max(1, count),
        end: start + (span * (i + 1)) / Math.max(1, count),
      };
      let item: unknown;
      for (let attempt = 0; attempt < 6; attempt++) {
        item = this.value(s.items, { name: hint.name, words: hint.words, range }, depth + 1);
        if (s.uniqueItems !== true || !seen.has(JSON.stringify(item))) break;
      }
      seen.add(JSON.stringify(item));
      out.push(item);
    }
    return out;
  }

  private bounds(s: Schema, integer: boolean): { lo?: number; hi?: number; step: number } {
    const step = integer ? 1 : 0.01;
    let lo = num(s.minimum);
    let hi = num(s.maximum);
    const exMin =
      typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : s.exclusiveMinimum === true ? lo : undefined;
    const exMax =
      typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : s.exclusiveMaximum === true ? hi : undefined;
    if (exMin !== undefined) lo = Math.max(lo ?? -Infinity, exMin + step);
    if (exMax !== undefined) hi = Math.min(hi ?? Infinity, exMax - step);
    return { lo, hi, step };
  }

  private number(s: Schema, hint: Hint, integer: boolean): number {
    const b = this.bounds(s, integer);
    let lo: number;
    let hi: number;
    if (isTimeish(hint)) {
      const scale = hint.words.some((w) => w === 'minute' || w === 'minutes' || w === 'min' || w === 'mins')
        ? 1 / 60
        : hint.words.some((w) => w === 'ms' || w === 'millis' || w === 'milliseconds')
          ? 1000
          : 1;
      const { start, end } = hint.range;
      const span = Math.max(0, end - start);
      let target: number;
      if (hint.words.some((w) => durationWords.has(w))) target = this.rng.float(span * 0.5, span);
      else if (hint.words.some((w) => endWords.has(w))) target = end - this.rng.float(0, span * 0.1);
      else if (hint.words.some((w) => startWords.has(w))) target = start + this.rng.float(0, span * 0.1);
      else target = this.rng.float(start, end);
      const isDuration = hint.words.some((w) => durationWords.has(w));
      lo = (isDuration ? 0 : this.ctx.range.start) * scale;
      hi = (isDuration ? this.ctx.range.end - this.ctx.range.start : this.ctx.range.end) * scale;
      lo = Math.max(lo, b.lo ?? -Infinity);
      hi = Math.min(hi, b.hi ?? Infinity);
      if (lo > hi) {
        lo = b.lo ?? hi;
        hi = b.hi ?? lo;
      }
      return this.fit(target * scale, lo, hi, integer, s);
    }
    lo = b.lo ?? (b.hi !== undefined ? Math.min(0, b.hi - 10) : 0);
    hi = b.hi ?? lo + (integer ? 10 : 100);
    if (hi - lo > 1_000_000) hi = lo + 100;
    if (b.lo === undefined && b.hi === undefined) {
      if (hint.words.some((w) => w === 'confidence' || w === 'probability')) [lo, hi] = [0, 1];
      else if (hint.words.some((w) => w === 'rating' || w === 'score')) [lo, hi] = [1, 5];
      else if (hint.words.some((w) => w === 'percent' || w === 'percentage')) [lo, hi] = [0, 100];
      else if (integer) [lo, hi] = [1, 12];
    }
    return this.fit(this.rng.float(lo, hi), lo, hi, integer, s);
  }

  private fit(value: number, lo: number, hi: number, integer: boolean, s: Schema): number {
    const multipleOf = num(s.multipleOf);
    let v = Math.min(hi, Math.max(lo, value));
    if (multipleOf && multipleOf > 0) {
      v = Math.round(v / multipleOf) * multipleOf;
      if (v < lo) v += multipleOf;
      if (v > hi) v -= multipleOf;
      return integer ? Math.round(v) : Number(v.toFixed(10));
    }
    if (integer) {
      const r = Math.round(v);
      if (r >= lo && r <= hi) return r;
      return Math.ceil(lo) <= hi ? Math.ceil(lo) : Math.floor(hi);
    }
    const r = Math.round(v * 10) / 10;
    return r >= lo && r <= hi ? r : v;
  }

  private timeString(hint: Hint): string {
    const { start, end } = hint.range;
    const span = Math.max(0, end - start);
    if (hint.words.some((w) => endWords.has(w))) return formatClock(end - this.rng.float(0, span * 0.1));
    if (hint.words.some((w) => startWords.has(w))) return formatClock(start + this.rng.float(0, span * 0.1));
    return formatClock(this.rng.float(start, end));
  }

  private byFormat(format: string, hint: Hint): string | undefined {
    const day = this.rng.int(1, 28);
    const iso = `2026-0${this.rng.int(1, 9)}-${String(day).padStart(2, '0')}`;
    switch (format) {
      case 'date-time':
        return `${iso}T${String(this.rng.int(0, 23)).padStart(2, '0')}:${String(this.rng.int(0, 59)).padStart(2, '0')}:00Z`;
      case 'date':
        return iso;
      case 'time':
        return `${String(this.rng.int(0, 23)).padStart(2, '0')}:${String(this.rng.int(0, 59)).padStart(2, '0')}:00`;
      case 'duration':
        return `PT${Math.max(1, Math.round(hint.range.end - hint.range.start))}S`;
      case 'email':
        return 'instructor@example.com';
      case 'uri':
      case 'url':
        return this.ctx.videoUrl ?? `https://example.com/lessons/${this.w.slug()}`;
      case 'uuid': {
        const hex = () => Math.floor(this.rng.next() * 16).toString(16);
        const part = (n: number) => Array.from({ length: n }, hex).join('');
        return `${part(8)}-${part(4)}-4${part(3)}-${'89ab'[this.rng.int(0, 3)]}${part(3)}-${part(12)}`;
      }
      default:
        return undefined;
    }
  }

  private byName(hint: Hint): string {
    const has = (...ws: string[]) => hint.words.some((w) => ws.includes(w));
    if (isTimeish(hint) && !has('title', 'name', 'label', 'description', 'summary')) return this.timeString(hint);
    if (has('title', 'heading', 'headline', 'name', 'label', 'topic', 'subject')) return this.w.heading();
    if (
      has(
        'summary',
        'overview',
        'description',
        'abstract',
        'synopsis',
        'context',
        'notes',
        'content',
        'body',
        'markdown',
      )
    ) {
      return this.w.paragraph(2);
    }
    if (has('question', 'prompt', 'quiz')) return this.w.question();
    if (has('objective', 'objectives', 'goal', 'goals', 'outcome', 'outcomes')) return this.w.objective();
    if (has('transcript', 'quote', 'speech', 'caption', 'utterance', 'line', 'dialogue')) return this.w.spoken();
    if (has('speaker', 'presenter', 'instructor', 'teacher')) return 'Instructor';
    if (has('language', 'lang', 'locale')) return 'en';
    if (has('url', 'link', 'uri', 'href')) return this.ctx.videoUrl ?? `https://example.com/lessons/${this.w.slug()}`;
    if (has('id', 'slug', 'key', 'code')) return this.w.slug();
    if (has('level', 'difficulty')) return this.rng.pick(['beginner', 'intermediate', 'advanced']);
    return this.w.sentence();
  }

  private string(s: Schema, hint: Hint): string {
    let text = (typeof s.format === 'string' ? this.byFormat(s.format, hint) : undefined) ?? this.byName(hint);
    if (typeof s.pattern === 'string') text = this.matchPattern(s.pattern, text, hint);
    const minLength = num(s.minLength);
    const maxLength = num(s.maxLength);
    if (minLength !== undefined && [...text].length < minLength) {
      while ([...text].length < minLength) text += ` ${this.w.sentence()}`;
    }
    if (maxLength !== undefined && [...text].length > maxLength)
      text = [...text].slice(0, maxLength).join('').trimEnd();
    if (minLength !== undefined && [...text].length < minLength) text = text.padEnd(minLength, '.');
    return text;
  }

  private matchPattern(pattern: string, preferred: string, hint: Hint): string {
    let re: RegExp;
    try {
      re = new RegExp(pattern, 'u');
    } catch {
      return preferred;
    }
    const t = this.rng.float(hint.range.start, hint.range.end);
    const clock = formatClock(t);
    const candidates = [
      preferred,
      clock,
      `${String(Math.floor(t / 3600)).padStart(2, '0')}:${formatClock(t % 3600)}`,
      `[${clock}]`,
      String(Math.round(t)),
      this.w.slug(),
      this.w.heading(),
      this.byFormat('date-time', hint) as string,
      this.byFormat('date', hint) as string,
      this.byFormat('uuid', hint) as string,
      'A',
      'a',
      '0',
    ];
    return candidates.find((c) => re.test(c)) ?? preferred;
  }
}

/** A value that validates against `schema`, deterministic for a given context. */
export function fakeFromSchema(schema: unknown, ctx: FakeContext): unknown {
  const rng = new Rng(ctx.seed);
  return new Generator(schema, ctx, rng).value(schema, { words: [], range: ctx.range }, 0);
}

/** A JSON value that does NOT validate against `schema` (when the schema rejects anything at all). */
export function mismatchFromSchema(schema: unknown, ctx: FakeContext): unknown {
  const good = fakeFromSchema(schema, ctx);
  const candidates: unknown[] = [];
  if (isRecord(good)) {
    const s = deref(schema, schema);
    const required = isRecord(s) && Array.isArray(s.required) ? (s.required as string[]) : [];
    if (required.length > 0) {
      const { [required[0]]: _dropped, ...rest } = good;
      candidates.push(rest);
    }
    const first = Object.keys(good)[0];
    if (first !== undefined)
      candidates.push({ ...good, [first]: typeof good[first] === 'number' ? 'not a number' : 12345 });
    candidates.push([`${ctx.title}`]);
  } else if (Array.isArray(good)) {
    candidates.push({ note: `A summary of ${ctx.title}` });
  } else if (typeof good === 'string') {
    candidates.push(12345);
  } else {
    candidates.push(`A summary of ${ctx.title}`);
  }
  candidates.push({ unexpected: true }, 'unexpected', 0, false, []);
  return candidates.find((c) => validateAgainstSchema(c, schema).length > 0) ?? good;
}

function typeMatches(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isRecord(value);
    default:
      return true;
  }
}

/** Validation errors of `value` against `schema` (same subset as the generator); [] when valid. */
export function validateAgainstSchema(value: unknown, schema: unknown, root: unknown = schema): string[] {
  const errors: string[] = [];
  check(value, schema, root, '$', errors);
  return errors;
}

function check(value: unknown, schemaIn: unknown, root: unknown, path: string, errors: string[]): void {
  const resolved = deref(root, schemaIn);
  if (resolved === false) {
    errors.push(`${path}: no value is allowed`);
    return;
  }
  if (!isRecord(resolved)) return;
  const s = mergeAllOf(root, resolved);
  if (value === null && s.nullable === true) return;
  if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(value))
    errors.push(`${path}: must equal ${JSON.stringify(s.const)}`);
  if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    errors.push(`${path}: must be one of ${JSON.stringify(s.enum)}`);
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const alts = s[key];
    if (!Array.isArray(alts)) continue;
    const passing = alts.filter((a) => validateAgainstSchema(value, a, root).length === 0).length;
    if (passing === 0 || (key === 'oneOf' && passing > 1))
      errors.push(`${path}: must match ${key === 'oneOf' ? 'exactly one' : 'at least one'} alternative of ${key}`);
  }
  const types = schemaTypes(s);
  if (
    types.length > 0 &&
    !types.some((t) => typeMatches(value, t) || (t === 'number' && typeMatches(value, 'integer')))
  ) {
    errors.push(`${path}: must be ${types.join(' or ')}, got ${jsonType(value)}`);
    return;
  }
  if (isRecord(value)) checkObject(value, s, root, path, errors);
  else if (Array.isArray(value)) checkArray(value, s, root, path, errors);
  else if (typeof value === 'string') checkString(value, s, path, errors);
  else if (typeof value === 'number') checkNumber(value, s, path, errors);
}

function checkObject(value: Record<string, unknown>, s: Schema, root: unknown, path: string, errors: string[]): void {
  const props = isRecord(s.properties) ? s.properties : {};
  if (Array.isArray(s.required)) {
    for (const k of s.required as string[]) if (!(k in value)) errors.push(`${path}: missing required property "${k}"`);
  }
  for (const [k, v] of Object.entries(value)) {
    if (k in props) check(v, props[k], root, `${path}.${k}`, errors);
    else if (s.additionalProperties === false) errors.push(`${path}: unexpected property "${k}"`);
    else if (isRecord(s.additionalProperties)) check(v, s.additionalProperties, root, `${path}.${k}`, errors);
  }
}

function checkArray(value: unknown[], s: Schema, root: unknown, path: string, errors: string[]): void {
  const minItems = num(s.minItems);
  const maxItems = num(s.maxItems);
  if (minItems !== undefined && value.length < minItems) errors.push(`${path}: needs at least ${minItems} items`);
  if (maxItems !== undefined && value.length > maxItems) errors.push(`${path}: allows at most ${maxItems} items`);
  if (s.uniqueItems === true && new Set(value.map((v) => JSON.stringify(v))).size !== value.length)
    errors.push(`${path}: items must be unique`);
  const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : [];
  value.forEach((v, i) => {
    if (i < prefix.length) check(v, prefix[i], root, `${path}[${i}]`, errors);
    else if (s.items !== undefined) check(v, s.items, root, `${path}[${i}]`, errors);
  });
}

function checkString(value: string, s: Schema, path: string, errors: string[]): void {
  const length = [...value].length;
  const minLength = num(s.minLength);
  const maxLength = num(s.maxLength);
  if (minLength !== undefined && length < minLength) errors.push(`${path}: shorter than ${minLength}`);
  if (maxLength !== undefined && length > maxLength) errors.push(`${path}: longer than ${maxLength}`);
  if (typeof s.pattern === 'string') {
    try {
      if (!new RegExp(s.pattern, 'u').test(value)) errors.push(`${path}: does not match ${s.pattern}`);
    } catch {
      // An invalid pattern constrains nothing here.
    }
  }
}

function checkNumber(value: number, s: Schema, path: string, errors: string[]): void {
  const min = num(s.minimum);
  const max = num(s.maximum);
  if (min !== undefined && value < min) errors.push(`${path}: below minimum ${min}`);
  if (max !== undefined && value > max) errors.push(`${path}: above maximum ${max}`);
  const exMin =
    typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum : s.exclusiveMinimum === true ? min : undefined;
  const exMax =
    typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum : s.exclusiveMaximum === true ? max : undefined;
  if (exMin !== undefined && value <= exMin) errors.push(`${path}: must be above ${exMin}`);
  if (exMax !== undefined && value >= exMax) errors.push(`${path}: must be below ${exMax}`);
  const multipleOf = num(s.multipleOf);
  if (multipleOf && Math.abs(value / multipleOf - Math.round(value / multipleOf)) > 1e-9)
    errors.push(`${path}: not a multiple of ${multipleOf}`);
}
