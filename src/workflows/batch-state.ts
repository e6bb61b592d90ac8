import { addKeyUsage } from './batch/key-usage-summary';
import { usageKey } from './batch/usage-key';
import {
  addUsage,
  emptyUsage,
  type BatchCarriedState,
  type BatchProgress,
  type BatchSummary,
  type ExpectedTotals,
  type PendingVideo,
  type PlannedVideo,
  type TokenUsage,
  type VideoOutcome,
} from '../types';

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

/**
 * Records a finished video once; a repeated report of the same video is ignored, except that a
 * success reported after a failure (the video was Reset and ran again) replaces the failure, so
 * the video is counted once, as succeeded. Returns true if recorded.
 */
export function recordOutcome(state: BatchCarriedState, childId: string, outcome: VideoOutcome): boolean {
  const pending = state.pending[childId];
  if (!pending) return replaceFailure(state, childId, outcome);
  delete state.pending[childId];
  recordExpected(state, pending, outcome);
  if (outcome.repairs) state.repairs = (state.repairs ?? 0) + outcome.repairs;
  addSpend(state, outcome, outcome.usage, outcome.costUsd);
  if (outcome.status === 'succeeded') {
    state.succeeded++;
    for (const output of outputsOf(outcome)) pushCapped(state, state.outputs, output);
  } else if (outcome.status === 'skipped') {
    state.skipped++;
    pushCapped(state, state.skippedVideos, {
      key: outcome.key,
      title: outcome.title,
      reason: outcome.reason ?? 'skipped',
    });
    for (const output of outputsOf(outcome)) pushCapped(state, state.outputs, output);
  } else {
    state.failed++;
    state.failedVideos = { ...state.failedVideos, [childId]: { usage: outcome.usage, costUsd: outcome.costUsd } };
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

/** A video's notes: one, or (several templates) each template's. */
function outputsOf(outcome: VideoOutcome): string[] {
  if (!outcome.notes) return outcome.outputPath ? [outcome.outputPath] : [];
  return outcome.notes.flatMap((n) => (n.outputPath ? [n.outputPath] : []));
}

/** Tokens and cost into the batch's totals, and tokens per key and model for the key pool. */
function addSpend(state: BatchCarriedState, outcome: VideoOutcome, usage: TokenUsage, costUsd: number): void {
  state.usage = addUsage(state.usage, usage);
  if (outcome.keyAlias && usage.totalTokens > 0) addKeyUsage(state, outcome.keyAlias, usage);
  if (outcome.keyAlias && outcome.model && usage.totalTokens > 0) {
    const k = usageKey(outcome.keyAlias, outcome.model);
    state.unreportedTokens = {
      ...state.unreportedTokens,
      [k]: (state.unreportedTokens?.[k] ?? 0) + usage.totalTokens,
    };
  }
  state.costUsd += costUsd;
}

/** A video recorded as failed that now reports success: its spend and count move from failed to succeeded. */
function replaceFailure(state: BatchCarriedState, childId: string, outcome: VideoOutcome): boolean {
  const failed = state.failedVideos?.[childId];
  if (!failed || outcome.status !== 'succeeded') return false;
  const { [childId]: _replaced, ...stillFailed } = state.failedVideos!;
  state.failedVideos = stillFailed;
  state.failed--;
  state.succeeded++;
  state.failures = state.failures.filter((f) => f.key !== outcome.key);
  for (const output of outputsOf(outcome)) pushCapped(state, state.outputs, output);
  // The success's own figures replace the failure's (after a Reset, its usage counts what the run kept);
  // the key pool hears only of tokens it has not heard of.
  addSpend(state, outcome, subtractUsage(outcome.usage, failed.usage), outcome.costUsd - failed.costUsd);
  return true;
}

function subtractUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    promptTokens: Math.max(0, a.promptTokens - b.promptTokens),
    outputTokens: Math.max(0, a.outputTokens - b.outputTokens),
    thoughtsTokens: Math.max(0, a.thoughtsTokens - b.thoughtsTokens),
    totalTokens: Math.max(0, a.totalTokens - b.totalTokens),
  };
}

export function inFlightEstimate(state: BatchCarriedState): number {
  return Object.values(state.pending).reduce((sum, p) => sum + p.estimatedCostUsd, 0);
}

/** Expected cost of the videos in flight (a video estimated before expected figures existed counts its ceiling). */
export function inFlightExpected(state: BatchCarriedState): number {
  return Object.values(state.pending).reduce((sum, p) => sum + (p.expectedCostUsd ?? p.estimatedCostUsd), 0);
}

/** The figures a pending video carries from its plan. */
export function pendingEstimate(
  video: PlannedVideo,
): Pick<
  PendingVideo,
  'estimatedCostUsd' | 'expectedCostUsd' | 'expectedInputTokens' | 'expectedOutputTokens' | 'expectedFromHistory'
> {
  return {
    estimatedCostUsd: video.estimatedCostUsd ?? 0,
    expectedCostUsd: video.expectedCostUsd,
    expectedInputTokens: video.expectedInputTokens,
    expectedOutputTokens: video.expectedOutputTokens,
    expectedFromHistory: video.expectedFromHistory,
  };
}

/** A finished video that ran adds its expected figures and its bill; one found up to date adds neither. */
function recordExpected(state: BatchCarriedState, pending: PendingVideo, outcome: VideoOutcome): void {
  if (outcome.status === 'skipped' || pending.expectedCostUsd === undefined) return;
  const e: ExpectedTotals = state.expected ?? {
    videos: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    ceilingUsd: 0,
    fromHistory: 0,
    actualUsage: emptyUsage(),
    actualCostUsd: 0,
  };
  state.expected = {
    videos: e.videos + 1,
    inputTokens: e.inputTokens + (pending.expectedInputTokens ?? 0),
    outputTokens: e.outputTokens + (pending.expectedOutputTokens ?? 0),
    costUsd: e.costUsd + pending.expectedCostUsd,
    ceilingUsd: e.ceilingUsd + pending.estimatedCostUsd,
    fromHistory: e.fromHistory + (pending.expectedFromHistory ? 1 : 0),
    actualUsage: addUsage(e.actualUsage, outcome.usage),
    actualCostUsd: e.actualCostUsd + outcome.costUsd,
  };
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
    expected: state.expected,
    inFlight: { expectedUsd: inFlightExpected(state), ceilingUsd: inFlightEstimate(state) },
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
    expected: state.expected,
    repairs: state.repairs,
  };
}
