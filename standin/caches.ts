/**
 * Explicit context caches: `cachedContents` create / get / list / patch (ttl) / delete, and
 * generate requests that name one with `cachedContent`. The cache's contents and system
 * instruction are put in front of the request and answered by the ordinary generate code, so
 * the token arithmetic is the same; usage then reports `cachedContentTokenCount` (part of
 * `promptTokenCount`, as the real API counts it). Caches expire at `expireTime` (default ttl 1 h);
 * storage is metered in token-hours for cost tests.
 */
import type { CacheSummary } from './batch-types';
import { apiError, invalidArgument, modelNotFound } from './errors';
import { generateContent, type GenerateCall } from './generate';
import { parseGenerateRequest, promptTokens, resolveVideos } from './generate-request';
import { pageOf } from './pages';
import { keptBeside, ownerOf, type Reply, type RequestCtx, type StandinState } from './state';
import { isRecord, parseDuration, randomId, rfc3339 } from './util';

export interface CacheRecord {
  id: string;
  seq: number;
  owner: string;
  model: string;
  displayName?: string;
  contents: unknown[];
  systemInstruction?: unknown;
  /** Tokens of contents + system instruction, by modality (as usage details report them). */
  tokens: number;
  details: Array<{ modality: string; tokenCount: number }>;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** When it was deleted (storage stops counting). */
  deletedAt?: number;
  /** Generate requests that read it. */
  reads: number;
}

/** Smallest cache the API accepts: about 1,024 tokens for flash models, 4,096 for pro. */
export function minimumCacheTokens(model: string): number {
  return model.includes('pro') ? 4096 : 1024;
}

const DEFAULT_TTL_SECONDS = 3600;

export class CacheStore {
  private readonly records = new Map<string, CacheRecord>();
  private seq = 0;
  /** Overrides `minimumCacheTokens` when set (tests of small videos). */
  minTokens?: number;

  add(r: Omit<CacheRecord, 'id' | 'seq' | 'reads'>): CacheRecord {
    let id = randomId(12);
    while (this.records.has(id)) id = randomId(12);
    const full: CacheRecord = { ...r, id, seq: ++this.seq, reads: 0 };
    this.records.set(id, full);
    return full;
  }

  /** A live cache the owner may use; undefined for missing, deleted, expired or foreign ones. */
  accessible(id: string, owner: string, now: number): CacheRecord | undefined {
    const r = this.records.get(id);
    if (!r || r.deletedAt !== undefined || r.owner !== owner || now >= r.expiresAt) return undefined;
    return r;
  }

  peek(id: string): CacheRecord | undefined {
    return this.records.get(id);
  }

  listFor(owner: string, now: number): CacheRecord[] {
    return [...this.records.values()]
      .filter((r) => r.owner === owner && r.deletedAt === undefined && now < r.expiresAt)
      .sort((a, b) => b.seq - a.seq);
  }

  all(): CacheRecord[] {
    return [...this.records.values()];
  }
}

/** The caches of one stand-in. */
export const cacheStore = keptBeside(() => new CacheStore());

/** "cachedContents/abc" or "abc" → "abc". */
export function cacheIdOf(name: string): string {
  return name.replace(/^cachedContents\//, '');
}

/** What the API answers for a missing, expired, deleted or foreign cache. */
export function cachePermissionDenied(id: string): ReturnType<typeof apiError> {
  return apiError(403, 'PERMISSION_DENIED', `CachedContent not found (or permission denied): cachedContents/${id}`);
}

export function cacheJson(r: CacheRecord): Record<string, unknown> {
  const json: Record<string, unknown> = { name: `cachedContents/${r.id}`, model: `models/${r.model}` };
  if (r.displayName !== undefined) json.displayName = r.displayName;
  Object.assign(json, {
    createTime: rfc3339(r.createdAt),
    updateTime: rfc3339(r.updatedAt),
    expireTime: rfc3339(r.expiresAt),
    usageMetadata: { totalTokenCount: r.tokens },
  });
  return json;
}

/** Seconds to live from `ttl` ("300s") or `expireTime` (RFC 3339); the default is 1 h. */
function expiryOf(body: Record<string, unknown>, now: number): number {
  if (body.ttl !== undefined) {
    const seconds = parseDuration(body.ttl);
    if (seconds === undefined || seconds <= 0)
      throw invalidArgument(`Invalid value for ttl: ${JSON.stringify(body.ttl)}`);
    return now + seconds * 1000;
  }
  if (body.expireTime !== undefined) {
    const at = typeof body.expireTime === 'string' ? Date.parse(body.expireTime) : Number.NaN;
    if (!Number.isFinite(at))
      throw invalidArgument(`Invalid value for expire_time: ${JSON.stringify(body.expireTime)}`);
    return at;
  }
  return now + DEFAULT_TTL_SECONDS * 1000;
}

export function createCache(state: StandinState, ctx: RequestCtx, body: unknown): Reply {
  if (!isRecord(body)) throw invalidArgument('Invalid JSON payload received. Expected an object.');
  const model = typeof body.model === 'string' ? body.model.replace(/^models\//, '') : undefined;
  if (!model) throw invalidArgument('* CachedContent.model: model is required\n');
  ctx.model = model;
  if (!state.isKnownModel(model)) throw modelNotFound(model, ctx.apiVersion, 'createCachedContent');
  if (!Array.isArray(body.contents) || body.contents.length === 0)
    throw invalidArgument('* CachedContent.contents: contents is not specified\n');
  const request = {
    contents: body.contents,
    ...(body.systemInstruction !== undefined ? { systemInstruction: body.systemInstruction } : {}),
  };
  const parsed = parseGenerateRequest(state, request);
  ctx.video = parsed.videos[0]?.label;
  const prompt = promptTokens(parsed, resolveVideos(state, ctx, parsed.videos, true), model);
  const store = cacheStore(state);
  const minimum = store.minTokens ?? minimumCacheTokens(model);
  if (prompt.total < minimum) {
    throw invalidArgument(
      `Cached content is too small. total_token_count=${prompt.total}, min_total_token_count=${minimum}`,
    );
  }
  const now = Date.now();
  const details: CacheRecord['details'] = [];
  if (prompt.video > 0) details.push({ modality: 'VIDEO', tokenCount: prompt.video });
  if (prompt.audio > 0) details.push({ modality: 'AUDIO', tokenCount: prompt.audio });
  if (prompt.image > 0) details.push({ modality: 'IMAGE', tokenCount: prompt.image });
  if (prompt.text > 0) details.push({ modality: 'TEXT', tokenCount: prompt.text });
  const record = store.add({
    owner: ownerOf(ctx),
    model,
    displayName: typeof body.displayName === 'string' ? body.displayName : undefined,
    contents: body.contents,
    systemInstruction: body.systemInstruction,
    tokens: prompt.total,
    details,
    createdAt: now,
    updatedAt: now,
    expiresAt: expiryOf(body, now),
  });
  return { status: 200, body: cacheJson(record) };
}

function liveCache(state: StandinState, ctx: RequestCtx, id: string): CacheRecord {
  const r = cacheStore(state).accessible(id, ownerOf(ctx), Date.now());
  if (!r) throw cachePermissionDenied(id);
  ctx.model = r.model;
  return r;
}

export function getCache(state: StandinState, ctx: RequestCtx, id: string): Reply {
  return { status: 200, body: cacheJson(liveCache(state, ctx, id)) };
}

export function updateCache(state: StandinState, ctx: RequestCtx, id: string, body: unknown): Reply {
  const r = liveCache(state, ctx, id);
  const now = Date.now();
  r.expiresAt = expiryOf(isRecord(body) ? body : {}, now);
  r.updatedAt = now;
  return { status: 200, body: cacheJson(r) };
}

export function deleteCache(state: StandinState, ctx: RequestCtx, id: string): Reply {
  const r = liveCache(state, ctx, id);
  r.deletedAt = Date.now();
  return { status: 200, body: {} };
}

export function listCaches(state: StandinState, ctx: RequestCtx): Reply {
  const { page, nextPageToken } = pageOf(ctx, cacheStore(state).listFor(ownerOf(ctx), Date.now()), 100);
  const body: Record<string, unknown> = {};
  if (page.length > 0) body.cachedContents = page.map(cacheJson);
  if (nextPageToken) body.nextPageToken = nextPageToken;
  return { status: 200, body };
}

/** Adds the cache's share to a usage block (and its details) in place. */
function markCached(usage: unknown, cache: CacheRecord): void {
  if (!isRecord(usage)) return;
  usage.cachedContentTokenCount = cache.tokens;
  usage.cacheTokensDetails = cache.details;
}

/**
 * generateContent / streamGenerateContent, with `cachedContent` resolved first. Requests that
 * name no cache go straight to `generateContent`. Exported for batch requests too.
 */
export async function generateWithCache(
  ...[state, ctx, model, body, stream]: Parameters<GenerateCall>
): ReturnType<GenerateCall> {
  if (!isRecord(body) || body.cachedContent === undefined) return generateContent(state, ctx, model, body, stream);
  ctx.model = model;
  if (typeof body.cachedContent !== 'string') throw invalidArgument('cached_content must be a resource name.');
  const cache = liveCache(state, ctx, cacheIdOf(body.cachedContent));
  if (cache.model !== model.replace(/^models\//, '')) {
    throw invalidArgument(
      `Model used by GenerateContent request (models/${model}) and CachedContent (models/${cache.model}) has to be the same.`,
    );
  }
  for (const field of ['systemInstruction', 'tools', 'toolConfig'])
    if (body[field] !== undefined) {
      throw invalidArgument(
        'CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.\n\nProposed fix: move those values to CachedContent from GenerateContent request.',
      );
    }
  const { cachedContent: _name, ...rest } = body;
  const merged: Record<string, unknown> = {
    ...rest,
    contents: [...cache.contents, ...(Array.isArray(rest.contents) ? rest.contents : [])],
    ...(cache.systemInstruction !== undefined ? { systemInstruction: cache.systemInstruction } : {}),
  };
  const reply = await generateContent(state, ctx, model, merged, stream);
  cache.reads++;
  if (reply.events) for (const event of reply.events) if (isRecord(event)) markCached(event.usageMetadata, cache);
  if (isRecord(reply.body)) markCached(reply.body.usageMetadata, cache);
  return reply;
}

/** Storage use of every cache so far, for cost checks: token-hours from creation to deletion or expiry. */
export function cacheLedger(state: StandinState, now = Date.now()): CacheSummary[] {
  return cacheStore(state)
    .all()
    .map((r) => {
      const end = Math.min(r.deletedAt ?? now, r.expiresAt, now);
      return {
        name: `cachedContents/${r.id}`,
        owner: r.owner,
        model: r.model,
        ...(r.displayName !== undefined ? { displayName: r.displayName } : {}),
        tokens: r.tokens,
        reads: r.reads,
        deleted: r.deletedAt !== undefined,
        expired: now >= r.expiresAt,
        storageTokenHours: (r.tokens * Math.max(0, end - r.createdAt)) / 3_600_000,
      };
    });
}

/** Makes a cache answer like an expired one (tests of a cache that lapsed mid-run). */
export function expireCache(state: StandinState, name: string): boolean {
  const r = cacheStore(state).peek(cacheIdOf(name));
  if (!r) return false;
  r.expiresAt = Math.min(r.expiresAt, Date.now());
  return true;
}
