/**
 * Batch jobs: their store, their life computed from the clock (PENDING for `pendingMs`, RUNNING
 * for `runningMs`, then their ending), the running of their requests and the JSON the API shows.
 *
 * Requests run when a reader first sees the job ended, each exactly as an interactive generate
 * request (same answers, same token arithmetic, same `generate` fault rules, caches honoured),
 * so a file that expired meanwhile fails that request with 403; `batch.request` fault rules fail
 * single requests. Per-request errors are google.rpc.Status (gRPC codes).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { BatchEnding, BatchOutcomeRule, BatchRequestBill, BatchSettings, BatchStateName } from './batch-types';
import { generateWithCache } from './caches';
import { HttpError, internal } from './errors';
import { parseGenerateRequest } from './generate-request';
import { keptBeside, ResetSignal, type RequestCtx, type StandinState } from './state';
import { isRecord, randomId, rfc3339 } from './util';

export interface BatchRequest {
  key: string;
  /** Inline requests' metadata, echoed with their response. */
  metadata?: unknown;
  request?: unknown;
  /** A JSONL line that could not be read: the request fails with this. */
  problem?: string;
}

export interface BatchResult {
  key: string;
  metadata?: unknown;
  response?: unknown;
  error?: { code: number; message: string; details?: unknown[] };
}

export interface BatchJob {
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

export class BatchStore {
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

export const storeOf = keptBeside(() => new BatchStore());
export const isTerminal = (s: BatchStateName): boolean => s !== 'BATCH_STATE_PENDING' && s !== 'BATCH_STATE_RUNNING';

/** Where the clock has taken a job (its requests may still have to run to make it so). */
export function phase(job: BatchJob, now: number): BatchStateName {
  if (job.ended) return job.ended.state;
  if (job.expireAt < job.endAt && now >= job.expireAt) return 'BATCH_STATE_EXPIRED';
  if (now < job.runAt) return 'BATCH_STATE_PENDING';
  if (now < job.endAt) return 'BATCH_STATE_RUNNING';
  return `BATCH_STATE_${job.ending}`;
}

/** Brings a job to where the clock says, running its requests if it has just succeeded. */
export async function settle(state: StandinState, job: BatchJob, now = Date.now()): Promise<void> {
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
export function jobJson(job: BatchJob, now: number): Record<string, unknown> {
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
