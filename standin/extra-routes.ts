/**
 * Routes of the Batch API, context caches and file downloads, matched before the server's own
 * routes (server.ts asks `extraRoute` first), and their control routes under /__standin/.
 *
 *   POST   /v1beta/models/{m}:batchGenerateContent     create a job (inline or JSONL file input)
 *   GET    /v1beta/batches[?pageSize&pageToken]         {operations, nextPageToken}
 *   GET    /v1beta/batches/{id}                         the job (an operation)
 *   POST   /v1beta/batches/{id}:cancel                  {}
 *   DELETE /v1beta/batches/{id}                         {}
 *   POST   /v1beta/cachedContents                       create; GET list; GET/PATCH/DELETE /{id}
 *   GET    /v1beta/files/{id}:download?alt=media        a results file's bytes (also /download/v1beta/…)
 *
 *   GET    /__standin/batches                           every job with its per-request bills
 *   GET    /__standin/batches/settings                  BatchSettings
 *   POST   /__standin/batches/settings                  body Partial<BatchSettings>
 *   POST   /__standin/batches/outcomes                  body BatchOutcomeRule → {id}
 *   DELETE /__standin/batches/outcomes                  clear the rules
 *   POST   /__standin/batches/advance                   body {name, to: RUNNING|SUCCEEDED|FAILED|CANCELLED|EXPIRED}
 *   GET    /__standin/caches                            every cache with reads and storage token-hours
 *   POST   /__standin/caches/minimum-tokens             body {tokens: number | null}
 *   POST   /__standin/caches/expire                     body {name}
 */
import type {
  BatchEnding,
  BatchOutcomeRule,
  BatchSettings,
  StandinBatchControl,
  StandinCacheControl,
} from './batch-types';
import {
  addBatchOutcome,
  advanceBatch,
  batchJobs,
  batchSettings,
  clearBatchOutcomes,
  configureBatches,
} from './batch-control';
import { cancelBatch, createBatch, deleteBatch, getBatch, listBatches } from './batches';
import {
  cacheLedger,
  cacheStore,
  createCache,
  deleteCache,
  expireCache,
  generateWithCache,
  getCache,
  listCaches,
  updateCache,
} from './caches';
import { apiError, filePermissionDenied, invalidArgument } from './errors';
import type { Reply, RequestCtx, StandinState } from './state';
import type { RouteName } from './types';
import { isRecord } from './util';

/** The same shape as server.ts's routes. */
export interface ExtraRoute {
  name: RouteName;
  apiVersion: string;
  run: (ctx: RequestCtx, state: StandinState, readBody: () => Promise<unknown>) => Promise<Reply> | Reply;
  needsKey: boolean;
}

const version = '(v1beta|v1|v1alpha)';

export function extraRoute(method: string, url: URL): ExtraRoute | undefined {
  const path = url.pathname;
  let m = new RegExp(`^/${version}/models/([^/:]+):batchGenerateContent$`).exec(path);
  if (m && method === 'POST') {
    const model = m[2];
    return {
      name: 'batches.create',
      apiVersion: m[1],
      needsKey: true,
      run: async (ctx, s, body) => createBatch(s, ctx, model, await body()),
    };
  }
  m = new RegExp(`^/${version}/batches$`).exec(path);
  if (m && method === 'GET')
    return { name: 'batches.list', apiVersion: m[1], needsKey: true, run: (ctx, s) => listBatches(s, ctx) };
  m = new RegExp(`^/${version}/batches/([^/:]+)(:cancel)?$`).exec(path);
  if (m) {
    const [, apiVersion, id, cancel] = m;
    if (cancel && method === 'POST')
      return { name: 'batches.cancel', apiVersion, needsKey: true, run: (ctx, s) => cancelBatch(s, ctx, id) };
    if (!cancel && method === 'GET')
      return { name: 'batches.get', apiVersion, needsKey: true, run: (ctx, s) => getBatch(s, ctx, id) };
    if (!cancel && method === 'DELETE')
      return { name: 'batches.delete', apiVersion, needsKey: true, run: (ctx, s) => deleteBatch(s, ctx, id) };
  }
  m = new RegExp(`^/${version}/cachedContents$`).exec(path);
  if (m && method === 'POST')
    return {
      name: 'caches.create',
      apiVersion: m[1],
      needsKey: true,
      run: async (ctx, s, body) => createCache(s, ctx, await body()),
    };
  if (m && method === 'GET')
    return { name: 'caches.list', apiVersion: m[1], needsKey: true, run: (ctx, s) => listCaches(s, ctx) };
  m = new RegExp(`^/${version}/cachedContents/([^/:]+)$`).exec(path);
  if (m) {
    const [, apiVersion, id] = m;
    if (method === 'GET')
      return { name: 'caches.get', apiVersion, needsKey: true, run: (ctx, s) => getCache(s, ctx, id) };
    if (method === 'PATCH')
      return {
        name: 'caches.update',
        apiVersion,
        needsKey: true,
        run: async (ctx, s, body) => updateCache(s, ctx, id, await body()),
      };
    if (method === 'DELETE')
      return { name: 'caches.delete', apiVersion, needsKey: true, run: (ctx, s) => deleteCache(s, ctx, id) };
  }
  m = new RegExp(`^(?:/download)?/${version}/files/([^/:]+):download$`).exec(path);
  if (m && method === 'GET') {
    const [, apiVersion, id] = m;
    return { name: 'files.download', apiVersion, needsKey: true, run: (ctx, s) => downloadFile(s, ctx, id) };
  }
  return undefined;
}

/** Generate requests that name a `cachedContent` are answered through the cache (see caches.ts). */
export { generateWithCache };

/** Only files the service made (batch results) can be downloaded; uploads cannot, as with the API. */
function downloadFile(state: StandinState, ctx: RequestCtx, id: string): Reply {
  const r = state.files.accessible(id, ctx.key?.label ?? ctx.keyLabel, Date.now());
  if (!r) throw filePermissionDenied(id);
  ctx.video = r.label;
  if (ctx.url.searchParams.get('alt') !== 'media') throw invalidArgument('Download requires alt=media.');
  if (!r.generated || !r.content)
    throw apiError(400, 'INVALID_ARGUMENT', `Only generated files can be downloaded. files/${id} was uploaded.`);
  return {
    status: 200,
    raw: r.content,
    headers: { 'content-type': r.mimeType },
  };
}

const endings = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED']);

/** The control routes above; undefined when the path is not one of them. */
export async function handleExtraControl(
  state: StandinState,
  method: string,
  path: string,
  body: unknown,
): Promise<Reply | undefined> {
  const route = `${method} ${path.replace(/^\/__standin/, '').replace(/\/$/, '')}`;
  const obj = isRecord(body) ? body : {};
  const bad = (error: string): Reply => ({ status: 400, body: { error } });
  switch (route) {
    case 'GET /batches':
      return { status: 200, body: { jobs: await batchJobs(state) } };
    case 'GET /batches/settings':
      return { status: 200, body: batchSettings(state) };
    case 'POST /batches/settings':
      configureBatches(state, obj as Partial<BatchSettings>);
      return { status: 200, body: batchSettings(state) };
    case 'POST /batches/outcomes': {
      if (!['FAILED', 'CANCELLED', 'EXPIRED'].includes(obj.state as string))
        return bad('an outcome needs state FAILED, CANCELLED or EXPIRED');
      return { status: 200, body: { id: addBatchOutcome(state, obj as unknown as BatchOutcomeRule) } };
    }
    case 'DELETE /batches/outcomes':
      clearBatchOutcomes(state);
      return { status: 200, body: {} };
    case 'POST /batches/advance': {
      const to = String(obj.to ?? '').replace(/^BATCH_STATE_/, '');
      if (typeof obj.name !== 'string' || !endings.has(to))
        return bad('advance takes {name: "batches/…", to: RUNNING|SUCCEEDED|FAILED|CANCELLED|EXPIRED}');
      try {
        advanceBatch(state, obj.name, to as 'RUNNING' | BatchEnding);
      } catch (err) {
        return { status: 409, body: { error: (err as Error).message } };
      }
      return { status: 200, body: {} };
    }
    case 'GET /caches':
      return { status: 200, body: { caches: cacheLedger(state) } };
    case 'POST /caches/minimum-tokens':
      cacheStore(state).minTokens = typeof obj.tokens === 'number' ? obj.tokens : undefined;
      return { status: 200, body: {} };
    case 'POST /caches/expire':
      if (typeof obj.name !== 'string') return bad('expire takes {name: "cachedContents/…"}');
      return expireCache(state, obj.name)
        ? { status: 200, body: {} }
        : { status: 404, body: { error: `no cache ${obj.name}` } };
    default:
      return undefined;
  }
}

/** The in-process handles (`standin.batches`, `standin.caches`). */
export function extraControls(state: StandinState): { batches: StandinBatchControl; caches: StandinCacheControl } {
  return {
    batches: {
      configure: (patch) => configureBatches(state, patch),
      settings: () => batchSettings(state),
      addOutcome: (rule) => addBatchOutcome(state, rule),
      clearOutcomes: () => clearBatchOutcomes(state),
      advance: (name, to) => advanceBatch(state, name, to),
      jobs: () => batchJobs(state),
    },
    caches: {
      setMinimumTokens: (tokens) => {
        cacheStore(state).minTokens = tokens;
      },
      expire: (name) => expireCache(state, name),
      caches: () => cacheLedger(state),
    },
  };
}
