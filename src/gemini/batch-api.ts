/**
 * Gemini's Batch API (`ai.batches` of @google/genai 2.x) as economy mode uses it: jobs created
 * idempotently by display name, read back, and their answers handed over per request. Calls go
 * through the gateway, so errors are classified and keys redacted as for every other call.
 */
import fs from 'node:fs/promises';
import type { ApplicationFailure } from '@temporalio/common';
import type { BatchJob, GenerateContentResponse, InlinedRequest } from '@google/genai';
import { classifyGeminiError } from './classify';
import { generateContentParameters, type GeminiGateway, type GenerateRequest } from './gateway';

/** A job's state as the API names it (the SDK says JOB_STATE_*, the REST API BATCH_STATE_*). */
export type BatchJobState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

export const endedStates: readonly BatchJobState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'];

export function jobStateOf(state: string | undefined): BatchJobState {
  const plain = String(state ?? '').replace(/^(JOB|BATCH)_STATE_/, '');
  if (plain === 'SUCCEEDED' || plain === 'FAILED' || plain === 'CANCELLED' || plain === 'EXPIRED') return plain;
  if (plain === 'RUNNING' || plain === 'CANCELLING' || plain === 'PAUSED') return 'RUNNING';
  return 'PENDING';
}

/** One request of a job: its key (unique within the job) and the generate call it stands for. */
export interface BatchRequestLine {
  key: string;
  request: GenerateRequest;
}

/** One request's answer: the response, or the per-request error (google.rpc.Status, gRPC code). */
export type BatchAnswer =
  { key: string; response: GenerateContentResponse } | { key: string; error: { code?: number; message?: string } };

export interface JobView {
  name: string;
  displayName?: string;
  state: BatchJobState;
  /** Set when the job ended with answers. */
  answers?: BatchAnswer[];
  /** The results file of a job created from a JSONL file (downloaded by `answersOf`). */
  resultsFile?: string;
  error?: string;
}

/** An inline request as the SDK takes it: the same contents and config as an interactive call. */
export function inlinedRequest(line: BatchRequestLine): InlinedRequest {
  const { contents, config } = generateContentParameters(line.request);
  return { contents, config: withoutUndefined(config), metadata: { key: line.key } };
}

/**
 * A JSONL line of a file-input job: `{key, request}` with the request in the REST API's shape (the
 * SDK converts inline requests itself, but a file is read by the server as it is).
 */
export function jsonlLine(line: BatchRequestLine): string {
  const { contents, config } = generateContentParameters(line.request);
  const generationConfig = withoutUndefined({
    temperature: config.temperature,
    maxOutputTokens: config.maxOutputTokens,
    mediaResolution: config.mediaResolution,
    responseMimeType: config.responseMimeType,
    responseJsonSchema: config.responseJsonSchema,
  });
  const system = typeof config.systemInstruction === 'string' ? config.systemInstruction : undefined;
  return JSON.stringify({
    key: line.key,
    request: {
      contents,
      ...(system ? { systemInstruction: { parts: [{ text: system }] } } : {}),
      generationConfig,
    },
  });
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** How many pages of the newest jobs are searched for a job that may already exist (100 each). */
const listPages = 5;

/**
 * Creates the job, unless a job with this display name already exists (an earlier attempt created
 * it and the worker died before the name was recorded): then that job is the answer, so a retry
 * never pays for the same requests twice.
 */
export async function findOrCreateJob(
  gemini: GeminiGateway,
  alias: string,
  job: { model: string; displayName: string; src: InlinedRequest[] | string },
): Promise<{ job: JobView; created: boolean }> {
  const existing = await findJob(gemini, alias, job.displayName);
  if (existing) return { job: existing, created: false };
  const created = await gemini.withSdk('batches', alias, job.model, (c) =>
    c.batches.create({ model: job.model, src: job.src, config: { displayName: job.displayName } }),
  );
  return { job: viewOf(created), created: true };
}

export async function findJob(gemini: GeminiGateway, alias: string, displayName: string): Promise<JobView | undefined> {
  return gemini.withSdk('batches', alias, undefined, async (c) => {
    const pager = await c.batches.list({ config: { pageSize: 100 } });
    for (let page = 0; page < listPages; page++) {
      const found = pager.page.find((j) => j.displayName === displayName);
      if (found) return viewOf(found);
      if (!pager.hasNextPage()) return undefined;
      await pager.nextPage();
    }
    return undefined;
  });
}

export async function getJob(gemini: GeminiGateway, alias: string, name: string): Promise<JobView> {
  return viewOf(await gemini.withSdk('batches', alias, undefined, (c) => c.batches.get({ name })));
}

/** Asks Gemini to cancel a job; a job that has ended already is left as it is. */
export async function cancelJob(gemini: GeminiGateway, alias: string, name: string): Promise<void> {
  await gemini.withSdk('batches', alias, undefined, (c) => c.batches.cancel({ name }));
}

/** Answers of an ended job: inline ones by their metadata key, or the results file downloaded to `downloadPath`. */
export async function answersOf(
  gemini: GeminiGateway,
  alias: string,
  job: JobView,
  downloadPath: string,
): Promise<BatchAnswer[]> {
  if (job.answers) return job.answers;
  if (!job.resultsFile) return [];
  const file = job.resultsFile;
  await gemini.withSdk('batches', alias, undefined, (c) => c.files.download({ file, downloadPath }));
  // The SDK's Node download resolves before the stream is flushed: wait until the file is whole.
  let text = '';
  for (let i = 0; i < 200; i++) {
    text = await fs.readFile(downloadPath, 'utf8').catch(() => '');
    if (text.endsWith('\n')) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as BatchAnswer);
}

function viewOf(job: BatchJob): JobView {
  const inlined = job.dest?.inlinedResponses;
  return {
    name: job.name ?? '',
    displayName: job.displayName,
    state: jobStateOf(job.state),
    ...(inlined
      ? {
          answers: inlined.map((r, i): BatchAnswer => {
            const key = r.metadata?.key ?? String(i);
            return r.response ? { key, response: r.response } : { key, error: r.error ?? {} };
          }),
        }
      : {}),
    ...(job.dest?.fileName ? { resultsFile: job.dest.fileName } : {}),
    ...(job.error?.message ? { error: job.error.message } : {}),
  };
}

/** gRPC status codes (google.rpc.Code) as the HTTP statuses the API maps them to. */
const httpOfGrpc: Record<number, [number, string]> = {
  1: [499, 'CANCELLED'],
  2: [500, 'UNKNOWN'],
  3: [400, 'INVALID_ARGUMENT'],
  4: [504, 'DEADLINE_EXCEEDED'],
  5: [404, 'NOT_FOUND'],
  7: [403, 'PERMISSION_DENIED'],
  8: [429, 'RESOURCE_EXHAUSTED'],
  9: [400, 'FAILED_PRECONDITION'],
  10: [409, 'ABORTED'],
  13: [500, 'INTERNAL'],
  14: [503, 'UNAVAILABLE'],
  16: [401, 'UNAUTHENTICATED'],
};

/**
 * A per-request error of a job, classified exactly as the same error of an interactive call would
 * be (batch errors carry gRPC codes, interactive ones HTTP statuses: the code is mapped first).
 */
export function classifyRequestError(
  error: { code?: number; message?: string; details?: unknown[] },
  ctx: { keyAlias: string; model: string },
): ApplicationFailure {
  const [status, name] = httpOfGrpc[error.code ?? 2] ?? [500, 'UNKNOWN'];
  const body = { error: { code: status, status: name, message: error.message ?? name, details: error.details } };
  // A file that is not found is a file to upload again, not a model that is gone.
  const aboutFile = status === 404 && /\bfile\b/i.test(error.message ?? '');
  return classifyGeminiError(
    { status, message: JSON.stringify(body) },
    { operation: aboutFile ? 'files.get' : 'generate', keyAlias: ctx.keyAlias, model: ctx.model },
  );
}
