/**
 * Economy mode's activities: a video prepares its analysis calls (the very requests an
 * interactive analysis sends) in its work folder and hands them to its batch's collector; the
 * collector creates Batch API jobs, looks at them, and turns their answers into the same analysis
 * work files `analyzeVideo` writes. Only paths, ids, counts and small results travel in payloads.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { GenerateContentResponse } from '@google/genai';
import { FailureType } from '../failures';
import {
  answersOf,
  cancelJob,
  classifyRequestError,
  findOrCreateJob,
  getJob,
  inlinedRequest,
  jsonlLine,
  type BatchRequestLine,
} from '../gemini/batch-api';
import { getModel, type ModelInfo } from '../gemini/catalog';
import { estimateVideoTokens } from '../gemini/cost';
import { textTokens } from '../gemini/estimate';
import { toGenerateResult, type GenerateRequest } from '../gemini/gateway';
import { writeFileAtomic, safeIdFolder } from '../output/atomic';
import { baseQueueOf } from '../keys/queues';
import type { AnalysisResult, EconomyTuning } from '../types';
import { EconomyCollectorWorkflow } from '../workflows/economy/collector-workflow';
import type { RequestOutcome } from '../workflows/economy/collector-state';
import { economyRequestSignal, type EconomyRequest } from '../workflows/economy/definitions';
import {
  clipRequests,
  completeAnalysis,
  planAnalysis,
  readStoredAnalysis,
  type AnalyzeInput,
  type PlannedAnalysis,
} from './analyze';
import type { ActivityContext } from './context';

/** What a prepared request file holds: the analysis input, and the call for each clip. */
interface PreparedFile {
  analyzeInput: AnalyzeInput;
  requests: GenerateRequest[];
}

export interface PreparedEconomyRequest {
  requestPath: string;
  clipCount: number;
  estimatedTokens: number;
  enqueuedTokenLimit?: number;
  /** An answer to this exact request is already stored (an earlier attempt paid for it). */
  stored?: AnalysisResult;
}

/** The answer file of one clip of a prepared request, beside it. */
const clipAnswerPath = (requestPath: string, clip: number): string =>
  requestPath.replace(/\.json$/, `.clip-${clip}.answer.json`);

/** A job's key for one clip of a request (unique within the job). */
const clipKey = (requestId: string, clip: number): string => `${requestId}~${clip}`;

export function batchJobActivities(ctx: ActivityContext) {
  const { gemini, catalog } = ctx.deps;
  const modelInfo = (id: string): ModelInfo | undefined => {
    try {
      return getModel(catalog, id);
    } catch {
      return undefined;
    }
  };

  async function readPrepared(requestPath: string): Promise<PreparedFile> {
    return JSON.parse(await fs.readFile(requestPath, 'utf8')) as PreparedFile;
  }

  return {
    /**
     * Builds the analysis calls exactly as `analyzeVideo` would send them and writes them to the
     * video's work folder, with the prompt tokens they enqueue against the model's limit.
     */
    async prepareEconomyRequest(input: AnalyzeInput & { requestId: string }): Promise<PreparedEconomyRequest> {
      const { requestId, ...analyzeInput } = input;
      const planned = planAnalysis(ctx, analyzeInput);
      const info = modelInfo(analyzeInput.model);
      const stored = await readStoredAnalysis(planned.analysisPath);
      const requests = clipRequests(analyzeInput, planned);
      const requestPath = path.join(planned.workDir, `economy-${safeIdFolder(requestId)}.json`);
      const estimatedTokens = estimatePromptTokens(analyzeInput, planned, requests, info);
      if (stored) return { requestPath, clipCount: requests.length, estimatedTokens, stored };
      await fs.mkdir(planned.workDir, { recursive: true });
      await writeFileAtomic(requestPath, JSON.stringify({ analyzeInput, requests } satisfies PreparedFile));
      return {
        requestPath,
        clipCount: requests.length,
        estimatedTokens,
        ...(info?.batchApi?.enqueuedTokens ? { enqueuedTokenLimit: info.batchApi.enqueuedTokens } : {}),
      };
    },

    /** Hands a request to the batch's collector, starting the collector if it is not running. */
    async sendEconomyRequest(input: {
      collectorId: string;
      label: string;
      tuning?: EconomyTuning;
      request: EconomyRequest;
    }): Promise<void> {
      const client = ctx.deps.temporal;
      if (!client) {
        throw ApplicationFailure.create({
          type: FailureType.Configuration,
          nonRetryable: true,
          message: 'This worker has no Temporal client, which economy mode needs to reach its collector.',
        });
      }
      await client.workflow.signalWithStart(EconomyCollectorWorkflow, {
        workflowId: input.collectorId,
        taskQueue: baseQueueOf(Context.current().info.taskQueue),
        args: [{ collectorId: input.collectorId, label: input.label, tuning: input.tuning }],
        signal: economyRequestSignal,
        signalArgs: [input.request],
        staticSummary: `Economy mode of ${input.label}: Batch API jobs and their answers`,
      });
    },

    /**
     * Creates the job (or finds the one an earlier attempt created under the same display name),
     * with every clip not yet answered: inline, or as a JSONL file above the inline limit.
     */
    async submitEconomyJob(input: {
      keyAlias: string;
      model: string;
      displayName: string;
      requests: Array<{ requestId: string; requestPath: string }>;
      inlineLimitBytes: number;
    }): Promise<{ name: string; state: string } | { refused: string }> {
      const lines: BatchRequestLine[] = [];
      for (const r of input.requests) {
        const prepared = await readPrepared(r.requestPath);
        for (const [clip, request] of prepared.requests.entries()) {
          if (await exists(clipAnswerPath(r.requestPath, clip))) continue; // answered by an earlier job: never paid twice
          lines.push({ key: clipKey(r.requestId, clip), request });
        }
      }
      if (lines.length === 0) return { name: '', state: 'SUCCEEDED' };
      const inline = lines.map(inlinedRequest);
      let src: typeof inline | string = inline;
      try {
        if (JSON.stringify(inline).length > input.inlineLimitBytes) {
          const dir = path.dirname(path.dirname(input.requests[0]!.requestPath));
          const file = path.join(dir, `economy-job-${safeIdFolder(input.displayName)}.jsonl`);
          await writeFileAtomic(file, lines.map(jsonlLine).join('\n') + '\n');
          const uploaded = await gemini.upload(input.keyAlias, file, {
            displayName: input.displayName,
            mimeType: 'jsonl',
          });
          src = uploaded.name;
        }
        const { job } = await findOrCreateJob(gemini, input.keyAlias, {
          model: input.model,
          displayName: input.displayName,
          src,
        });
        return { name: job.name, state: job.state };
      } catch (err) {
        // Over the model's enqueued-token quota: the requests wait for a running job to end.
        if (err instanceof ApplicationFailure && err.type === FailureType.QuotaPerMinute)
          return { refused: err.message };
        throw err;
      }
    },

    async cancelEconomyJob(input: { keyAlias: string; name: string }): Promise<void> {
      await cancelJob(gemini, input.keyAlias, input.name);
    },

    async checkEconomyJob(input: { keyAlias: string; name: string }): Promise<{ state: string }> {
      const job = await getJob(gemini, input.keyAlias, input.name);
      return { state: job.state };
    },

    /**
     * Reads an ended job's answers: each clip's answer is stored beside its request; a request
     * whose clips are all answered is validated, repaired and stored as an analysis exactly as an
     * interactive one (at the batch price). Per-request errors are classified as interactive ones.
     */
    async collectEconomyJob(input: {
      keyAlias: string;
      /** Empty when every clip was answered by earlier jobs. */
      name: string;
      requests: Array<{ requestId: string; requestPath: string }>;
    }): Promise<RequestOutcome[]> {
      const answers = new Map<
        string,
        { response?: GenerateContentResponse; error?: { code?: number; message?: string } }
      >();
      if (input.name && input.requests[0]) {
        const job = await getJob(gemini, input.keyAlias, input.name);
        const download = path.join(
          path.dirname(path.dirname(input.requests[0].requestPath)),
          `economy-results-${safeIdFolder(input.name)}.jsonl`,
        );
        for (const a of await answersOf(gemini, input.keyAlias, job, download)) answers.set(a.key, a);
      }
      const outcomes: RequestOutcome[] = [];
      for (const r of input.requests) {
        Context.current().heartbeat();
        outcomes.push(await outcomeOf(r, answers));
      }
      return outcomes;
    },
  };

  async function outcomeOf(
    r: { requestId: string; requestPath: string },
    answers: Map<string, { response?: GenerateContentResponse; error?: { code?: number; message?: string } }>,
  ): Promise<RequestOutcome> {
    const { requestId, requestPath } = r;
    const prepared = await readPrepared(requestPath);
    const { analyzeInput } = prepared;
    const planned = planAnalysis(ctx, analyzeInput);
    const stored = await readStoredAnalysis(planned.analysisPath);
    if (stored) return { requestId, kind: 'result', result: stored };
    let retry: string | undefined;
    for (const clip of prepared.requests.keys()) {
      const file = clipAnswerPath(requestPath, clip);
      if (await exists(file)) continue;
      const answer = answers.get(clipKey(requestId, clip));
      if (answer?.response) {
        await writeFileAtomic(file, JSON.stringify(answer.response));
        continue;
      }
      if (!answer) {
        retry ??= 'no answer for it in the job';
        continue;
      }
      const failure = classifyRequestError(answer.error ?? {}, {
        keyAlias: analyzeInput.keyAlias,
        model: analyzeInput.model,
      });
      if (!failure.nonRetryable) {
        retry ??= failure.message;
        continue;
      }
      return failureOutcome(requestId, failure);
    }
    if (retry) return { requestId, kind: 'retry', reason: retry };
    try {
      const result = await completeAnalysis(
        ctx,
        analyzeInput,
        planned,
        async (clip) =>
          toGenerateResult(
            JSON.parse(await fs.readFile(clipAnswerPath(requestPath, clip), 'utf8')) as GenerateContentResponse,
          ),
        { batch: true },
      );
      return { requestId, kind: 'result', result };
    } catch (err) {
      if (err instanceof ApplicationFailure && err.type) return failureOutcome(requestId, err);
      throw err;
    }
  }
}

function failureOutcome(requestId: string, failure: ApplicationFailure): RequestOutcome {
  const details = failure.details?.[0];
  return {
    requestId,
    kind: 'failure',
    failureType: failure.type ?? FailureType.Unclassified,
    message: failure.message,
    ...(details && typeof details === 'object' ? { details: details as Record<string, unknown> } : {}),
  };
}

/** Prompt tokens the calls enqueue: video at the plan's resolution, plus prompt, instruction and schema. */
function estimatePromptTokens(
  input: AnalyzeInput,
  planned: PlannedAnalysis,
  requests: GenerateRequest[],
  info: ModelInfo | undefined,
): number {
  const schema = textTokens(JSON.stringify(planned.template.responseJsonSchema));
  return requests.reduce((sum, req) => {
    const clip = req.video?.clip;
    const seconds = clip ? clip.endSeconds - clip.startSeconds : (input.facts.durationSeconds ?? 0);
    const video = info ? estimateVideoTokens(info, seconds, planned.resolution) : 0;
    return sum + video + textTokens(req.prompt) + textTokens(req.systemInstruction ?? '') + schema;
  }, 0);
}

async function exists(file: string): Promise<boolean> {
  return fs
    .access(file)
    .then(() => true)
    .catch(() => false);
}
