/**
 * Whether a video is worth an explicit context cache when several templates read it, and what the
 * cache costs. Without a cache every template's request pays the whole video at the input price;
 * with one, the video is paid once when the cache is made (at the input price), then each request
 * reads it at the cached price, and the cache is billed for the hours it is kept. Pure functions.
 */
import type { MediaResolution } from '../types';
import type { ModelInfo } from './catalog';
import { cachePricesAt, cacheStorageCost, estimatePromptCost, splitVideoTokens } from './cost';

export { cacheRefreshBelowSeconds, cacheTtlSeconds } from './cache-ttl';
/** How long a cache is expected to be kept per note made from it (for the expected storage cost). */
export const expectedCacheSecondsPerNote = 120;

export interface CacheQuestion {
  model: ModelInfo;
  /** Templates whose notes still need work. */
  templates: number;
  durationSeconds: number | undefined;
  /** How the video would be sent: only a whole video at the default resolution is cached. */
  plan: { strategy: 'whole' | 'clips'; resolution: MediaResolution };
  sourceKind: 'file' | 'youtube';
  date: Date;
  /** Hours the cache is expected to be kept (default: `expectedCacheSecondsPerNote` per template). */
  hours?: number;
}

export interface CacheDecision {
  pays: boolean;
  /** Why (or why not), for logs, the dry run and the Web UI. */
  reason: string;
  /** Tokens the cache would hold (the video). */
  tokens: number;
  /** Input cost of the video over every template, without a cache and with one (creation + reads + storage). */
  withoutCacheUsd: number;
  withCacheUsd: number;
}

/** Tokens of a video as its cache holds it: picture and sound, at the default resolution. */
export function cacheTokensOf(model: ModelInfo, durationSeconds: number): { video: number; audio: number } {
  return splitVideoTokens(model, durationSeconds, 'default');
}

/** Decides whether this video goes into a context cache. */
export function decideCache(q: CacheQuestion): CacheDecision {
  const none = (reason: string, tokens = 0, usd = 0): CacheDecision => ({
    pays: false,
    reason,
    tokens,
    withoutCacheUsd: usd,
    withCacheUsd: usd,
  });
  if (q.templates < 2) return none('one template: nothing to share');
  if (q.sourceKind !== 'file') return none('a YouTube link is read by Gemini directly, not from an upload');
  if (q.durationSeconds === undefined) return none('the video’s length is unknown');
  const prices = cachePricesAt(q.model, q.date);
  const minimum = q.model.contextCache?.minimumTokens;
  if (!prices || minimum === undefined) return none(`${q.model.id} has no context-cache prices in the catalog`);
  if (q.plan.strategy !== 'whole' || q.plan.resolution !== 'default')
    return none('a long video sent in clips or at low resolution is not cached');
  const split = cacheTokensOf(q.model, q.durationSeconds);
  const tokens = split.video + split.audio;
  const once = estimatePromptCost(q.model, { input: split, output: 0 }, q.date);
  const without = once * q.templates;
  if (tokens < minimum)
    return none(`${tokens} video tokens, below ${q.model.id}'s minimum cache of ${minimum}`, tokens, without);
  const hours = q.hours ?? (q.templates * expectedCacheSecondsPerNote) / 3600;
  const withCache =
    once + cachedReadCost(q.model, split, q.date) * q.templates + cacheStorageCost(q.model, tokens, hours, q.date);
  const pays = withCache < without;
  return {
    pays,
    reason: pays
      ? `${q.templates} templates read ${tokens} cached video tokens`
      : `a cache would cost more than sending the video ${q.templates} times`,
    tokens,
    withoutCacheUsd: without,
    withCacheUsd: withCache,
  };
}

/** USD of reading the video's tokens from a cache once (0 for a model without cached prices). */
export function cachedReadCost(model: ModelInfo, split: { video: number; audio: number }, date: Date): number {
  const prices = cachePricesAt(model, date);
  if (!prices) return 0;
  const price = (m: 'video' | 'audio') => prices.cachedInput[m] ?? prices.cachedInput.default;
  return (split.video * price('video') + split.audio * price('audio')) / 1_000_000;
}

/** USD of making a cache of this video: its tokens at the input price (the share of sound at the audio price). */
export function cacheCreationCost(
  model: ModelInfo,
  tokens: number,
  durationSeconds: number | undefined,
  date: Date,
): number {
  const audio = Math.min(tokens, Math.ceil(model.mediaTokens.audioTokensPerSecond * Math.max(0, durationSeconds ?? 0)));
  return estimatePromptCost(model, { input: { video: tokens - audio, audio }, output: 0 }, date);
}

/** USD of keeping a cache from `createdAt` to `endedAt` (ms). */
export function cacheStorageBetween(
  model: ModelInfo,
  tokens: number,
  createdAt: number,
  endedAt: number,
  date: Date,
): number {
  return cacheStorageCost(model, tokens, Math.max(0, endedAt - createdAt) / 3_600_000, date);
}
