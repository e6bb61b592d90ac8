/**
 * The context-cache activities called directly, with a stand-in gateway that records calls: made
 * only where it pays, a fresh ttl for a cache near its end, made again when it lapsed (its storage
 * until then counted), deleted with its storage priced, and no failure ever fails a video.
 */
import { ActivityContext } from '../../src/activities/context';
import { cacheActivities, type CacheVideoInput } from '../../src/activities/cache';
import { loadCatalog } from '../../src/gemini/catalog';
import { CacheGoneError, type GeminiGateway, type RemoteCache } from '../../src/gemini/gateway';
import type { CachedVideo } from '../../src/types';
import { processingOptions } from '../support/processing-options';

const now = new Date('2026-11-22T12:00:00.000Z');
const iso = (ms: number) => new Date(now.getTime() + ms).toISOString();

function rig(behaviour: Partial<Record<'create' | 'refresh' | 'delete', () => unknown>> = {}) {
  const calls: string[] = [];
  const remote = (tokens: number): RemoteCache => ({
    name: `cachedContents/c${calls.length}`,
    tokens,
    createTime: now.toISOString(),
    expireTime: iso(1800_000),
  });
  const gemini = {
    createCache: async (_alias: string, req: { ttlSeconds: number }) => {
      calls.push(`create ttl ${req.ttlSeconds}`);
      if (behaviour.create) return behaviour.create();
      return remote(61_200);
    },
    refreshCache: async (_alias: string, name: string, ttl: number) => {
      calls.push(`refresh ${name} ttl ${ttl}`);
      if (behaviour.refresh) return behaviour.refresh();
      return { ...remote(61_200), expireTime: iso(ttl * 1000) };
    },
    deleteCache: async (_alias: string, name: string) => {
      calls.push(`delete ${name}`);
      return behaviour.delete ? behaviour.delete() : true;
    },
  } as unknown as GeminiGateway;
  const ctx = new ActivityContext({ gemini, catalog: loadCatalog(), now: () => now });
  return { calls, activities: cacheActivities(ctx) };
}

const input = (
  durationSeconds: number,
  templates = ['quiz', 'summary_report', 'comprehensive_lesson'],
): CacheVideoInput => ({
  item: { key: 'lesson-a1', title: 'Lesson', source: { kind: 'file', path: '/videos/lesson.mp4' } },
  facts: { title: 'Lesson', source: '/videos/lesson.mp4', mimeType: 'video/mp4', durationSeconds, contentHash: 'abc' },
  file: { name: 'files/f1', uri: 'https://files/f1', mimeType: 'video/mp4', keyAlias: 'default' },
  options: processingOptions('/tmp/out', { templates }),
  model: 'gemini-3.8-flash',
  keyAlias: 'default',
  templates,
});

const cache = (expiresInMs: number, createdAgoMs = 0): CachedVideo => ({
  name: 'cachedContents/old',
  model: 'gemini-3.8-flash',
  keyAlias: 'default',
  tokens: 61_200,
  createTime: iso(-createdAgoMs),
  expireTime: iso(expiresInMs),
});

test('a ten-minute video with three templates is cached (30-minute ttl); its creation is priced at the input price', async () => {
  const { calls, activities } = rig();
  const made = await activities.createVideoCache(input(600));
  expect(calls).toEqual(['create ttl 1800']);
  expect(made.cache).toMatchObject({ model: 'gemini-3.8-flash', keyAlias: 'default', tokens: 61_200 });
  expect(made.costUsd).toBeCloseTo((61_200 * 0.75) / 1e6, 12);
});

test('below the minimum, or for one template: no cache and no call', async () => {
  const { calls, activities } = rig();
  expect(await activities.createVideoCache(input(5))).toMatchObject({
    costUsd: 0,
    reason: expect.stringMatching(/minimum/),
  });
  expect(await activities.createVideoCache(input(600, ['quiz']))).toMatchObject({ costUsd: 0 });
  expect(calls).toEqual([]);
});

test('a refused create (too small by the API’s count, a quota) means no cache, not a failure', async () => {
  const { activities } = rig({
    create: () => {
      throw new Error('Cached content is too small');
    },
  });
  const made = await activities.createVideoCache(input(600));
  expect(made.cache).toBeUndefined();
  expect(made.reason).toMatch(/too small/);
});

test('refresh: a fresh cache is left alone; one near its end gets a new ttl', async () => {
  const { calls, activities } = rig();
  expect(await activities.refreshVideoCache({ ...input(600), cache: cache(25 * 60_000) })).toMatchObject({
    reason: 'still fresh',
  });
  expect(calls).toEqual([]);
  const refreshed = await activities.refreshVideoCache({ ...input(600), cache: cache(5 * 60_000) });
  expect(calls).toEqual(['refresh cachedContents/old ttl 1800']);
  expect(refreshed.cache?.expireTime).toBe(iso(1800_000));
  expect(refreshed.costUsd).toBe(0);
});

test('refresh of a cache that lapsed: made again, and the lapsed one’s storage counted', async () => {
  const { calls, activities } = rig({
    refresh: () => {
      throw new CacheGoneError('cachedContents/old', 'CachedContent not found');
    },
  });
  // Created an hour ago with a 30-minute ttl: it lapsed half an hour ago.
  const again = await activities.refreshVideoCache({ ...input(600), cache: cache(-30 * 60_000, 60 * 60_000) });
  expect(calls).toEqual(['refresh cachedContents/old ttl 1800', 'create ttl 1800']);
  expect(again.cache?.name).not.toBe('cachedContents/old');
  expect(again.costUsd).toBeCloseTo((61_200 * 0.75) / 1e6 + (61_200 * 0.5 * 1.0) / 1e6, 12);
});

test('delete: storage from creation to now; a cache that lapsed, only until it lapsed', async () => {
  const { activities } = rig();
  expect(await activities.deleteVideoCache({ cache: cache(20 * 60_000, 10 * 60_000) })).toEqual({
    deleted: true,
    storageUsd: expect.closeTo((61_200 * (10 / 60) * 1.0) / 1e6, 12),
  });
  const gone = rig({ delete: () => false });
  expect(await gone.activities.deleteVideoCache({ cache: cache(-50 * 60_000, 80 * 60_000) })).toEqual({
    deleted: false,
    storageUsd: expect.closeTo((61_200 * 0.5 * 1.0) / 1e6, 12),
  });
});
