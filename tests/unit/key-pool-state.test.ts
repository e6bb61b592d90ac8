import {
  acquire,
  disable,
  initialPool,
  park,
  pacificDay,
  quotaWarnings,
  recordTokens,
  releaseRequest,
  rollDay,
  unparkAll,
  type KeyConfigView,
} from '../../src/keys/pool-state';
import { analysisQueueFor, activitiesPerSecond } from '../../src/keys/queues';

const model = 'gemini-3.8-flash';
const noon = new Date('2026-11-22T20:00:00Z'); // 12:00 Pacific
const reset = new Date('2026-11-23T08:00:00Z');
const keys: KeyConfigView[] = [
  { alias: 'a', limits: { [model]: { rpm: 10, rpd: 30 } } },
  { alias: 'b', limits: { '*': { rpd: 10 } } },
];

describe('key pool state', () => {
  test('spreads work in proportion to the daily quota left', () => {
    const pool = initialPool(keys, noon);
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 40; i++) {
      const got = acquire(pool, model, noon, (i * 0.618) % 1, reset);
      if ('alias' in got) counts[got.alias]++;
    }
    expect(counts).toEqual({ a: 30, b: 10 });
    // Both exhausted: wait for the reset, never exceed.
    expect(acquire(pool, model, noon, 0.5, reset)).toEqual({
      waitUntil: reset.toISOString(),
      reason: expect.stringContaining(model),
    });
  });

  test('a parked key is skipped until its time, a disabled key until its retry time', () => {
    const pool = initialPool(keys, noon);
    park(pool, 'a', '2026-11-22T21:00:00Z', 'daily quota');
    disable(pool, 'b', 'API_KEY_INVALID', noon);
    expect(acquire(pool, model, noon, 0.1, reset)).toMatchObject({ waitUntil: '2026-11-22T21:00:00.000Z' });
    const later = new Date('2026-11-22T21:00:01Z');
    expect(acquire(pool, model, later, 0.1, reset)).toEqual({ alias: 'a' });
    disable(pool, 'a', 'revoked', later);
    disable(pool, 'b', 'API_KEY_INVALID', later);
    expect(acquire(pool, model, later, 0.1, reset)).toMatchObject({ error: expect.stringContaining('disabled') });
  });

  test('a new Pacific day clears usage and parking; a disabled key waits for its retry time', () => {
    const pool = initialPool(keys, noon);
    for (let i = 0; i < 5; i++) acquire(pool, model, noon, 0.99, reset);
    recordTokens(pool, 'b', model, 1234);
    park(pool, 'a', reset.toISOString(), 'daily quota');
    const tomorrow = new Date('2026-11-23T09:00:00Z');
    disable(pool, 'b', 'bad', new Date(tomorrow.getTime() - 60_000));
    expect(pacificDay(tomorrow)).toBe('2026-11-23');
    rollDay(pool, tomorrow);
    expect(pool.keys.a.status).toBe('active');
    expect(pool.keys.a.usage).toEqual({});
    expect(pool.keys.b.status).toBe('disabled');
    // ...until its retry time, in case the key was fixed.
    rollDay(pool, new Date(tomorrow.getTime() + 3_600_000));
    expect(pool.keys.b.status).toBe('active');
  });

  test('a limited key shares evenly with unlimited ones until its day is used up', () => {
    const pool = initialPool(
      [
        { alias: 'lim', limits: { '*': { rpd: 2 } } },
        { alias: 'free', limits: {} },
      ],
      noon,
    );
    const seq = Array.from({ length: 6 }, () => (acquire(pool, model, noon, 0, reset) as { alias: string }).alias);
    expect(seq.filter((s) => s === 'lim')).toHaveLength(2);
    expect(seq.filter((s) => s === 'free')).toHaveLength(4);
  });

  test('unlimited keys share evenly; release gives a request back; warnings near the limit', () => {
    const pool = initialPool(
      [
        { alias: 'x', limits: {} },
        { alias: 'y', limits: {} },
      ],
      noon,
    );
    const seq = Array.from({ length: 6 }, () => (acquire(pool, model, noon, 0, reset) as { alias: string }).alias);
    expect(seq.filter((s) => s === 'x')).toHaveLength(3);
    const limited = initialPool(keys, noon);
    for (let i = 0; i < 9; i++) acquire(limited, model, noon, 0.99, reset); // all on b (weighted pick at the end)
    expect(limited.keys.b.usage[model].requests).toBeGreaterThan(0);
    releaseRequest(limited, 'b', model);
    const warnPool = initialPool(keys, noon);
    warnPool.keys.a.usage[model] = { requests: 28, tokens: 0 };
    expect(quotaWarnings(warnPool, 90)).toEqual([expect.stringContaining('28 of 30')]);
    unparkAll(warnPool);
  });

  test('rate-limited queue names and rates', () => {
    expect(analysisQueueFor('lf', 'a', model, { a: [model] })).toBe(`lf.gemini.a.${model}`);
    expect(analysisQueueFor('lf', 'a', 'other', { a: ['*'] })).toBe('lf.gemini.a.*');
    expect(analysisQueueFor('lf', 'b', model, { a: [model] })).toBeUndefined();
    expect(activitiesPerSecond(60)).toBeCloseTo(0.97);
  });
});
