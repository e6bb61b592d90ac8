/**
 * The Batch API: `models/{model}:batchGenerateContent` (inline requests or a JSONL file),
 * `batches/{id}` get / list / `:cancel` / delete, as `@google/genai` 2.32 speaks it.
 *
 * A job's life is computed from the clock, not driven by timers: PENDING for `pendingMs`, RUNNING
 * for `runningMs`, then its ending (SUCCEEDED unless an outcome rule or `advance` says otherwise).
 * Its requests run when a reader first sees it ended, each exactly as an interactive generate
 * request (same answers, same token arithmetic, same `generate` fault rules, caches honoured),
 * so a file that expired meanwhile fails that request with 403. `batch.request` fault rules fail
 * single requests; `batch.create` rules refuse the create call. Per-request errors are
 * google.rpc.Status (gRPC codes), inline or as lines of a results file.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type {
  BatchEnding,
  BatchJobSummary,
  BatchOutcomeRule,
  BatchRequestBill,
  BatchSettings,
  BatchStateName,
} from './batch-types';
import { generateWithCache } from './caches';
import { apiError, HttpError, internal, invalidArgument, modelNotFound, typeUrl } from './errors';
import { fileIdOf } from './files-store';
import { parseGenerateRequest, promptTokens, resolveVideos } from './generate-request';
import { ResetSignal, type Reply, type RequestCtx, type StandinState } from './state';
import { isRecord, randomId, randomToken, rfc3339 } from './util';

interface BatchRequest {
  key: string;
  /** Inline requests' metadata, echoed with their response. */
  metadata?: unknown;
  request?: unknown;
  /** A JSONL line that could not be read: the request fails with this. */
  problem?: string;
}

interface BatchResult {
  key: string;
  metadata?: unknown;
  response?: unknown;
  error?: { code: number; message: string; details?: unknown[] };
}

interface BatchJob {
  id: string;
  seq: number;
  owner: string;
  model: string;
  displayName?: string;
  inputFile?: string;
  requests: BatchRequest[];
  enqueuedTokens: number;
  createdAt: number;
  runAt: number;
  endAt: number;
  /** Still unfinished then: EXPIRED. */
  expireAt: number;
  ending: BatchEnding;
  failMessage?: string;
  /** Set once the ending has been reached and (for SUCCEEDED) the requests have run. */
  ended?: { state: BatchStateName; at: number };
  settling?: Promise<void>;
  results?: BatchResult[];
  resultsFileId?: string;
  bills: BatchRequestBill[];
  priceFactor: number;
  deleted: boolean;
}

const defaults: BatchSettings = {
  pendingMs: 100,
  runningMs: 200,
  expireAfterMs: 48 * 3600 * 1000,
  enqueuedTokenLimits: {},
  maxConcurrentJobs: 100,
  priceFactor: 0.5,
};

/** The API refuses inline input over 20 MB; larger batches go as a JSONL file. */
export const MAX_INLINE_BYTES = 20 * 1024 * 1024;

const grpcCodes: Record<string, number> = {
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
};

class BatchStore {
  settings: BatchSettings = structuredClone(defaults);
  readonly jobs = new Map<string, BatchJob>();
  outcomes: Array<{ id: string; rule: BatchOutcomeRule; remaining: number }> = [];
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  newId(): string {
    let id = randomId(12);
    while (this.jobs.has(id)) id = randomId(12);
    return id;
  }
}

const stores = new WeakMap<StandinState, BatchStore>();

function storeOf(state: StandinState): BatchStore {
  let store = stores.get(state);
  if (!store) {
    store = new BatchStore();
    stores.set(state, store);
  }
  return store;
}

const owner = (ctx: RequestCtx): string => ctx.key?.label ?? ctx.keyLabel;
const isTerminal = (s: BatchStateName): boolean => s !== 'BATCH_STATE_PENDING' && s !== 'BATCH_STATE_RUNNING';

/** Where the clock has taken a job (its requests may still have to run to make it so). */
function phase(job: BatchJob, now: number): BatchStateName {
  if (job.ended) return job.ended.state;
  if (job.expireAt < job.endAt && now >= job.expireAt) return 'BATCH_STATE_EXPIRED';
  if (now < job.runAt) return 'BATCH_STATE_PENDING';
  if (now < job.endAt) return 'BATCH_STATE_RUNNING';
  return `BATCH_STATE_${job.ending}`;
}

/** Brings a job to where the clock says, running its requests if it has just succeeded. */
async function settle(state: StandinState, job: BatchJob, now = Date.now()): Promise<void> {
  if (job.ended) return;
  const target = phase(job, now);
  if (!isTerminal(target)) return;
  if (target !== 'BATCH_STATE_SUCCEEDED') {
    job.ended = { state: target, at: Math.min(job.expireAt, job.endAt) };
    return;
  }
  job.settling ??= runRequests(state, job).then(() => {
    job.ended = { state: 'BATCH_STATE_SUCCEEDED', at: job.endAt };
  });
  await job.settling;
}

function requestCtx(state: StandinState, job: BatchJob): RequestCtx {
  return {
    // Batch requests have no HTTP request of their own; the generate code never reads it.
    req: undefined as unknown as IncomingMessage,
    url: new URL(state.url || 'http://standin.local'),
    route: 'generate',
    apiVersion: 'v1beta',
    keyLabel: job.owner,
    // No resolved key: a batch request is not counted against the per-minute limits.
  };
}

function rpcStatus(err: unknown): NonNullable<BatchResult['error']> {
  // A reset (or any other throw) inside a batch is the service's own failure: INTERNAL.
  const body = err instanceof HttpError ? err.body.error : internal().body.error;
  return {
    code: grpcCodes[body.status] ?? 2,
    message: body.message,
    ...(body.details ? { details: body.details } : {}),
  };
}

async function runOne(state: StandinState, job: BatchJob, r: BatchRequest): Promise<BatchResult> {
  const base: BatchResult = { key: r.key, ...(r.metadata !== undefined ? { metadata: r.metadata } : {}) };
  if (r.problem) return { ...base, error: { code: grpcCodes.INVALID_ARGUMENT, message: r.problem } };
  const ctx = requestCtx(state, job);
  ctx.model = job.model;
  try {
    const { cachedContent: _c, ...plain } = isRecord(r.request) ? r.request : {};
    ctx.video = parseGenerateRequest(state, plain).videos[0]?.label;
  } catch {
    // A malformed request fails below, in the generate code, with the API's own message.
  }
  try {
    await state.runFaults('batch.request', ctx, () => false);
    const reply = await generateWithCache(state, ctx, job.model, r.request, false);
    return { ...base, response: reply.body };
  } catch (err) {
    if (!(err instanceof HttpError) && !(err instanceof ResetSignal))
      state.options.logger?.(`standin: batch request failed: ${(err as Error)?.stack ?? String(err)}`);
    return { ...base, error: rpcStatus(err) };
  }
}

function billOf(result: BatchResult, priceFactor: number): BatchRequestBill {
  const usage =
    isRecord(result.response) && isRecord(result.response.usageMetadata) ? result.response.usageMetadata : {};
  const n = (field: string): number => (typeof usage[field] === 'number' ? usage[field] : 0);
  return {
    key: result.key,
    ok: result.error === undefined,
    ...(result.error ? { errorCode: result.error.code } : {}),
    promptTokens: n('promptTokenCount'),
    cachedTokens: n('cachedContentTokenCount'),
    candidatesTokens: n('candidatesTokenCount'),
    thoughtsTokens: n('thoughtsTokenCount'),
    priceFactor,
  };
}

async function runRequests(state: StandinState, job: BatchJob): Promise<void> {
  const results: BatchResult[] = [];
  for (const r of job.requests) results.push(await runOne(state, job, r));
  job.results = results;
  job.bills = results.map((r) => billOf(r, job.priceFactor));
  if (job.inputFile) {
    const lines = results.map((r) =>
      JSON.stringify(r.error ? { key: r.key, error: r.error } : { key: r.key, response: r.response }),
    );
    const content = Buffer.from(lines.join('\n') + '\n');
    const id = `batch-${job.id}`;
    state.files.add({
      id,
      owner: job.owner,
      displayName: `${job.displayName ?? `batches/${job.id}`} results`,
      label: `batches/${job.id} results`,
      mimeType: 'application/jsonl',
      sizeBytes: content.length,
      sha256Hex: createHash('sha256').update(content).digest('hex'),
      createdAt: Date.now(),
      processingMs: 0,
      content,
      generated: true,
    });
    job.resultsFileId = id;
  }
}

function batchStats(job: BatchJob, s: BatchStateName): Record<string, string> {
  const count = job.requests.length;
  const failed = s === 'BATCH_STATE_SUCCEEDED' ? (job.results ?? []).filter((r) => r.error).length : 0;
  const succeeded = s === 'BATCH_STATE_SUCCEEDED' ? count - failed : 0;
  const stats: Record<string, string> = { requestCount: String(count) };
  if (succeeded > 0) stats.successfulRequestCount = String(succeeded);
  if (failed > 0) stats.failedRequestCount = String(failed);
  if (s !== 'BATCH_STATE_SUCCEEDED') stats.pendingRequestCount = String(count);
  return stats;
}

/** The job as the API returns it: a long-running operation whose metadata is the batch. */
function jobJson(job: BatchJob, now: number): Record<string, unknown> {
  const s = phase(job, now);
  const name = `batches/${job.id}`;
  const metadata: Record<string, unknown> = {
    '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch',
    model: `models/${job.model}`,
  };
  if (job.displayName !== undefined) metadata.displayName = job.displayName;
  if (job.inputFile) metadata.inputConfig = { fileName: job.inputFile };
  let output: Record<string, unknown> | undefined;
  if (s === 'BATCH_STATE_SUCCEEDED' && job.results) {
    output = job.resultsFileId
      ? { responsesFile: `files/${job.resultsFileId}` }
      : {
          inlinedResponses: {
            inlinedResponses: job.results.map((r) => ({
              ...(r.error ? { error: r.error } : { response: r.response }),
              ...(r.metadata !== undefined ? { metadata: r.metadata } : {}),
            })),
          },
        };
    metadata.output = output;
  }
  const endedAt = job.ended?.at;
  const updatedAt = endedAt ?? (s === 'BATCH_STATE_RUNNING' ? job.runAt : job.createdAt);
  Object.assign(metadata, {
    createTime: rfc3339(job.createdAt),
    updateTime: rfc3339(updatedAt),
    ...(endedAt !== undefined ? { endTime: rfc3339(endedAt) } : {}),
    batchStats: batchStats(job, s),
    state: s,
    name,
  });
  const op: Record<string, unknown> = { name, metadata, done: isTerminal(s) };
  if (s === 'BATCH_STATE_FAILED') op.error = { code: 13, message: job.failMessage ?? 'Batch job failed.' };
  if (output)
    op.response = {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatchOutput',
      ...output,
    };
  return op;
}

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
  const file = id ? state.files.accessible(id, owner(ctx), Date.now()) : undefined;
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
function estimateTokens(state: StandinState, ctx: RequestCtx, requests: BatchRequest[]): number {
  let total = 0;
  for (const r of requests) {
    try {
      const { cachedContent: _c, ...plain } = isRecord(r.request) ? r.request : {};
      const parsed = parseGenerateRequest(state, plain);
      total += promptTokens(parsed, resolveVideos(state, ctx, parsed.videos, false)).total;
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
    (j) => j.owner === owner(ctx) && !j.deleted && !isTerminal(phase(j, now)),
  );
  if (mine.length >= settings.maxConcurrentJobs)
    throw apiError(
      429,
      'RESOURCE_EXHAUSTED',
      `Too many concurrent batch jobs: the limit is ${settings.maxConcurrentJobs}.`,
    );
  const tokens = estimateTokens(state, ctx, requests);
  const limit = enqueuedLimit(settings, model);
  if (limit !== undefined) {
    const enqueued = mine.filter((j) => j.model === model).reduce((sum, j) => sum + j.enqueuedTokens, 0);
    if (enqueued + tokens > limit) throw enqueuedExceeded(model, limit, enqueued, tokens);
  }
  const outcome = pickOutcome(store, { displayName, model, owner: owner(ctx) });
  const job: BatchJob = {
    id: store.newId(),
    seq: store.nextSeq(),
    owner: owner(ctx),
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
  if (!job || job.deleted || job.owner !== owner(ctx))
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
  const size = Number(ctx.url.searchParams.get('pageSize') ?? '0');
  const pageSize = Number.isInteger(size) && size > 0 ? Math.min(size, 1000) : 50;
  const token = ctx.url.searchParams.get('pageToken');
  let jobs = [...storeOf(state).jobs.values()]
    .filter((j) => j.owner === owner(ctx) && !j.deleted)
    .sort((a, b) => b.seq - a.seq);
  if (token) {
    const after = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^after:/, ''),
    );
    if (!Number.isInteger(after)) throw invalidArgument('Invalid page token.');
    jobs = jobs.filter((j) => j.seq < after);
  }
  const page = jobs.slice(0, pageSize);
  for (const job of page) await settle(state, job);
  const now = Date.now();
  const body: Record<string, unknown> = {};
  if (page.length > 0) body.operations = page.map((j) => jobJson(j, now));
  const last = page.at(-1);
  if (jobs.length > pageSize && last) body.nextPageToken = Buffer.from(`after:${last.seq}`).toString('base64url');
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

// ---- control (tests) ----

export function configureBatches(state: StandinState, patch: Partial<BatchSettings>): void {
  const store = storeOf(state);
  const defined = Object.fromEntries(
    Object.entries(patch).filter(([, v]) => v !== undefined),
  ) as Partial<BatchSettings>;
  store.settings = { ...store.settings, ...defined };
}

export function batchSettings(state: StandinState): BatchSettings {
  return structuredClone(storeOf(state).settings);
}

export function addBatchOutcome(state: StandinState, rule: BatchOutcomeRule): string {
  const id = `outcome-${randomToken(6)}`;
  storeOf(state).outcomes.push({ id, rule: structuredClone(rule), remaining: rule.times ?? Number.POSITIVE_INFINITY });
  return id;
}

export function clearBatchOutcomes(state: StandinState): void {
  storeOf(state).outcomes = [];
}

/** Moves a job on now. Throws for an unknown job or one that already ended. */
export function advanceBatch(state: StandinState, name: string, to: 'RUNNING' | BatchEnding): void {
  const job = storeOf(state).jobs.get(name.replace(/^batches\//, ''));
  if (!job) throw new Error(`no batch job ${name}`);
  if (job.ended) throw new Error(`batch job ${name} already ended (${job.ended.state})`);
  const now = Date.now();
  job.runAt = Math.min(job.runAt, now);
  if (to === 'RUNNING') {
    job.endAt = Math.max(job.endAt, now + 1);
    return;
  }
  job.endAt = now;
  job.ending = to;
  // An explicit end wins over the expiry clock.
  job.expireAt = Number.POSITIVE_INFINITY;
}

export async function batchJobs(state: StandinState): Promise<BatchJobSummary[]> {
  const jobs = [...storeOf(state).jobs.values()].sort((a, b) => a.seq - b.seq);
  for (const job of jobs) if (!job.deleted) await settle(state, job);
  const now = Date.now();
  return jobs.map((j) => ({
    name: `batches/${j.id}`,
    owner: j.owner,
    model: j.model,
    ...(j.displayName !== undefined ? { displayName: j.displayName } : {}),
    state: phase(j, now),
    requestCount: j.requests.length,
    enqueuedTokens: j.enqueuedTokens,
    deleted: j.deleted,
    bills: j.bills,
  }));
}
