import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { FailureType } from '../failures';
import type { ApiKey } from '../config';
import { findModel } from '../gemini/catalog';
import { lowResolutionSaves, type Clip } from '../gemini/cost';
import { clipBudgetShare, minimumClipSeconds } from '../gemini/minute-clips';
import { estimateForVideo } from '../gemini/estimate';
import type { KeyConfigView, Acquired, ModelLimits } from '../keys/pool-state';
import { quotaWarnings } from '../keys/pool-state';
import { projectOf } from '../keys/projects';
import { baseQueueOf } from '../keys/queues';
import type { MediaResolution, ProcessingOptions, VideoFacts } from '../types';
import {
  acquireKeyUpdate,
  keyPoolQuery,
  KeyPoolWorkflow,
  reserveTokensUpdate,
  type KeyPoolInput,
} from '../workflows/key-pool-workflow';
import { keyPoolWorkflowId } from '../workflows/ids';
import { bookInClips } from './clip-booking';
import type { ActivityContext } from './context';
import { templateFailure } from './template-failure';

export interface ReserveTokensInput {
  /** Unique per analysis call: the video's workflow id and the call's number. */
  id: string;
  keyAlias: string;
  model: string;
  facts: VideoFacts;
  sourceKind: 'file' | 'youtube';
  options: Pick<ProcessingOptions, 'template' | 'templateDirs' | 'templateParams' | 'mediaResolution'>;
  /** A video above the whole budget may go in clips booked one by one (runs from before this refuse it). */
  clips?: boolean;
}

/** One clip of a video booked in clips: its part of the video and its own moment in the project's minute. */
export interface BookedClip extends Clip {
  /** When the clip's call may start. */
  startAt: number;
  /** Input tokens booked for it. */
  tokens: number;
  /** Its booking's id (`<call id>#clip<n>`), settled with the tokens the clip really sent. */
  id: string;
}

/** When the call may start; `project` and `tokens` only when something was booked (to settle later). */
export interface TokenReservation {
  startAt: number;
  tokens: number;
  project?: string;
  /** Set when the video must go at low resolution to fit the project's minute, or goes in clips. */
  mediaResolution?: MediaResolution;
  /** Set when the video goes in clips, each booked in the minute on its own (in order). */
  clips?: BookedClip[];
  /** The project's tokens per minute (for the video's progress note). */
  tpm?: number;
}

function limitsOf(key: ApiKey, model: string): ModelLimits {
  return { ...key.limits['*'], ...key.limits[model] };
}

/** Names, projects and limits only; the values stay in this worker. */
function poolViews(ctx: ActivityContext): KeyConfigView[] {
  return (
    ctx.deps.keys?.map((k) => ({ alias: k.alias, limits: k.limits, ...(k.project ? { project: k.project } : {}) })) ??
    []
  );
}

function keyPoolStart(baseQueue: string, views: KeyConfigView[]) {
  return new WithStartWorkflowOperation(KeyPoolWorkflow, {
    workflowId: keyPoolWorkflowId(baseQueue),
    taskQueue: baseQueue,
    args: [{ keys: views } satisfies KeyPoolInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: 'Gemini keys: quotas, parking and usage for this task queue',
  });
}

export function keyActivities(ctx: ActivityContext) {
  return {
    /** Keys near a daily limit, from the shared key pool (none when the pool has not started). */
    async keyQuotaWarnings(input: { percent: number }): Promise<string[]> {
      const client = ctx.deps.temporal;
      if (!client) return [];
      try {
        const pool = await client.workflow
          .getHandle(keyPoolWorkflowId(baseQueueOf(Context.current().info.taskQueue)))
          .query(keyPoolQuery);
        return quotaWarnings(pool, input.percent);
      } catch {
        return [];
      }
    },

    /**
     * Asks the key pool (starting it if needed) which key the video should use for this model.
     * Only names and limits go to the pool; the values stay in this worker.
     */
    async chooseKey(input: { model: string }): Promise<Acquired> {
      const client = ctx.deps.temporal;
      const views = poolViews(ctx);
      if (!client || views.length === 0) {
        throw ApplicationFailure.create({
          type: FailureType.Configuration,
          nonRetryable: true,
          message: 'This worker has no Gemini keys configured.',
        });
      }
      const taskQueue = Context.current().info.taskQueue;
      return client.workflow.executeUpdateWithStart(acquireKeyUpdate, {
        args: [{ model: input.model, keys: views }],
        startWorkflowOperation: keyPoolStart(baseQueueOf(taskQueue), views),
      });
    },
    /**
     * Books the analysis's expected input tokens against its project's per-minute budget in the
     * shared key pool (starting it if needed), and says when the call may start. The expectation
     * is the catalog's arithmetic for the video (duration × the model's rate at the planned
     * resolution, plus prompt, system instruction and schema). A video above the whole budget goes
     * at low resolution where that saves tokens on the model, else it is refused for good.
     */
    async reserveTokens(input: ReserveTokensInput): Promise<TokenReservation> {
      const key = ctx.deps.keys?.find((k) => k.alias === input.keyAlias);
      const tpm = key ? limitsOf(key, input.model).tpm : undefined;
      const client = ctx.deps.temporal;
      if (!key || tpm === undefined || !client) return { startAt: Date.now(), tokens: 0 };
      const project = projectOf(key);
      const info = findModel(ctx.deps.catalog, input.model);
      if (!info) return { startAt: Date.now(), tokens: 0 }; // nothing to reckon with: the 429 path still holds
      const template = templateFailure(() => ctx.templates(input.options.templateDirs).get(input.options.template));
      // A resolution the batch or the template chose is kept; only the tool's own choice may go low.
      const forced = input.options.mediaResolution ?? template.manifest.model?.mediaResolution;
      const expect = (resolution?: MediaResolution) =>
        estimateForVideo({
          model: info,
          template,
          templateParams: input.options.templateParams,
          video: {
            title: input.facts.title,
            source: input.facts.source,
            sourceKind: input.sourceKind,
            durationSeconds: input.facts.durationSeconds,
          },
          forcedResolution: resolution,
          now: ctx.now(),
        });
      const taskQueue = baseQueueOf(Context.current().info.taskQueue);
      const book = (tokens: number, parts?: number[]) =>
        client.workflow.executeUpdateWithStart(reserveTokensUpdate, {
          args: [
            {
              id: input.id,
              project,
              model: input.model,
              tokens,
              tpm,
              ...(parts ? { parts } : {}),
              ...(ctx.deps.quotaMinuteMs ? { minuteMs: ctx.deps.quotaMinuteMs } : {}),
            },
          ],
          startWorkflowOperation: keyPoolStart(taskQueue, poolViews(ctx)),
        });
      let estimate = expect(forced);
      let booked = await book(estimate.expected.inputTokens);
      let lowered = false;
      if ('tooLarge' in booked && !forced && estimate.resolution !== 'low' && lowResolutionSaves(info)) {
        estimate = expect('low');
        booked = await book(estimate.expected.inputTokens);
        lowered = true;
      }
      const wholeTokens = booked.tokens;
      let shortestClip: number | undefined;
      // Still too large: in clips, each booked in a minute of its own (a link of unknown length cannot be cut).
      if ('tooLarge' in booked && input.clips && input.facts.durationSeconds !== undefined) {
        const inClips = await bookInClips({
          info,
          estimate,
          durationSeconds: input.facts.durationSeconds,
          refused: booked,
          bookParts: (parts) => book(0, parts),
        });
        if ('clips' in inClips) return { project, tpm, mediaResolution: estimate.resolution, ...inClips };
        if ('shortestClip' in inClips) shortestClip = inClips.shortestClip;
        else booked = inClips.refused;
      }
      if ('tooLarge' in booked) {
        const clipsToo =
          shortestClip !== undefined
            ? `; even a clip of ${minimumClipSeconds} s needs about ${shortestClip}, more than the ${Math.floor(booked.budget * clipBudgetShare)} one clip may take (${Math.round(clipBudgetShare * 100)} % of the ${booked.budget} one minute holds)`
            : '';
        throw ApplicationFailure.create({
          type: FailureType.OverTokenBudget,
          nonRetryable: true,
          message:
            `${input.facts.title} needs about ${wholeTokens} input tokens for ${input.model} at ${estimate.resolution} resolution, ` +
            `more than the ${tpm} tokens per minute of project "${project}" (key ${key.alias}) allow in one call` +
            clipsToo +
            (forced
              ? ` (the resolution was set to ${forced} by the batch or the template; low would need fewer tokens where the model charges less for it)`
              : lowResolutionSaves(info)
                ? ''
                : ` (low resolution saves no tokens on ${input.model})`) +
            '. Raise the tpm limit in the config if the project has more, or choose a model with a larger per-minute quota.',
        });
      }
      return {
        project,
        startAt: booked.startAt,
        tokens: booked.tokens,
        ...(lowered ? { mediaResolution: 'low' as const } : {}),
      };
    },
  };
}
