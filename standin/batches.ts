/**
 * The Batch API's REST side: `models/{model}:batchGenerateContent` (inline requests or a JSONL
 * file), `batches/{id}` get / list / `:cancel` / delete, as `@google/genai` 2.32 speaks it.
 * `batch.create` fault rules refuse the create call; the enqueued-token limit and the number of
 * unfinished jobs are checked there. Jobs themselves live in batch-jobs.ts.
 */
import type { BatchOutcomeRule, BatchSettings } from './batch-types';
import {
  type BatchJob,
  type BatchRequest,
  type BatchStore,
  isTerminal,
  jobJson,
  phase,
  settle,
  storeOf,
} from './batch-jobs';
import { apiError, type HttpError, invalidArgument, modelNotFound, typeUrl } from './errors';
import { fileIdOf } from './files-store';
import { parseGenerateRequest, promptTokens, resolveVideos } from './generate-request';
import { pageOf } from './pages';
import { ownerOf, type Reply, type RequestCtx, type StandinState } from './state';
import { isRecord } from './util';

/** The API refuses inline input over 20 MB; larger batches go as a JSONL file. */
export const MAX_INLINE_BYTES = 20 * 1024 * 1024;

/** Requests from `inputConfig`: inline `requests.requests[]` or a JSONL file of `{key, request}` lines. */
function readInput(
  state: StandinState,
  ctx: RequestCtx,
  input: Record<string, unknown>,
): { requests: BatchRequest[]; file?: string } {
  const inline = isRecord(input.requests) ? input.requests.requests : undefined;
  const fileName = typeof input.fileName === 'string' ? input.fileName : undefined;
  if ((inline === undefined) === (fileName === undefined))
    throw invalidArgument(
      '* BatchGenerateContentRequest.batch.input_config: exactly one of requests or file_name must be set\n',
    );
  if (inline !== undefined) {
    if (!Array.isArray(inline) || inline.length === 0)
      throw invalidArgument('* BatchGenerateContentRequest.batch.input_config.requests: requests must not be empty\n');
    return {
      requests: inline.map((item, i) => {
        const entry = isRecord(item) ? item : {};
        return {
          key: String(i),
          request: entry.request,
          ...(entry.metadata !== undefined ? { metadata: entry.metadata } : {}),
        };
      }),
    };
  }
  const id = fileIdOf(fileName as string);
  const file = id ? state.files.accessible(id, ownerOf(ctx), Date.now()) : undefined;
  if (!id || !file)
    throw apiError(
      403,
      'PERMISSION_DENIED',
      `You do not have permission to access the File ${id ?? fileName} or it may not exist.`,
    );
  if (!file.content)
    throw invalidArgument(
      `The input file files/${id} is not a JSON Lines file of requests (upload it with mimeType "jsonl").`,
    );
  const requests: BatchRequest[] = [];
  file.content
    .toString('utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const entry = JSON.parse(line) as unknown;
        if (!isRecord(entry) || !isRecord(entry.request)) throw new Error('each line needs a "request" object');
        requests.push({ key: typeof entry.key === 'string' ? entry.key : String(i), request: entry.request });
      } catch (err) {
        requests.push({
          key: `line-${i + 1}`,
          problem: `Line ${i + 1} of the input file is not a valid request: ${(err as Error).message}`,
        });
      }
    });
  if (requests.length === 0) throw invalidArgument(`The input file files/${id} holds no requests.`);
  return { requests, file: `files/${id}` };
}

/** Prompt tokens the job will enqueue, as interactive generate would count them (0 for unreadable requests). */
function estimateTokens(state: StandinState, ctx: RequestCtx, requests: BatchRequest[], model: string): number {
  let total = 0;
  for (const r of requests) {
    try {
      const { cachedContent: _c, ...plain } = isRecord(r.request) ? r.request : {};
      const parsed = parseGenerateRequest(state, plain);
      total += promptTokens(parsed, resolveVideos(state, ctx, parsed.videos, false), model).total;
    } catch {
      // Counted as nothing: the request will fail when it runs.
    }
  }
  return total;
}

function enqueuedLimit(settings: BatchSettings, model: string): number | undefined {
  return settings.enqueuedTokenLimits[model] ?? settings.enqueuedTokenLimits['*'];
}

function enqueuedExceeded(model: string, limit: number, enqueued: number, adding: number): HttpError {
  return apiError(
    429,
    'RESOURCE_EXHAUSTED',
    `Enqueued tokens for model ${model} would exceed the limit: ${enqueued} enqueued + ${adding} requested > ${limit}. Wait for running batch jobs to finish, or submit a smaller batch.`,
    [
      {
        '@type': typeUrl.quotaFailure,
        violations: [
          {
            quotaMetric: 'generativelanguage.googleapis.com/batch_enqueued_tokens',
            quotaId: 'BatchEnqueuedTokensPerModelPerProject',
            quotaDimensions: { model },
            quotaValue: String(limit),
          },
        ],
      },
    ],
  );
}

function pickOutcome(
  store: BatchStore,
  job: { displayName?: string; model: string; owner: string },
): BatchOutcomeRule | undefined {
  for (const stored of store.outcomes) {
    if (stored.remaining <= 0) continue;
    const m = stored.rule.match ?? {};
    if (m.displayName !== undefined && !(job.displayName ?? '').includes(m.displayName)) continue;
    if (m.model !== undefined && m.model.replace(/^models\//, '') !== job.model) continue;
    if (m.key !== undefined && m.key !== job.owner) continue;
    stored.remaining--;
    return stored.rule;
  }
  return undefined;
}

export async function createBatch(state: StandinState, ctx: RequestCtx, model: string, body: unknown): Promise<Reply> {
  ctx.model = model;
  if (!state.isKnownModel(model)) throw modelNotFound(model, ctx.apiVersion, 'batchGenerateContent');
  const batch = isRecord(body) && isRecord(body.batch) ? body.batch : undefined;
  if (!batch || !isRecord(batch.inputConfig))
    throw invalidArgument('* BatchGenerateContentRequest.batch.input_config: input_config is required\n');
  const displayName = typeof batch.displayName === 'string' ? batch.displayName : undefined;
  ctx.video = displayName;
  await state.runFaults('batch.create', ctx, () => false);
  if (Buffer.byteLength(JSON.stringify(body)) > MAX_INLINE_BYTES && batch.inputConfig.fileName === undefined)
    throw invalidArgument(`Request payload size exceeds the limit: ${MAX_INLINE_BYTES} bytes.`);
  const { requests, file } = readInput(state, ctx, batch.inputConfig);

  const store = storeOf(state);
  const settings = structuredClone(store.settings);
  const now = Date.now();
  const mine = [...store.jobs.values()].filter(
    (j) => j.owner === ownerOf(ctx) && !j.deleted && !isTerminal(phase(j, now)),
  );
  if (mine.length >= settings.maxConcurrentJobs)
    throw apiError(
      429,
      'RESOURCE_EXHAUSTED',
      `Too many concurrent batch jobs: the limit is ${settings.maxConcurrentJobs}.`,
    );
  const tokens = estimateTokens(state, ctx, requests, model);
  const limit = enqueuedLimit(settings, model);
  if (limit !== undefined) {
    const enqueued = mine.filter((j) => j.model === model).reduce((sum, j) => sum + j.enqueuedTokens, 0);
    if (enqueued + tokens > limit) throw enqueuedExceeded(model, limit, enqueued, tokens);
  }
  const outcome = pickOutcome(store, { displayName, model, owner: ownerOf(ctx) });
  const job: BatchJob = {
    id: store.newId(),
    seq: store.nextSeq(),
    owner: ownerOf(ctx),
    model,
    displayName,
    inputFile: file,
    requests,
    enqueuedTokens: tokens,
    createdAt: now,
    runAt: now + settings.pendingMs,
    endAt: now + settings.pendingMs + settings.runningMs,
    expireAt: now + settings.expireAfterMs,
    ending: outcome?.state ?? 'SUCCEEDED',
    failMessage: outcome?.message,
    bills: [],
    priceFactor: settings.priceFactor,
    deleted: false,
  };
  store.jobs.set(job.id, job);
  return { status: 200, body: jobJson(job, now) };
}

function findJob(state: StandinState, ctx: RequestCtx, id: string): BatchJob {
  const job = storeOf(state).jobs.get(id);
  if (!job || job.deleted || job.owner !== ownerOf(ctx))
    throw apiError(404, 'NOT_FOUND', 'Requested entity was not found.');
  ctx.model = job.model;
  ctx.video = job.displayName;
  return job;
}

export async function getBatch(state: StandinState, ctx: RequestCtx, id: string): Promise<Reply> {
  const job = findJob(state, ctx, id);
  await settle(state, job);
  return { status: 200, body: jobJson(job, Date.now()) };
}

export async function listBatches(state: StandinState, ctx: RequestCtx): Promise<Reply> {
  const jobs = [...storeOf(state).jobs.values()]
    .filter((j) => j.owner === ownerOf(ctx) && !j.deleted)
    .sort((a, b) => b.seq - a.seq);
  const { page, nextPageToken } = pageOf(ctx, jobs, 50);
  for (const job of page) await settle(state, job);
  const now = Date.now();
  const body: Record<string, unknown> = {};
  if (page.length > 0) body.operations = page.map((j) => jobJson(j, now));
  if (nextPageToken) body.nextPageToken = nextPageToken;
  return { status: 200, body };
}

/** Cancelling an ended job changes nothing (and is not an error). */
export async function cancelBatch(state: StandinState, ctx: RequestCtx, id: string): Promise<Reply> {
  const job = findJob(state, ctx, id);
  await settle(state, job);
  if (!job.ended) job.ended = { state: 'BATCH_STATE_CANCELLED', at: Date.now() };
  return { status: 200, body: {} };
}

export function deleteBatch(state: StandinState, ctx: RequestCtx, id: string): Reply {
  const job = findJob(state, ctx, id);
  job.deleted = true;
  return { status: 200, body: {} };
}
