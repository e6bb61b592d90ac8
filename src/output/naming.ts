import path from 'node:path';

/**
 * Output file names come from video titles (file names, YouTube titles) and a user pattern. They
 * must be valid on Windows, macOS and Linux, and must never point outside the output folder.
 * Pure functions: no file system access.
 */

export const DEFAULT_OUTPUT_PATTERN = '{template}/{name}.md';
export const MAX_NAME_BYTES = 120;
const MAX_SEGMENT_BYTES = 255;
const PATTERN_VARIABLES = ['template', 'name', 'date', 'key', 'batch'] as const;
type PatternVariable = (typeof PATTERN_VARIABLES)[number];

// C0/C1 controls (NUL included) and the characters Windows forbids in names.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/\\:*?"<>|]/g;
// Bidirectional overrides can disguise an extension (`evil\u202Egpj.md`).
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])$/i;
const EXTENSION = /\.[A-Za-z0-9]{1,10}$/;

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

/** Cuts to at most `maxBytes` of UTF-8 without splitting a character (or an emoji/accent cluster). */
export function truncateUtf8(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const { segment } of new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)) {
    const size = utf8Length(segment);
    if (used + size > maxBytes) break;
    out += segment;
    used += size;
  }
  return out;
}

const trimEnds = (s: string) => s.replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');

/** Fits a name into `maxBytes`, shortening the part before a short extension rather than the extension. */
function fitName(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name;
  const ext = EXTENSION.exec(name)?.[0] ?? '';
  const stem = name.slice(0, name.length - ext.length);
  return `${trimEnds(truncateUtf8(stem, maxBytes - utf8Length(ext)))}${ext}`;
}

/** Windows refuses `CON`, `con.md`, `Lpt1.txt`…: whatever comes before the first dot counts. */
function avoidReserved(name: string): string {
  const dot = name.indexOf('.');
  const base = dot === -1 ? name : name.slice(0, dot);
  return RESERVED.test(base.trim()) ? `${base}_${dot === -1 ? '' : name.slice(dot)}` : name;
}

/**
 * One safe path segment from any text: Unicode kept (NFC), controls and `/ \ : * ? " < > |`
 * replaced by spaces, leading dots and trailing dots/spaces removed, reserved Windows names
 * suffixed with `_`, at most 120 bytes of UTF-8; `untitled` if nothing is left.
 */
export function sanitizeFileName(name: string): string {
  let s = String(name).normalize('NFC').replace(BIDI, '').replace(FORBIDDEN, ' ').replace(/\s+/g, ' ');
  s = trimEnds(s);
  s = trimEnds(fitName(s, MAX_NAME_BYTES));
  if (s === '') return 'untitled';
  return avoidReserved(s);
}

export interface OutputPatternVars {
  template: string;
  name: string;
  date: string;
  key: string;
  batch?: string;
}

export class OutputPatternError extends Error {
  override readonly name = 'OutputPatternError';
}

/** Checks a pattern on its own, so a bad setting is refused before any video is processed. */
export function checkOutputPattern(pattern: string): void {
  const fail = (why: string): never => {
    throw new OutputPatternError(
      `Output pattern ${JSON.stringify(pattern)} ${why}. Example: ${DEFAULT_OUTPUT_PATTERN}`,
    );
  };
  if (typeof pattern !== 'string' || pattern.trim() === '') fail('is empty');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(pattern)) fail('contains control characters');
  if (pattern.includes('\\')) fail('contains "\\"; separate folders with "/"');
  if (pattern.startsWith('/') || /^[A-Za-z]:/.test(pattern))
    fail('must be relative to the output folder, not an absolute path');
  const stripped = pattern.replace(/\{[^{}]*\}/g, 'x');
  if (/[{}]/.test(stripped)) fail('has an unmatched "{" or "}"');
  for (const m of pattern.matchAll(/\{([^{}]*)\}/g)) {
    if (!(PATTERN_VARIABLES as readonly string[]).includes(m[1])) {
      fail(`uses unknown variable {${m[1]}}; known: ${PATTERN_VARIABLES.map((v) => `{${v}}`).join(', ')}`);
    }
  }
  if (!/\{(name|key)\}/.test(pattern)) fail('must contain {name} or {key}, or every video would get the same file');
  for (const segment of pattern.split('/')) {
    if (segment === '') fail('has an empty folder name ("//" or a trailing "/")');
    if (segment.trim() === '.' || segment.trim() === '..') fail('must not contain "." or ".." folders');
    if (/[:*?"<>|]/.test(segment.replace(/\{[^{}]*\}/g, '')))
      fail('contains a character not allowed in file names (: * ? " < > |)');
  }
  if (!/\{(name|key)\}/.test(pattern.split('/').pop() ?? ''))
    fail('must have {name} or {key} in the file name (the part after the last "/")');
}

/**
 * The output path, relative to the output folder and always inside it, with `/` separators.
 * Each variable is sanitised as a file name; `{batch}` without a batch is empty (a folder made only
 * of it disappears). A file name without an extension gets `.md`.
 */
export function expandOutputPattern(pattern: string, vars: OutputPatternVars): string {
  checkOutputPattern(pattern);
  const value = (v: PatternVariable): string => {
    if (v === 'batch' && (vars.batch === undefined || vars.batch === '')) return '';
    return sanitizeFileName(vars[v] ?? '');
  };
  const segments = pattern
    .split('/')
    .map((segment) => segment.replace(/\{([a-z]+)\}/g, (_m, v: PatternVariable) => value(v)))
    .map((segment) => trimEnds(segment.normalize('NFC')))
    .filter((segment) => segment !== '');
  const last = segments.length - 1;
  if (!EXTENSION.test(segments[last])) segments[last] += '.md';
  const safe = segments.map((s) => avoidReserved(trimEnds(fitName(s, MAX_SEGMENT_BYTES))) || 'untitled');
  const rel = safe.join('/');
  // Belt and braces: by construction no segment is "..", but the promise matters more than the proof.
  if (path.posix.isAbsolute(rel) || rel.split('/').some((s) => s === '..' || s === '.')) {
    throw new OutputPatternError(`Output path ${JSON.stringify(rel)} would leave the output folder`);
  }
  return rel;
}

/** `lesson.md` → `lesson_1.md` (n = 1), `lesson_2.md`…; n = 0 returns the path unchanged. */
export function withCollisionSuffix(relPath: string, n: number): string {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`collision counter must be a whole number ≥ 0, got ${n}`);
  if (n === 0) return relPath;
  const slash = relPath.lastIndexOf('/');
  const dir = relPath.slice(0, slash + 1);
  const file = relPath.slice(slash + 1);
  const ext = EXTENSION.exec(file)?.[0] ?? '';
  const suffix = `_${n}`;
  const stem = truncateUtf8(file.slice(0, file.length - ext.length), MAX_SEGMENT_BYTES - utf8Length(suffix + ext));
  return `${dir}${stem}${suffix}${ext}`;
}

/** Absolute path of `relPath` inside `outputDir`; throws if it would land anywhere else. */
export function resolveInside(outputDir: string, relPath: string): string {
  const root = path.resolve(outputDir);
  const full = path.resolve(root, relPath);
  const back = path.relative(root, full);
  if (back === '' || back === '..' || back.startsWith(`..${path.sep}`) || path.isAbsolute(back)) {
    throw new OutputPatternError(`Output path ${JSON.stringify(relPath)} is not inside ${root}`);
  }
  return full;
}
