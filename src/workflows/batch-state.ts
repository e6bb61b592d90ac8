import { usageKey } from './batch/usage-key';
import { addUsage, type BatchCarriedState, type BatchProgress, type BatchSummary, type VideoOutcome } from '../types';

/** Lists in the summary are capped so the batch's payloads stay small at any size. */
export const summaryListCap = 200;

export function initialBatchState(startedAt: string): BatchCarriedState {
  return {
    generation: 1,
    startedAt,
    cursor: 0,
    pending: {},
    succeeded: 0,
    failed: 0,
    skipped: 0,
    usage: { promptTokens: 0, outputTokens: 0, thoughtsTokens: 0, totalTokens: 0 },
    costUsd: 0,
    failures: [],
    outputs: [],
    skippedVideos: [],
    listsTruncated: false,
  };
}

function pushCapped<T>(state: BatchCarriedState, list: T[], value: T): void {
  if (list.length < summaryListCap) list.push(value);
  else state.listsTruncated = true;
}

/** Records a finished video once; a repeated report of the same video is ignored. Returns true if recorded. */
export function recordOutcome(state: BatchCarriedState, childId: string, outcome: VideoOutcome): boolean {
  if (!state.pending[childId]) return false;
  delete state.pending[childId];
  state.usage = addUsage(state.usage, outcome.usage);
  if (outcome.keyAlias && outcome.model && outcome.usage.totalTokens > 0) {
    const k = usageKey(outcome.keyAlias, outcome.model);
    state.unreportedTokens = {
      ...state.unreportedTokens,
      [k]: (state.unreportedTokens?.[k] ?? 0) + outcome.usage.totalTokens,
    };
  }
  state.costUsd += outcome.costUsd;
  if (outcome.status === 'succeeded') {
    state.succeeded++;
    if (outcome.outputPath) pushCapped(state, state.outputs, outcome.outputPath);
  } else if (outcome.status === 'skipped') {
    state.skipped++;
    pushCapped(state, state.skippedVideos, {
      key: outcome.key,
      title: outcome.title,
      reason: outcome.reason ?? 'skipped',
    });
    if (outcome.outputPath) pushCapped(state, state.outputs, outcome.outputPath);
  } else {
    state.failed++;
    pushCapped(state, state.failures, {
      key: outcome.key,
      title: outcome.title,
      source: outcome.source,
      errorType: outcome.errorType,
      reason: (outcome.reason ?? 'failed').slice(0, 500),
    });
  }
  return true;
}

export function inFlightEstimate(state: BatchCarriedState): number {
  return Object.values(state.pending).reduce((sum, p) => sum + p.estimatedCostUsd, 0);
}

export function progressOf(batchId: string, state: BatchCarriedState, phase: BatchProgress['state']): BatchProgress {
  const pending = Object.values(state.pending);
  const waiting = pending.filter((p) => p.waiting).length;
  return {
    batchId,
    state: phase,
    total: state.discovered?.total ?? 0,
    started: state.cursor,
    running: pending.length - waiting,
    waiting,
    succeeded: state.succeeded,
    failed: state.failed,
    skipped: state.skipped,
    usage: state.usage,
    costUsd: state.costUsd,
    startedAt: state.startedAt,
    generation: state.generation,
  };
}

export function summaryOf(batchId: string, state: BatchCarriedState, finishedAt: string): BatchSummary {
  return {
    batchId,
    total: state.discovered?.total ?? 0,
    succeeded: state.succeeded,
    failed: state.failed,
    skipped: state.skipped,
    notVideos: state.discovered?.notVideos ?? [],
    usage: state.usage,
    costUsd: state.costUsd,
    failures: state.failures,
    outputs: state.outputs,
    skippedVideos: state.skippedVideos,
    listsTruncated:
      state.listsTruncated ||
      (state.discovered ? state.discovered.notVideosCount > state.discovered.notVideos.length : false),
    stoppedEarly: state.stopReason,
    startedAt: state.startedAt,
    finishedAt,
  };
}
