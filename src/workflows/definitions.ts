import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BatchProgress, VideoOutcome, VideoState } from '../types';

// Batch handlers. Children report to their batch by workflow id, so the batch hears from them
// even after it has continued as new.
export const videoFinishedSignal = defineSignal<[VideoOutcome]>('videoFinished');
export const videoAttentionSignal = defineSignal<[{ key: string; waiting: boolean }]>('videoAttention');
export const cancelBatchSignal = defineSignal<[{ reason?: string }?]>('cancel');
export const progressQuery = defineQuery<BatchProgress>('progress');

// Video handlers, offered in the Web UI's Signal dialog when a step has failed for good.
export const retrySignal = defineSignal<[{ model?: string }?]>('retry');
export const skipSignal = defineSignal<[{ reason?: string }?]>('skip');
export const videoStatusQuery = defineQuery<VideoState>('status');

/** What a person's retry or skip did, in words: the CLI and the Web UI show it as the answer. */
export interface DecisionAnswer {
  accepted: true;
  message: string;
}

// The same decisions as Updates: a validator refuses one that cannot apply (a retry to a video that
// is not waiting, a skip to a running one) with a reason, and the caller learns what happened.
export const retryUpdate = defineUpdate<DecisionAnswer, [{ model?: string }]>('retryStep');
export const skipUpdate = defineUpdate<DecisionAnswer, [{ reason?: string }]>('skipVideo');

export const handlerDescriptions = {
  videoFinished: 'Sent by a VideoWorkflow when it ends (succeeded, failed or skipped).',
  videoAttention: 'Sent by a VideoWorkflow when it starts or stops waiting for a person.',
  cancel: 'Stop starting new videos; videos in flight finish; the summary says what was done.',
  progress: 'Counts of done, failed, running and waiting videos, tokens and cost so far.',
  retry: 'Run the failed step again. Optional JSON: {"model": "gemini-3.5-flash-lite"} to use another model.',
  skip: 'Give up on this video and record it as skipped. Optional JSON: {"reason": "..."}',
  status: 'The current step, model, key and, when waiting, why.',
  retryStep:
    'Run the failed step of a waiting video again, and say so; refused if the video is not waiting. Optional JSON: {"model": "gemini-3.5-flash-lite"}',
  skipVideo:
    'Give up on a waiting video (recorded as skipped), and say so; refused while the video is running. Optional JSON: {"reason": "..."}',
} as const;
