import Handlebars, { type HelperOptions } from 'handlebars';
import { oneLine, tableCell } from './escape';
import { clockLabel, timestampUrl, type LinkTarget } from './links';

/**
 * One isolated Handlebars environment for all templates, so nothing a template registers leaks
 * into another and no global Handlebars state is touched. Helpers get strings that were escaped
 * before rendering (see escape.ts) and return Markdown that is inserted as is (`noEscape`).
 */

/** Carried in Handlebars' `@data` so helpers can build links without the template passing the source. */
export const LINK_DATA_KEY = 'lessonForgeLink';

type Env = typeof Handlebars;

const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
};
// Handlebars passes its options object as the last argument; drop it from variadic helpers.
const args = (list: unknown[]): unknown[] => list.slice(0, -1);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

function linkTarget(options: HelperOptions): LinkTarget | undefined {
  return (options.data as Record<string, unknown> | undefined)?.[LINK_DATA_KEY] as LinkTarget | undefined;
}

function longLabels(target: LinkTarget | undefined, seconds: number): boolean {
  return seconds >= 3600 || (target?.durationSeconds ?? 0) >= 3600;
}

/**
 * `{{timestamp 83}}` → `[01:23](…&t=83s)`; `brackets=true` shows `[01:23]` as the link text
 * (transcripts); `end=95` makes it a range `[01:23–01:35](…)` that opens at the start.
 */
function timestamp(seconds: unknown, options: HelperOptions): string {
  const s = num(seconds);
  if (s === undefined || s < 0) return '';
  const target = linkTarget(options);
  const end = num(options.hash.end);
  const long = longLabels(target, Math.max(s, end ?? 0));
  let label = clockLabel(s, long);
  if (end !== undefined && end > s) label += `–${clockLabel(end, long)}`;
  if (options.hash.brackets === true) label = `\\[${label}\\]`;
  return target ? `[${label}](${timestampUrl(target, s)})` : label;
}

export const HELPER_NAMES = [
  'timestamp',
  'duration',
  'join',
  'list',
  'oneline',
  'cell',
  'quote',
  'letter',
  'length',
  'default',
  'eq',
  'ne',
  'lt',
  'gt',
  'and',
  'or',
  'not',
  'inc',
  'upper',
] as const;
export const BUILTIN_HELPERS = ['if', 'unless', 'each', 'with', 'lookup', 'log'] as const;

const helpers: Record<(typeof HELPER_NAMES)[number], Handlebars.HelperDelegate> = {
  timestamp,
  duration: (seconds: unknown, options: HelperOptions) => {
    const s = num(seconds);
    return s === undefined ? '' : clockLabel(s, longLabels(linkTarget(options), s));
  },
  join: (list: unknown, ...rest: unknown[]) => {
    const sep = args(rest)[0];
    return Array.isArray(list) ? list.map(str).join(typeof sep === 'string' ? sep : ', ') : str(list);
  },
  /** A Markdown bullet list, one line per item. */
  list: (items: unknown) => (Array.isArray(items) ? items.map((i) => `- ${oneLine(str(i))}`).join('\n') : ''),
  oneline: (text: unknown) => oneLine(str(text)),
  cell: (text: unknown) => tableCell(str(text)),
  /** Prefixes every line with `> `, for blockquotes and callouts. */
  quote: (text: unknown) =>
    str(text)
      .split('\n')
      .map((line) => (line ? `> ${line}` : '>'))
      .join('\n'),
  /** 0 → A, 1 → B: answer choices. */
  letter: (index: unknown) => {
    const i = num(index);
    return i === undefined || i < 0 ? '' : String.fromCharCode(65 + (i % 26));
  },
  length: (v: unknown) => (Array.isArray(v) ? v.length : typeof v === 'string' ? v.length : 0),
  default: (value: unknown, fallback: unknown) =>
    value === undefined || value === null || value === '' ? fallback : value,
  eq: (a: unknown, b: unknown) => a === b,
  ne: (a: unknown, b: unknown) => a !== b,
  lt: (a: unknown, b: unknown) => (num(a) ?? NaN) < (num(b) ?? NaN),
  gt: (a: unknown, b: unknown) => (num(a) ?? NaN) > (num(b) ?? NaN),
  and: (...rest: unknown[]) => args(rest).every(Boolean),
  or: (...rest: unknown[]) => args(rest).some(Boolean),
  not: (v: unknown) => !v || (Array.isArray(v) && v.length === 0),
  inc: (v: unknown) => (num(v) ?? 0) + 1,
  upper: (v: unknown) => str(v).toUpperCase(),
};

export function createEnvironment(): Env {
  const env = Handlebars.create();
  for (const [name, fn] of Object.entries(helpers)) env.registerHelper(name, fn);
  return env;
}

/** Compile options shared by prompts and outputs: values are pre-escaped for outputs and plain text for prompts. */
export const COMPILE_OPTIONS: CompileOptions = { noEscape: true, strict: false, preventIndent: true };
