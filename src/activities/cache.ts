import { Context } from '@temporalio/activity';
import { getModel, type ModelInfo } from '../gemini/catalog';
import {
  cacheCreationCost,
  cacheRefreshBelowSeconds,
  cacheStorageBetween,
  cacheTtlSeconds,
  decideCache,
} from '../gemini/cache-plan';
import { planMediaStrategy } from '../gemini/cost';
import { outputLimit } from '../gemini/estimate';
import { CacheGoneError, type RemoteCache } from '../gemini/gateway';
import type { CachedVideo, ProcessingOptions, UploadedFile, VideoFacts, VideoItem } from '../types';
import type { ActivityContext } from './context';
import { inActivity } from './heartbeat';
import { templateFailure } from './template-failure';

export interface CacheVideoInput {
  item: VideoItem;
  facts: VideoFacts;
  file: UploadedFile;
  options: ProcessingOptions;
  model: string;
  keyAlias: string;
  /** The templates whose notes still need work. */
  templates: string[];
}

/** A cache made (or not), and what making it cost; the reason says why, for the Web UI. */
export interface CacheMade {
  cache?: CachedVideo;
  reason: string;
  costUsd: number;
}

/**
 * A video's context cache: made once when several templates read it and it pays, given a fresh
 * ttl when a note starts late, and deleted when the video is done. Caching only ever saves money:
 * any failure to make one means the analyses send the video, as without a cache.
 */
export function cacheActivities(ctx: ActivityContext) {
  const { gemini, catalog } = ctx.deps;
  const warn = (message: string, meta: Record<string, unknown>) => {
    if (inActivity()) Context.current().log.warn(message, meta);
  };

  const made = (input: Pick<CacheVideoInput, 'model' | 'keyAlias'>, remote: RemoteCache): CachedVideo => ({
    name: remote.name,
    model: input.model,
    keyAlias: input.keyAlias,
    tokens: remote.tokens,
    createTime: remote.createTime,
    expireTime: remote.expireTime,
  });

  async function create(input: CacheVideoInput, info: ModelInfo): Promise<CacheMade> {
    const remote = await gemini.createCache(input.keyAlias, {
      model: input.model,
      fileUri: input.file.uri,
      mimeType: input.file.mimeType,
      ttlSeconds: cacheTtlSeconds,
      displayName: `lesson-forge ${input.item.key}`,
    });
    const costUsd = cacheCreationCost(info, remote.tokens, input.facts.durationSeconds, ctx.now());
    return { cache: made(input, remote), reason: `${input.templates.length} templates read it`, costUsd };
  }

  return {
    /** Puts the uploaded video in a context cache when two or more templates read it and that costs less. */
    async createVideoCache(input: CacheVideoInput): Promise<CacheMade> {
      let info: ModelInfo;
      try {
        info = getModel(catalog, input.model);
      } catch {
        return { reason: `${input.model} is not in the catalog`, costUsd: 0 };
      }
      const { options, facts } = input;
      const limits = input.templates.map((t) =>
        outputLimit(
          info,
          templateFailure(() => ctx.templates(options.templateDirs).get(t)),
        ),
      );
      let plan: { strategy: 'whole' | 'clips'; resolution: 'default' | 'low' };
      try {
        plan = planMediaStrategy(info, facts.durationSeconds, {
          expectedOutputTokens: Math.max(...limits),
          resolution: options.mediaResolution,
        });
      } catch (err) {
        return { reason: (err as Error).message, costUsd: 0 };
      }
      const decision = decideCache({
        model: info,
        templates: input.templates.length,
        durationSeconds: facts.durationSeconds,
        plan,
        sourceKind: input.item.source.kind,
        date: ctx.now(),
      });
      if (!decision.pays) return { reason: decision.reason, costUsd: 0 };
      try {
        return await create(input, info);
      } catch (err) {
        warn('could not make a context cache; the video is sent with each request', { error: String(err) });
        return { reason: `no cache: ${String((err as Error).message).slice(0, 200)}`, costUsd: 0 };
      }
    },

    /**
     * Gives the cache a fresh ttl before a note that starts late; one that lapsed is made again
     * (its storage until it lapsed is counted). Without a usable cache the analyses send the video.
     */
    async refreshVideoCache(input: CacheVideoInput & { cache: CachedVideo }): Promise<CacheMade> {
      const { cache } = input;
      const info = getModel(catalog, cache.model);
      const leftMs = Date.parse(cache.expireTime) - ctx.now().getTime();
      if (leftMs > cacheRefreshBelowSeconds * 1000) return { cache, reason: 'still fresh', costUsd: 0 };
      try {
        const remote = await gemini.refreshCache(cache.keyAlias, cache.name, cacheTtlSeconds);
        return { cache: { ...cache, expireTime: remote.expireTime }, reason: 'given a fresh ttl', costUsd: 0 };
      } catch (err) {
        if (!(err instanceof CacheGoneError)) throw err;
      }
      const lapsed = cacheStorageBetween(
        info,
        cache.tokens,
        Date.parse(cache.createTime),
        Date.parse(cache.expireTime),
        ctx.now(),
      );
      try {
        const again = await create(input, info);
        return { ...again, reason: 'made again after it lapsed', costUsd: again.costUsd + lapsed };
      } catch (err) {
        warn('could not make the context cache again', { error: String(err) });
        return { reason: 'lapsed, and could not be made again', costUsd: lapsed };
      }
    },

    /** Deletes the cache (one already gone is fine) and returns what keeping it cost. */
    async deleteVideoCache(input: { cache: CachedVideo }): Promise<{ storageUsd: number; deleted: boolean }> {
      const { cache } = input;
      const deleted = await gemini.deleteCache(cache.keyAlias, cache.name);
      const end = Math.min(ctx.now().getTime(), Date.parse(cache.expireTime));
      let storageUsd = 0;
      try {
        storageUsd = cacheStorageBetween(
          getModel(catalog, cache.model),
          cache.tokens,
          Date.parse(cache.createTime),
          end,
          ctx.now(),
        );
      } catch {
        // a model gone from the catalog: its storage is not priced
      }
      return { storageUsd, deleted };
    },
  };
}
