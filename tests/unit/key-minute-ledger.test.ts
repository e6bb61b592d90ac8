import {
  dispatchAllowanceMs,
  earliestFit,
  lateStartMarginMs,
  MinuteLedger,
  tokenHeadroom,
  type Booking,
} from '../../src/keys/minute-ledger';
import { projectLimits, keyProjectsOf, type KeyProjectView } from '../../src/keys/projects';
import {
  acquire,
  initialPool,
  park,
  quotaWarnings,
  remainingToday,
  type KeyConfigView,
} from '../../src/keys/pool-state';
import { analysisQueueFor, keyQueueName } from '../../src/keys/queues';
import { ConfigurationError, resolveApiKeys } from '../../src/config';
import { configFileSchema } from '../../src/config/file';
import { rateLimitedQueues } from '../../src/worker';

const model = 'gemini-2.5-flash';
const minute = 60_000;
const window = minute + lateStartMarginMs;
const t0 = 1_800_000_000_000;

/** Largest sum of booked tokens over any sliding window of `length` (the quota's view). */
function peakWindow(bookings: Array<{ at: number; tokens: number }>, length: number): number {
  let peak = 0;
  for (const end of bookings.map((b) => b.at)) {
    const sum = bookings.filter((b) => b.at > end - length && b.at <= end).reduce((s, b) => s + b.tokens, 0);
    peak = Math.max(peak, sum);
  }
  return peak;
}

describe('minute ledger', () => {
  test('books at once while the minute has room, then at the moment the oldest call leaves it', () => {
    const ledger = new MinuteLedger();
    const ask = (id: string, tokens: number, now = t0) =>
      ledger.reserve({ id, project: 'p', model, tokens, tpm: 100_000, now });
    expect(ask('a', 40_000)).toMatchObject({ startAt: t0, waitMs: 0 });
    expect(ask('b', 40_000, t0 + 5_000)).toMatchObject({ startAt: t0 + 5_000, waitMs: 0 });
    // 80k of 97k (the headroom) are taken: the next 40k must wait until "a" leaves the window,
    // which is a minute (and the margin) after the latest "a" may have started, as it went at once.
    const c = ask('c', 40_000, t0 + 10_000);
    const aLeaves = t0 + dispatchAllowanceMs + window;
    expect(c).toMatchObject({ startAt: aLeaves, waitMs: aLeaves - (t0 + 10_000) });
    // Booked calls in the future count too: "d" waits until "b" leaves, and "c" still fits beside it.
    expect(ask('d', 40_000, t0 + 11_000)).toMatchObject({ startAt: t0 + 5_000 + dispatchAllowanceMs + window });
    // Asking again with the same id (an activity retried) returns the same booking.
    expect(ask('c', 40_000, t0 + 12_000)).toMatchObject({ startAt: aLeaves });
    // A call that waits for its moment starts on time: it leaves the window a minute after it.
    expect(ledger.state.slots[Object.keys(ledger.state.slots)[0]].bookings.find((b) => b.id === 'c')?.late).toBe(
      undefined,
    );
  });

  test('a call above the whole budget is refused with its size and the budget', () => {
    const ledger = new MinuteLedger();
    expect(ledger.reserve({ id: 'x', project: 'p', model, tokens: 98_000, tpm: 100_000, now: t0 })).toEqual({
      id: 'x',
      tooLarge: true,
      tokens: 98_000,
      budget: Math.floor(100_000 * tokenHeadroom),
      ratio: 1,
    });
  });

  test('a call in parts books each part on its own, in order, every sliding minute within budget', () => {
    const ledger = new MinuteLedger();
    const tpm = 100_000;
    // Another call already holds most of the first minute.
    ledger.reserve({ id: 'other', project: 'p', model, tokens: 50_000, tpm, now: t0 });
    const r = ledger.reserve({
      id: 'v#1',
      project: 'p',
      model,
      tokens: 0,
      parts: [60_000, 60_000, 30_000],
      tpm,
      now: t0,
    });
    if (!('parts' in r) || !r.parts) throw new Error(`not booked in parts: ${JSON.stringify(r)}`);
    expect(r.parts.map((p) => p.id)).toEqual(['v#1#clip1', 'v#1#clip2', 'v#1#clip3']);
    expect(r.tokens).toBe(150_000);
    expect(r.startAt).toBe(r.parts[0].startAt);
    // Each part no earlier than the one before; 60k + 60k cannot share a minute, nor 60k with "other".
    const ats = r.parts.map((p) => p.startAt);
    expect(ats[0]).toBeGreaterThan(t0);
    expect(ats[1]).toBeGreaterThanOrEqual(ats[0] + window);
    expect(ats[2]).toBeGreaterThanOrEqual(ats[1]);
    const booked = ledger.state.slots[Object.keys(ledger.state.slots)[0]].bookings;
    expect(peakWindow(booked, window)).toBeLessThanOrEqual(tpm * tokenHeadroom);
    // The 30k part fits beside the second 60k one: it goes with it, not a minute later.
    expect(ats[2]).toBe(ats[1]);
    // Asked again (an activity retried), the same parts come back and nothing more is booked.
    const again = ledger.reserve({
      id: 'v#1',
      project: 'p',
      model,
      tokens: 0,
      parts: [40_000, 40_000],
      tpm,
      now: t0 + 1,
    });
    expect('parts' in again && again.parts?.map((p) => [p.id, p.startAt])).toEqual(
      r.parts.map((p) => [p.id, p.startAt]),
    );
    expect(booked).toHaveLength(4);
    // Each part settles on its own.
    ledger.settle('v#1#clip2', 'p', model, 61_000);
    expect(booked.find((b) => b.id === 'v#1#clip2')).toMatchObject({ tokens: 61_000, settled: true });
    expect(booked.find((b) => b.id === 'v#1#clip1')?.settled).toBeUndefined();
  });

  test('a call in parts with one part above the whole budget books none of them', () => {
    const ledger = new MinuteLedger();
    const r = ledger.reserve({
      id: 'v',
      project: 'p',
      model,
      tokens: 0,
      parts: [10_000, 98_000],
      tpm: 100_000,
      now: t0,
    });
    expect(r).toEqual({ id: 'v', tooLarge: true, tokens: 98_000, budget: 97_000, ratio: 1 });
    expect(ledger.minuteUsage(t0)).toEqual([expect.objectContaining({ lastMinute: 0, booked: 0 })]);
  });

  test('projects and models have budgets of their own', () => {
    const ledger = new MinuteLedger();
    const book = (project: string, m: string) =>
      ledger.reserve({ id: `${project}-${m}`, project, model: m, tokens: 90_000, tpm: 100_000, now: t0 });
    expect(book('p', model)).toMatchObject({ waitMs: 0 });
    expect(book('q', model)).toMatchObject({ waitMs: 0 });
    expect(book('p', 'other-model')).toMatchObject({ waitMs: 0 });
    expect(ledger.usage('p', model, t0)).toEqual({ lastMinute: 90_000, booked: 0 });
  });

  test('many calls of varied sizes never overfill any minute, and keep it nearly full', () => {
    const ledger = new MinuteLedger();
    const tpm = 1_000_000;
    const sizes = [180_000, 60_000, 290_000, 30_000, 120_000, 450_000, 90_000];
    const booked: Array<{ at: number; tokens: number }> = [];
    for (let i = 0; i < 120; i++) {
      const r = ledger.reserve({ id: `v${i}`, project: 'p', model, tokens: sizes[i % sizes.length], tpm, now: t0 });
      if (!('startAt' in r)) throw new Error('refused');
      booked.push({ at: r.startAt, tokens: r.tokens });
    }
    expect(peakWindow(booked, window)).toBeLessThanOrEqual(tpm * tokenHeadroom);
    // Over the whole span, tokens per minute stay close to the limit.
    const span = Math.max(...booked.map((b) => b.at)) - t0 + window;
    const perMinute = (booked.reduce((s, b) => s + b.tokens, 0) / span) * minute;
    expect(perMinute).toBeGreaterThan(tpm * 0.85);
  });

  test('settling corrects the booking, and a steady bias scales later bookings', () => {
    const ledger = new MinuteLedger();
    const now = t0;
    ledger.reserve({ id: 'a', project: 'p', model, tokens: 10_000, tpm: 100_000, now });
    ledger.settle('a', 'p', model, 20_000);
    expect(ledger.usage('p', model, now)).toEqual({ lastMinute: 20_000, booked: 0 });
    // The estimate was half the truth: the next booking counts more than asked.
    const b = ledger.reserve({ id: 'b', project: 'p', model, tokens: 10_000, tpm: 100_000, now });
    expect('tokens' in b && b.tokens).toBeGreaterThan(10_000);
    // A call that never reached Gemini frees its tokens (and says nothing about the estimate).
    const ratio = ledger.state.slots[Object.keys(ledger.state.slots)[0]].ratio;
    ledger.settle('b', 'p', model, 0);
    expect(ledger.state.slots[Object.keys(ledger.state.slots)[0]].ratio).toBe(ratio);
    expect(ledger.usage('p', model, now).lastMinute).toBe(20_000);
    // Settling twice or an unknown id changes nothing.
    ledger.settle('a', 'p', model, 1);
    ledger.settle('zz', 'p', model, 1);
    expect(ledger.usage('p', model, now).lastMinute).toBe(20_000);
  });

  test('old bookings are pruned, so the state carried over at continue-as-new stays small', () => {
    const ledger = new MinuteLedger();
    for (let i = 0; i < 50; i++)
      ledger.reserve({ id: `v${i}`, project: 'p', model, tokens: 1_000, tpm: 1_000_000, now: t0 + i * 1_000 });
    ledger.pruneAll(t0 + 49_000 + dispatchAllowanceMs + window);
    expect(ledger.state.slots).toEqual({});
    // A learned ratio is kept even when its bookings are gone.
    ledger.reserve({ id: 'r', project: 'p', model, tokens: 1_000, tpm: 1_000_000, now: t0 });
    ledger.settle('r', 'p', model, 1_500);
    ledger.pruneAll(t0 + 10 * window);
    expect(Object.values(ledger.state.slots)[0]).toEqual({ bookings: [], ratio: expect.any(Number) });
    // The state is plain data: a new ledger from it answers the same.
    const again = new MinuteLedger(JSON.parse(JSON.stringify(ledger.state)));
    expect(again.reserve({ id: 's', project: 'p', model, tokens: 1_000, tpm: 1_000_000, now: t0 })).toMatchObject({
      tokens: 1_150,
    });
  });

  test('earliestFit checks every minute the new call falls in, future bookings included', () => {
    const w = 100_000;
    const bookings: Booking[] = [
      { id: 'a', at: 0, tokens: 50, expected: 50 },
      { id: 'b', at: 30_000, tokens: 50, expected: 50, late: 2_000 },
    ];
    // At 10 s the call would share a window with both: it goes when "a" leaves (100 s).
    expect(earliestFit(bookings, 10_000, 10, 100, w)).toBe(w);
    // A call that fits beside both starts at once.
    expect(earliestFit(bookings, 10_000, 0, 100, w)).toBe(10_000);
    // Beside "b" alone there is room; "b" may start up to 2 s late, so it leaves at 132 s, not 130 s.
    expect(earliestFit(bookings, 110_000, 60, 100, w)).toBe(132_000);
  });
});

describe('projects', () => {
  test('limits belong to the project: stated once by any key, conflicts reported', () => {
    const keys: KeyProjectView[] = [
      { alias: 'a1', project: 'lab', limits: { [model]: { tpm: 1000 } } },
      { alias: 'a2', project: 'lab', limits: { [model]: { rpm: 10 } } },
      { alias: 'solo', limits: { '*': { rpd: 5 } } },
    ];
    expect(projectLimits(keys)).toEqual({
      limits: { lab: { [model]: { tpm: 1000, rpm: 10 } }, solo: { '*': { rpd: 5 } } },
      conflicts: [],
    });
    expect(keyProjectsOf(keys)).toEqual({ a1: 'lab', a2: 'lab', solo: 'solo' });
    const clash = projectLimits([...keys, { alias: 'a3', project: 'lab', limits: { [model]: { tpm: 2000 } } }]);
    expect(clash.conflicts).toEqual([expect.stringContaining('project "lab" has two tpm limits')]);
  });

  test("a project's keys share one daily count, and one parked key parks its project", () => {
    const views: KeyConfigView[] = [
      { alias: 'a1', project: 'lab', limits: { [model]: { rpd: 10 } } },
      { alias: 'a2', project: 'lab', limits: { [model]: { rpd: 10 } } },
      { alias: 'b', limits: { [model]: { rpd: 10 } } },
    ];
    const noon = new Date('2026-11-22T20:00:00Z');
    const reset = new Date('2026-11-23T08:00:00Z');
    const pool = initialPool(views, noon);
    const perProject: Record<string, number> = { lab: 0, b: 0 };
    for (let i = 0; i < 20; i++) {
      const got = acquire(pool, model, noon, (i * 0.618) % 1, reset);
      if ('alias' in got) perProject[got.alias === 'b' ? 'b' : 'lab']++;
    }
    // 10 a day for the project "lab", whatever its two keys, and 10 for "b".
    expect(perProject).toEqual({ lab: 10, b: 10 });
    expect(remainingToday(pool.keys.a1, model, pool)).toBe(0);
    expect(quotaWarnings(pool, 90)).toEqual(
      expect.arrayContaining([expect.stringContaining('project "lab" (keys a1, a2) has used 10 of 10')]),
    );
    park(pool, 'a1', reset.toISOString(), 'daily quota used up');
    expect(pool.keys.a2).toMatchObject({ status: 'parked', reason: expect.stringContaining('via key a1') });
    expect(pool.keys.b.status).toBe('active');
  });

  test("the config names each key's project; every key of a project carries the project's limits", () => {
    const file = configFileSchema.parse({
      keys: [
        { name: 'lab-1', env: 'LAB_1', project: 'lab', limits: { [model]: { rpm: 60, tpm: 1000 } } },
        { name: 'lab-2', env: 'LAB_2', project: 'lab' },
        { name: 'solo', env: 'SOLO' },
      ],
    });
    const env = { LAB_1: 'v1', LAB_2: 'v2', SOLO: 'v3' };
    const keys = resolveApiKeys(file, env);
    expect(keys.map((k) => [k.alias, k.project, k.limits])).toEqual([
      ['lab-1', 'lab', { [model]: { rpm: 60, tpm: 1000 } }],
      ['lab-2', 'lab', { [model]: { rpm: 60, tpm: 1000 } }],
      ['solo', undefined, {}],
    ]);
    // One rate-limited queue for the project, whichever of its keys the worker holds.
    expect(rateLimitedQueues(keys, 'q')).toEqual([{ queue: `q.gemini.lab.${model}`, perSecond: expect.any(Number) }]);
    const clash = configFileSchema.parse({
      keys: [
        { name: 'lab-1', env: 'LAB_1', project: 'lab', limits: { [model]: { tpm: 1000 } } },
        { name: 'lab-2', env: 'LAB_2', project: 'lab', limits: { [model]: { tpm: 2000 } } },
      ],
    });
    expect(() => resolveApiKeys(clash, env)).toThrow(ConfigurationError);
    expect(() => resolveApiKeys(clash, env)).toThrow(/project "lab" has two tpm limits/);
    expect(() => configFileSchema.parse({ keys: [{ name: 'a', env: 'A', project: 'no spaces' }] })).toThrow();
  });

  test("rate-limited calls go through the project's queue, shared by its keys", () => {
    const limited = { a1: [model], a2: ['*'] };
    expect(analysisQueueFor('q', 'lab', model, limited, 'a1')).toBe(keyQueueName('q', 'lab', model));
    expect(analysisQueueFor('q', 'lab', 'other', limited, 'a2')).toBe(keyQueueName('q', 'lab', '*'));
    // A key that is its own project keeps its queue's old name.
    expect(analysisQueueFor('q', 'a1', model, limited)).toBe('q.gemini.a1.' + model);
  });
});

describe('handing out keys by project', () => {
  test('projects get work in proportion to their tokens per minute, however many keys each has', () => {
    const views: KeyConfigView[] = [
      { alias: 'big-1', project: 'big', limits: { [model]: { tpm: 2_000_000 } } },
      { alias: 'small-1', project: 'small', limits: { [model]: { tpm: 1_000_000 } } },
      { alias: 'small-2', project: 'small', limits: { [model]: { tpm: 1_000_000 } } },
      { alias: 'small-3', project: 'small', limits: { [model]: { tpm: 1_000_000 } } },
    ];
    const noon = new Date('2026-11-22T20:00:00Z');
    const pool = initialPool(views, noon);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const got = acquire(pool, model, noon, 0.5, new Date('2026-11-23T08:00:00Z'));
      if ('alias' in got) counts[got.alias] = (counts[got.alias] ?? 0) + 1;
    }
    // "big" has twice the minute of "small": 20 and 10, the latter spread over its three keys.
    expect(counts['big-1']).toBe(20);
    expect([counts['small-1'], counts['small-2'], counts['small-3']].sort()).toEqual([3, 3, 4]);
  });
});
