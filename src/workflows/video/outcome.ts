import {
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType, whatToDo } from '../../failures';
import { sourceText } from '../../sources/source-text';
import type { VideoFacts, VideoInput, VideoOutcome } from '../../types';
import { shortSteps } from '../activity-proxies';
import { videoAttentionSignal, videoFinishedSignal } from '../definitions';
import { failureMessageOf, failureTypeOf } from '../failure-info';
import { summary } from '../labels';
import type { Spend } from './analysis';
import { SkipRequested } from './person';

type OutcomeBase = Pick<VideoOutcome, 'key' | 'title' | 'source' | 'usage' | 'costUsd' | 'keyAlias'>;

/** What every outcome says, whatever the ending: which video, what it spent, with which key. */
export function outcomeBase(
  input: VideoInput,
  facts: VideoFacts | undefined,
  spend: Spend,
  keyAlias: string | undefined,
): OutcomeBase {
  const { item } = input;
  return {
    key: item.key,
    title: item.title,
    source: facts?.source ?? sourceText(item.source),
    usage: spend.usage,
    costUsd: spend.costUsd,
    keyAlias,
  };
}

/** How a video that did not get to its lesson plan ended: skipped by a person, cancelled, or failed with its classified reason. */
export function unfinishedOutcome(base: OutcomeBase, err: unknown): VideoOutcome {
  if (err instanceof SkipRequested) return { ...base, status: 'skipped', reason: err.reason };
  if (isCancellation(err)) return { ...base, status: 'failed', errorType: FailureType.Cancelled, reason: 'cancelled' };
  return {
    ...base,
    status: 'failed',
    errorType: failureTypeOf(err) ?? FailureType.Unclassified,
    reason: failureMessageOf(err),
  };
}

/** New runs of a video that ends without its lesson plan end Failed (red in the Web UI), not Completed. */
export const failsWhenItFailsPatch = 'video-without-its-note-ends-failed';

/**
 * The failure a video that did not get its lesson plan ends with: the classified type (also at the
 * head of its message, which is what the Web UI shows first), the reason and what a person can do. Its outcome rides along in the details, for whoever reads the result.
 */
export function failureOfVideo(outcome: VideoOutcome): ApplicationFailure {
  const type = outcome.errorType ?? FailureType.Unclassified;
  const reason = (outcome.reason ?? 'failed').slice(0, 1000).replace(/\.?$/, '.');
  return ApplicationFailure.create({
    type,
    nonRetryable: true,
    message: `${type}: ${reason} ${whatToDo[type] ?? 'Reset this video to run it again.'}`,
    details: [outcome],
  });
}

/** The batch (if any) of this video, which hears from it by signal: waiting for a person, and how it ended. */
export class BatchLink {
  private readonly parentId = workflowInfo().parent?.workflowId;

  constructor(private readonly input: VideoInput) {}

  async attention(waiting: boolean): Promise<void> {
    if (!this.parentId) return;
    try {
      await getExternalWorkflowHandle(this.parentId).signal(videoAttentionSignal, {
        key: this.input.item.key,
        waiting,
      });
    } catch (err) {
      log.warn('could not tell the batch about attention state', { error: String(err) });
    }
  }

  /** Records the outcome in the batch report, then tells the batch: even a cancelled video must be heard. */
  async finished(outcome: VideoOutcome): Promise<void> {
    const { batchId, options } = this.input;
    if (batchId) {
      try {
        await shortSteps().housekeeping.recordOutcome.executeWithOptions(
          { summary: summary(`record ${outcome.status}: ${outcome.title} in the batch report`) },
          [{ batchId, outputDir: options.outputDir, outcome }],
        );
      } catch (err) {
        log.warn('could not record the outcome in the batch report', { error: String(err) });
      }
    }
    const parentId = this.parentId;
    if (!parentId) return;
    await CancellationScope.nonCancellable(async () => {
      try {
        await getExternalWorkflowHandle(parentId).signal(videoFinishedSignal, outcome);
      } catch (err) {
        log.warn('could not report to the batch', { error: String(err) });
      }
    });
  }
}
