import type {
  CalendarSpecDescription,
  IntervalSpecDescription,
  ScheduleOverlapPolicy,
  ScheduleSpec,
  ScheduleSpecDescription,
} from '@temporalio/client';

/** Thrown for a schedule option a person must fix; the CLI maps it to a usage error. */
export class ScheduleSpecError extends Error {}

export interface SpecOptions {
  cron?: string;
  every?: string;
  timezone?: string;
}

export const overlapChoices = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'allow-all'] as const;
export type OverlapChoice = (typeof overlapChoices)[number];

const overlapPolicies: Record<OverlapChoice, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'allow-all': 'ALLOW_ALL',
};

export function overlapPolicyOf(choice: string | undefined): ScheduleOverlapPolicy {
  const key = (choice ?? 'skip').toLowerCase() as OverlapChoice;
  const policy = overlapPolicies[key];
  if (!policy) throw new ScheduleSpecError(`--overlap must be one of ${overlapChoices.join(', ')}, got "${choice}"`);
  return policy;
}

/** The CLI spelling of a server overlap policy ("BUFFER_ONE" → "buffer-one"). */
export function overlapChoiceOf(policy: ScheduleOverlapPolicy | undefined): string {
  return (policy ?? 'SKIP').toLowerCase().replace(/_/g, '-');
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "6h", "90m", "1h30m", "45s", "1d" → milliseconds. */
export function parseEvery(text: string): number {
  const compact = text.trim().toLowerCase().replace(/\s+/g, '');
  if (!/^(\d+(ms|s|m|h|d))+$/.test(compact)) {
    throw new ScheduleSpecError(`--every must be a duration such as 30s, 15m, 6h, 1d or 1h30m, got "${text}"`);
  }
  let ms = 0;
  for (const [, n, unit] of compact.matchAll(/(\d+)(ms|s|m|h|d)/g)) ms += Number(n) * durationUnits[unit];
  // The server's schedules work in whole seconds.
  if (ms < 1000 || ms % 1000 !== 0)
    throw new ScheduleSpecError(`--every must be a whole number of seconds, at least 1s, got "${text}"`);
  return ms;
}

const cronShortcuts = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** A light check so a typo is reported before the server is asked; the server has the last word. */
export function checkCron(expr: string): string {
  const text = expr.trim().replace(/\s+/g, ' ');
  if (cronShortcuts.has(text.toLowerCase())) return text.toLowerCase();
  const fields = text.split(' ');
  if (fields.length < 5 || fields.length > 7 || !fields.every((f) => /^[0-9A-Za-z*?,/#-]+$/.test(f))) {
    throw new ScheduleSpecError(
      `--cron must be a cron expression of 5 fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *", got "${expr}"`,
    );
  }
  return text;
}

export function checkTimezone(zone: string): string {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    throw new ScheduleSpecError(
      `--timezone must be an IANA time zone such as Europe/Paris or America/New_York, got "${zone}"`,
    );
  }
  return zone;
}

/** `--cron` or `--every` (exactly one), with an optional time zone, as a Temporal schedule spec. */
export function buildScheduleSpec(opts: SpecOptions): ScheduleSpec {
  if (Boolean(opts.cron) === Boolean(opts.every)) {
    throw new ScheduleSpecError(
      'Give exactly one of --cron "<expression>" (e.g. "0 2 * * *" for 02:00 every night) or --every <duration> (e.g. 6h).',
    );
  }
  const spec: ScheduleSpec = opts.cron
    ? { cronExpressions: [checkCron(opts.cron)] }
    : { intervals: [{ every: parseEvery(opts.every!) }] };
  if (opts.timezone) spec.timezone = checkTimezone(opts.timezone);
  return spec;
}

/** Milliseconds as the shortest CLI duration: 21600000 → "6h", 5400000 → "1h30m". */
export function formatEvery(ms: number): string {
  let rest = Math.round(ms / 1000);
  if (rest === 0) return `${ms}ms`;
  const parts: string[] = [];
  for (const [unit, secs] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= secs) {
      parts.push(`${Math.floor(rest / secs)}${unit}`);
      rest %= secs;
    }
  }
  return parts.join('');
}

const fieldBounds = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  dayOfWeek: [0, 6],
} as const;
const months = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
];
const days = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
const asNumber = (v: number | string, names?: string[]): number =>
  typeof v === 'number' ? v : names ? names.indexOf(v) + (names === months ? 1 : 0) : Number(v);

function cronField(
  ranges: Array<{ start: number | string; end: number | string; step: number }>,
  field: keyof typeof fieldBounds,
  names?: string[],
): string {
  const [min, max] = fieldBounds[field];
  if (ranges.length === 0) return '*';
  return ranges
    .map((r) => {
      const start = asNumber(r.start, names);
      const end = asNumber(r.end, names);
      const step = r.step > 1 ? `/${r.step}` : '';
      if (start === min && end === max) return `*${step}`;
      return start === end ? `${start}` : `${start}-${end}${step}`;
    })
    .join(',');
}

/** The server stores a cron expression as a structured calendar; this writes it back as cron. */
export function calendarToCron(c: CalendarSpecDescription): string {
  const fields = [
    cronField(c.minute, 'minute'),
    cronField(c.hour, 'hour'),
    cronField(c.dayOfMonth, 'dayOfMonth'),
    cronField(c.month, 'month', months),
    cronField(c.dayOfWeek, 'dayOfWeek', days),
  ];
  const seconds = cronField(c.second, 'second');
  return (seconds === '0' ? fields : [seconds, ...fields]).join(' ');
}

function intervalText(i: IntervalSpecDescription): string {
  return `every ${formatEvery(i.every)}${i.offset ? ` (offset ${formatEvery(i.offset)})` : ''}`;
}

/** A described spec in the words a person typed: `cron "0 2 * * *" (Europe/Paris)`, `every 6h`. */
export function describeSpec(spec: ScheduleSpecDescription | undefined): string {
  if (!spec) return '(unknown)';
  const parts = [
    ...(spec.calendars ?? []).map((c) => `cron "${calendarToCron(c)}"`),
    ...(spec.intervals ?? []).map(intervalText),
  ];
  const text = parts.join(', ') || '(no times)';
  return spec.timezone ? `${text} (${spec.timezone})` : text;
}
