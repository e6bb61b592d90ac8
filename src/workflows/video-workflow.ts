import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../failures';
import { VideoStatusAttr, VideoStatusValue, ModelAttr } from '../search-attributes';
import {
  addUsage,
  emptyUsage,
  type AnalysisResult,
  type UploadedFile,
  type VideoFacts,
  type VideoInput,
  type VideoOutcome,
  type VideoState,
} from '../types';
import { analysis, formatting, housekeeping, inspection, keyPool, uploading, writing } from './activity-proxies';
import { analysisQueueFor } from '../keys/queues';
import { keyEventSignal, keyPoolWorkflowId, type KeyEvent } from './key-pool-workflow';
import {
  handlerDescriptions,
  retrySignal,
  skipSignal,
  videoAttentionSignal,
  videoFinishedSignal,
  videoStatusQuery,
} from './definitions';

/** How often a video tries again by itself before a person is asked. */
const maxInvalidOutputRetries = 2;
const maxReuploads = 2;

class SkipRequested extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

type Decision = { kind: 'retry'; model?: string } | { kind: 'skip'; reason: string };

/** The failure type an activity raised (or the workflow's own), as classified where it happened. */
export function failureTypeOf(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  if (err instanceof ApplicationFailure) return err.type ?? undefined;
  return undefined;
}

function failureMessageOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

function failureDetailsOf(err: unknown): Record<string, unknown> | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (failure instanceof ApplicationFailure && Array.isArray(failure.details)) {
    return failure.details[0] as Record<string, unknown> | undefined;
  }
  return undefined;
}

/**
 * One video, from file or link to Markdown: inspect → upload → analyze → format → write, each an
 * activity with its own retry policy. Recoverable Gemini outcomes are handled here (next model,
 * upload again, wait for a quota reset); a step that fails for good waits for a person's `retry`
 * or `skip` when a grace period is set. Reports its outcome to its batch.
 */
export async function VideoWorkflow(input: VideoInput): Promise<VideoOutcome> {
  const { item, options } = input;
  const state: VideoState = { step: 'inspect', status: 'running' };
  let decision: Decision | undefined;
  let usage = emptyUsage();
  let costUsd = 0;
  let models = [...options.models];
  /** The key this video uses; its upload and analysis must share it (files belong to a key's project). */
  // With one key (or one forced) there is nothing to choose: the shared key pool is only for several.
  const usePool = !options.keyAlias && input.keyAliases.length > 1;
  let chosenKey: string | undefined = options.keyAlias ?? (usePool ? undefined : input.keyAliases[0]);
  const keyAlias = () => chosenKey ?? '(choosing)';
  const pool = getExternalWorkflowHandle(keyPoolWorkflowId(workflowInfo().taskQueue));
  const tellPool = async (event: KeyEvent) => {
    try {
      await pool.signal(keyEventSignal, event);
    } catch (err) {
      log.warn('could not report to the key pool', { error: String(err) });
    }
  };

  setHandler(videoStatusQuery, () => state, { description: handlerDescriptions.status });
  setHandler(
    retrySignal,
    (args) => {
      if (state.status !== 'needs-attention') {
        // Sent with a Reset (retry-failed --model), before the rerun's first step: steps to come use that model.
        if (args?.model) models = [args.model, ...models.filter((m) => m !== args.model)];
        return;
      }
      decision = { kind: 'retry', model: args?.model };
    },
    { description: handlerDescriptions.retry },
  );
  setHandler(
    skipSignal,
    (args) => {
      decision = { kind: 'skip', reason: args?.reason ?? 'skipped by a person' };
    },
    { description: handlerDescriptions.skip },
  );

  const parentId = workflowInfo().parent?.workflowId;
  const tellParent = async (waiting: boolean) => {
    if (!parentId) return;
    try {
      await getExternalWorkflowHandle(parentId).signal(videoAttentionSignal, { key: item.key, waiting });
    } catch (err) {
      log.warn('could not tell the batch about attention state', { error: String(err) });
    }
  };

  const showDetails = () => {
    const lines = [`**${item.title}**`, `Step: ${state.step} · ${state.status}`];
    if (state.model) lines.push(`Model: ${state.model} · key: ${state.keyAlias ?? keyAlias()}`);
    if (state.note) lines.push(state.note);
    if (state.attention) {
      lines.push(
        '',
        `**Needs attention** since ${state.attention.since}: ${state.attention.step} failed`,
        `${state.attention.errorType ?? 'Error'}: ${state.attention.message}`,
        '',
        'Send the `retry` signal (optionally `{"model": "<id>"}`) to run the step again, or `skip` to give up on this video.',
      );
    }
    setCurrentDetails(lines.join('\n'));
  };
  showDetails();

  /**
   * Runs a step; if it fails for good and a grace period is set, waits for a person to retry or
   * skip it instead of failing the video at once.
   */
  async function attempt<T>(step: VideoState['step'], run: () => Promise<T>): Promise<T> {
    for (;;) {
      state.step = step;
      showDetails();
      try {
        return await run();
      } catch (err) {
        if (isCancellation(err) || err instanceof SkipRequested || options.failureGraceSeconds <= 0) throw err;
        state.status = 'needs-attention';
        state.attention = {
          step,
          errorType: failureTypeOf(err),
          message: failureMessageOf(err),
          since: new Date().toISOString(),
        };
        upsertSearchAttributes([{ key: VideoStatusAttr, value: VideoStatusValue.needsAttention }]);
        showDetails();
        await tellParent(true);
        decision = undefined;
        const decided = await condition(() => decision !== undefined, options.failureGraceSeconds * 1000);
        state.status = 'running';
        state.attention = undefined;
        upsertSearchAttributes([{ key: VideoStatusAttr, value: VideoStatusValue.running }]);
        await tellParent(false);
        // Set by a signal handler while we waited; TypeScript cannot see that.
        const chosen = decision as Decision | undefined;
        decision = undefined;
        if (!decided || !chosen) throw err;
        if (chosen.kind === 'skip') throw new SkipRequested(chosen.reason);
        if (chosen.model) models = [chosen.model, ...models.filter((m) => m !== chosen.model)];
      }
    }
  }

  let facts: VideoFacts | undefined;
  let uploaded: UploadedFile | undefined;

  /**
   * The key pool (shared by every worker) hands out a key with quota left; when every key waits
   * for its daily reset, this waits too, durably, asking again now and then.
   */
  const ensureKey = async (): Promise<string> => {
    while (!chosenKey) {
      const got = await keyPool.chooseKey({ model: models[0] });
      if ('alias' in got) {
        chosenKey = got.alias;
        break;
      }
      if ('error' in got)
        throw ApplicationFailure.create({ type: FailureType.InvalidApiKey, nonRetryable: true, message: got.error });
      state.status = 'waiting-for-quota';
      state.note = `Waiting: ${got.reason}; quotas reset at ${got.waitUntil}.`;
      showDetails();
      const untilMs = Date.parse(got.waitUntil) - Date.now();
      await sleep(Math.max(1000, Math.min(untilMs, (options.quotaRecheckSeconds ?? 300) * 1000)));
    }
    state.status = 'running';
    return chosenKey;
  };

  /** A key that cannot serve this video any more: tell the pool, and take another. */
  const dropKey = async (event: KeyEvent) => {
    await tellPool(event);
    // The copy uploaded with that key is of no use to another key's project; free its storage.
    const stale = uploaded;
    if (stale && event.type === 'park') {
      try {
        await housekeeping.deleteUpload({ file: stale });
      } catch (err) {
        log.warn('could not delete an upload left on a parked key', { file: stale.name, error: String(err) });
      }
    }
    chosenKey = undefined;
    uploaded = undefined;
  };

  const upload = async (): Promise<UploadedFile | undefined> => {
    if (item.source.kind === 'youtube' || !facts) return undefined;
    const currentFacts = facts;
    uploaded = await attempt('upload', async () => {
      for (;;) {
        const alias = await ensureKey();
        try {
          return await uploading.uploadVideo({
            workflowId: workflowInfo().workflowId,
            item,
            facts: currentFacts,
            keyAlias: alias,
          });
        } catch (err) {
          if (failureTypeOf(err) !== FailureType.InvalidApiKey || !usePool) throw err;
          await dropKey({ type: 'disable', alias, reason: failureMessageOf(err) });
        }
      }
    });
    return uploaded;
  };

  /** Analysis with every recoverable outcome handled in place. */
  const analyze = async (): Promise<AnalysisResult> => {
    let invalidOutputs = 0;
    let reuploads = 0;
    let maxOutputTokens: number | undefined;
    let truncationRetried = false;
    for (;;) {
      const model = models[0];
      state.model = model;
      state.keyAlias = keyAlias();
      try {
        const alias = await ensureKey();
        if (item.source.kind === 'file' && !uploaded) await upload();
        const queue = analysisQueueFor(workflowInfo().taskQueue, alias, model, options.rateLimitedModels);
        const args = {
          workflowId: workflowInfo().workflowId,
          item,
          facts: facts!,
          file: uploaded,
          options,
          model,
          keyAlias: alias,
          maxOutputTokens,
        };
        // A key with per-minute limits is called only through its own queue, whose rate the server enforces.
        const result = queue
          ? await analysis.analyzeVideo.executeWithOptions({ taskQueue: queue }, [args])
          : await analysis.analyzeVideo(args);
        usage = addUsage(usage, result.usage);
        costUsd += result.costUsd;
        if (result.truncated && !truncationRetried && !result.atModelLimit) {
          // Once with a larger limit; if still cut short, keep it and mark it truncated.
          truncationRetried = true;
          maxOutputTokens = result.maxOutputTokens * 2;
          state.note = `Answer was cut short at ${result.maxOutputTokens} tokens; asking again with ${maxOutputTokens}.`;
          continue;
        }
        state.note = undefined;
        return result;
      } catch (err) {
        const type = failureTypeOf(err);
        const details = failureDetailsOf(err);
        if (details && typeof details.usage === 'object' && details.usage) {
          usage = addUsage(usage, details.usage as VideoOutcome['usage']);
          costUsd += typeof details.costUsd === 'number' ? details.costUsd : 0;
        }
        if (type === FailureType.ModelUnavailable && models.length > 1) {
          log.warn('model unavailable, falling back', { model, next: models[1] });
          state.note = `Model ${model} unavailable; falling back to ${models[1]}.`;
          models = models.slice(1);
          continue;
        }
        if (type === FailureType.FileUnavailable && reuploads < maxReuploads && item.source.kind === 'file') {
          reuploads++;
          state.note = 'The uploaded file was gone; uploading again.';
          await upload();
          continue;
        }
        if (type === FailureType.InvalidModelOutput && invalidOutputs < maxInvalidOutputRetries) {
          invalidOutputs++;
          state.note = `The model's answer did not match the template (${invalidOutputs}/${maxInvalidOutputRetries} retries).`;
          continue;
        }
        if (type === FailureType.QuotaPerDay && chosenKey) {
          const resetAt =
            typeof details?.resetAt === 'string' ? details.resetAt : new Date(Date.now() + 3_600_000).toISOString();
          state.note = `Daily quota of key "${chosenKey}" used up; it rests until ${resetAt}.`;
          if (usePool) {
            await dropKey({ type: 'park', alias: chosenKey, until: resetAt, reason: 'daily quota used up' });
          } else {
            // The only key: a durable wait (no worker is busy meanwhile), then the same key again.
            state.status = 'waiting-for-quota';
            showDetails();
            await sleep(Math.max(1000, Date.parse(resetAt) - Date.now() + 60_000));
            state.status = 'running';
          }
          continue;
        }
        if (type === FailureType.InvalidApiKey && chosenKey && usePool) {
          await dropKey({ type: 'disable', alias: chosenKey, reason: failureMessageOf(err) });
          continue;
        }
        throw err;
      }
    }
  };

  const outcomeBase = () => ({
    key: item.key,
    title: item.title,
    source: facts?.source ?? sourceText(input),
    usage,
    costUsd,
    keyAlias: chosenKey,
  });
  let outcome: VideoOutcome;
  try {
    upsertSearchAttributes([{ key: VideoStatusAttr, value: VideoStatusValue.running }]);
    facts = await attempt('inspect', () => inspection.inspectVideo({ item, options }));
    if (facts.upToDate) {
      outcome = {
        ...outcomeBase(),
        status: 'skipped',
        reason: 'up to date (same content, template and model)',
        outputPath: facts.upToDate.outputPath,
      };
    } else {
      await upload();
      const result = await attempt('analyze', analyze);
      upsertSearchAttributes([{ key: ModelAttr, value: result.model }]);
      const draft = await attempt('format', () =>
        formatting.formatDocument({
          workflowId: workflowInfo().workflowId,
          item,
          facts: facts!,
          analysis: result,
          options,
          usage,
          costUsd,
        }),
      );
      const written = await attempt('write', () =>
        writing.writeOutput({
          item,
          facts: facts!,
          draftPath: draft.draftPath,
          options,
          model: result.model,
          batchId: input.batchId,
        }),
      );
      outcome = {
        ...outcomeBase(),
        status: 'succeeded',
        outputPath: written.outputPath,
        model: result.model,
        truncated: result.truncated,
        ...(result.repairs ? { repairs: result.repairs } : {}),
        reason: written.note,
      };
      if (uploaded && !options.keepUploads) {
        state.step = 'cleanup';
        const toDelete = uploaded;
        try {
          await housekeeping.deleteUpload({ file: toDelete });
        } catch (err) {
          // Gemini deletes files after 48 h anyway; a failed clean-up is not a failed video.
          log.warn('could not delete the uploaded file', { file: toDelete.name, error: String(err) });
        }
      }
    }
  } catch (err) {
    if (err instanceof SkipRequested) {
      outcome = { ...outcomeBase(), status: 'skipped', reason: err.reason };
    } else if (isCancellation(err)) {
      outcome = { ...outcomeBase(), status: 'failed', errorType: 'Cancelled', reason: 'cancelled' };
    } else {
      outcome = {
        ...outcomeBase(),
        status: 'failed',
        errorType: failureTypeOf(err) ?? 'Error',
        reason: failureMessageOf(err),
      };
    }
  }

  state.step = 'done';
  state.status = outcome.status;
  state.note = outcome.reason;
  showDetails();
  const statusValue = {
    succeeded: VideoStatusValue.succeeded,
    failed: VideoStatusValue.failed,
    skipped: VideoStatusValue.skipped,
  }[outcome.status];
  upsertSearchAttributes([{ key: VideoStatusAttr, value: statusValue }]);
  if (input.batchId) {
    const recorded = outcome;
    try {
      await housekeeping.recordOutcome({ batchId: input.batchId, outputDir: options.outputDir, outcome: recorded });
    } catch (err) {
      log.warn('could not record the outcome in the batch report', { error: String(err) });
    }
  }
  if (parentId) {
    const finished = outcome;
    // Even when this video was cancelled, the batch must hear how it ended.
    await CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(parentId).signal(videoFinishedSignal, finished);
      } catch (err) {
        log.warn('could not report to the batch', { error: String(err) });
      }
    });
  }
  if (outcome.status === 'failed') {
    // A video without its lesson plan is a Failed workflow: red in the Web UI, and Temporal's
    // Reset runs it again. Its outcome is recorded and reported above, so the batch is unchanged.
    throw ApplicationFailure.create({
      type: outcome.errorType ?? 'Error',
      nonRetryable: true,
      message: `${outcome.reason ?? 'failed'} (Reset this workflow to its first workflow task to try again.)`,
      details: [{ key: outcome.key, title: outcome.title }],
    });
  }
  return outcome;
}

function sourceText(input: VideoInput): string {
  return input.item.source.kind === 'file' ? input.item.source.path : input.item.source.url;
}
