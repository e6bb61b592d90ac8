import { getExternalWorkflowHandle, log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import { dispatchAllowanceMs } from '../../keys/minute-ledger';
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
  /** The call is over: the input tokens it really sent (0 when it never reached Gemini). */
  settle(inputTokens: number): Promise<void>;
}

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
        },
      ],
    );
    const { project } = booked;
    if (project === undefined) return undefined;
    const waitMs = booked.startAt - Date.now() - wakeLeadMs;
    if (waitMs > 0) {
      const why = `project ${project} has no room for ${booked.tokens} more input tokens of ${model} this minute`;
      this.progress.waitingForQuota(`Waiting ${Math.ceil(waitMs / 1000)} s: ${why}.`);
      await sleep(waitMs, { summary: summary(`wait ${Math.ceil(waitMs / 1000)} s: ${why}`) });
      this.progress.note(undefined);
      this.progress.running();
    }
    return {
      options: booked.mediaResolution ? { ...options, mediaResolution: booked.mediaResolution } : options,
      notBefore: booked.startAt,
      settle: async (inputTokens: number) => {
        try {
          await this.pool.signal(keyEventSignal, { type: 'settle', id, project, model, tokens: inputTokens });
        } catch (err) {
          log.warn('could not settle a token booking', { error: String(err) });
        }
      },
    };
  }
}
