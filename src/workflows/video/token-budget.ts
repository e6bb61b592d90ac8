import { getExternalWorkflowHandle, log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import { dispatchAllowanceMs } from '../../keys/minute-ledger';
import type { BookedClip } from '../../activities/keys';
import type { ProcessingOptions, VideoFacts, VideoInput } from '../../types';
import { keyPool } from '../activity-proxies';
import { keyPoolWorkflowId } from '../ids';
import { keyEventSignal } from '../key-pool-workflow';
import { summary } from '../labels';
import type { VideoProgress } from './progress';

/** A call booked against its project's minute, to settle once the call is over. */
export interface BookedCall {
  /** The options the analysis runs with (low resolution when that is what fits the minute). */
  options: ProcessingOptions;
  /** The booked moment: the analysis activity waits for it (the workflow wakes a little before). */
  notBefore: number;
  /**
   * A video above the whole minute: its clips, each booked on its own; the activity sends each at
   * its moment (the first at `notBefore`).
   */
  clips?: Array<{ startSeconds: number; endSeconds: number; notBefore: number }>;
  /**
   * The call is over: the input tokens it really sent (0 when it never reached Gemini); for a call
   * in clips, each clip's (a clip not known to have been sent settles 0).
   */
  settle(inputTokens: number, clipTokens?: number[]): Promise<void>;
}

/** Histories from before videos above the minute went in clips (they were refused) replay as they ran. */
export const tokenBudgetClipsPatch = 'token-budget-clips';

/**
 * The workflow wakes this long before its booked moment and the analysis activity waits out the
 * rest: the timer, the workflow task and the activity's dispatch take a second or more on a busy
 * machine, and a call that starts late overlaps the call booked a minute after it. The ledger
 * books calls that go sooner than this as possibly late by the difference.
 */
const wakeLeadMs = dispatchAllowanceMs;

/** Whether a key's project has a tokens-per-minute limit for the model (names only, from the batch input). */
function limitsTokens(models: string[] | undefined, model: string): boolean {
  return !!models && (models.includes(model) || models.includes('*'));
}

/**
 * Tokens per minute kept before the call: where the key's project has a tpm limit, the analysis's
 * expected input tokens are booked in the shared key pool first, the video sleeps (durably, with
 * the reason in the Web UI's timeline) until its booked moment, and the actual usage settles the
 * booking afterwards. Without such a limit nothing is asked and nothing changes.
 */
export class TokenBudget {
  private calls = 0;
  private readonly pool = getExternalWorkflowHandle(keyPoolWorkflowId(workflowInfo().taskQueue));

  constructor(
    private readonly input: VideoInput,
    private readonly progress: VideoProgress,
  ) {}

  async reserve(alias: string, model: string, facts: VideoFacts): Promise<BookedCall | undefined> {
    const { item, options } = this.input;
    if (!limitsTokens(options.tokenLimitedModels?.[alias], model)) return undefined;
    if (!patched('token-reservations')) return undefined;
    const clips = patched(tokenBudgetClipsPatch);
    const id = `${workflowInfo().workflowId}/${workflowInfo().runId}#${++this.calls}`;
    const booked = await keyPool.reserveTokens.executeWithOptions(
      { summary: summary(`book the input tokens of the call to ${model} in the minute of key ${alias}'s project`) },
      [
        {
          id,
          keyAlias: alias,
          model,
          facts,
          sourceKind: item.source.kind,
          options: {
            template: options.template,
            templateDirs: options.templateDirs,
            templateParams: options.templateParams,
            mediaResolution: options.mediaResolution,
          },
          ...(clips ? { clips: true } : {}),
        },
      ],
    );
    const { project } = booked;
    if (project === undefined) return undefined;
    const parts = booked.clips;
    const waitMs = booked.startAt - Date.now() - wakeLeadMs;
    if (waitMs > 0) {
      const what = parts
        ? `clip 1/${parts.length} (${parts[0].tokens} input tokens of ${model})`
        : `${booked.tokens} more input tokens of ${model}`;
      const why = `project ${project} has no room for ${what} this minute`;
      this.progress.waitingForQuota(`Waiting ${Math.ceil(waitMs / 1000)} s: ${why}.`);
      await sleep(waitMs, { summary: summary(`wait ${Math.ceil(waitMs / 1000)} s: ${why}`) });
      this.progress.note(undefined);
      this.progress.running();
    }
    if (parts) {
      this.progress.note(clipsNote(parts, project, booked.tpm));
      this.progress.show();
    }
    const settleOne = async (bookingId: string, tokens: number) => {
      try {
        await this.pool.signal(keyEventSignal, { type: 'settle', id: bookingId, project, model, tokens });
      } catch (err) {
        log.warn('could not settle a token booking', { error: String(err) });
      }
    };
    return {
      options: booked.mediaResolution ? { ...options, mediaResolution: booked.mediaResolution } : options,
      notBefore: booked.startAt,
      ...(parts
        ? {
            clips: parts.map((c) => ({ startSeconds: c.startSeconds, endSeconds: c.endSeconds, notBefore: c.startAt })),
          }
        : {}),
      settle: async (inputTokens: number, clipTokens?: number[]) => {
        if (!parts) return settleOne(id, inputTokens);
        // Without each clip's figure (a failure that did not say), the first clip carries what was spent.
        for (const [i, clip] of parts.entries())
          await settleOne(clip.id, clipTokens?.[i] ?? (i === 0 ? inputTokens : 0));
      },
    };
  }
}

/** The video's note while its clips go: how many, over how long, and why. */
function clipsNote(parts: BookedClip[], project: string, tpm: number | undefined): string {
  const spanS = Math.round((parts[parts.length - 1].startAt - parts[0].startAt) / 1000);
  const span = spanS < 90 ? `${spanS} s` : `~${Math.round(spanS / 60)} minutes`;
  const limit = tpm !== undefined ? `${tpm} tokens per minute` : 'tokens per minute';
  return `In ${parts.length} clips booked over ${span}: the whole video is more than project ${project}'s ${limit} allow in one call.`;
}
