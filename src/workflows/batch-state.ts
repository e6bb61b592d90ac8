import {
  addUsage,
  emptyUsage,
  type BatchCarriedState,
  type BatchProgress,
  type BatchSummary,
  type ExpectedTotals,
  type PendingVideo,
  type PlannedVideo,
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

/** Records a finished video once; a repeated report of the same video is ignored. Returns true if recorded. */
export function recordOutcome(state: BatchCarriedState, childId: string, outcome: VideoOutcome): boolean {
  const pending = state.pending[childId];
  if (!pending) return replaceFailure(state, outcome);
  delete state.pending[childId];
  recordExpected(state, pending, outcome);
  if (outcome.repairs) state.repairs = (state.repairs ?? 0) + outcome.repairs;
  state.usage = addUsage(state.usage, outcome.usage);
  if (outcome.keyAlias && outcome.model && outcome.usage.totalTokens > 0) {
    const k = `${outcome.keyAlias}\u0000${outcome.model}`;
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

/**
 * A video recorded as failed and then reset in the Web UI reports again: its success replaces the
 * failure, so the batch counts it once, as succeeded (its new tokens and cost are added).
 */
function replaceFailure(state: BatchCarriedState, outcome: VideoOutcome): boolean {
  const at = state.failures.findIndex((f) => f.key === outcome.key);
  if (outcome.status !== 'succeeded' || at < 0) return false;
  state.failures.splice(at, 1);
  state.failed--;
  state.succeeded++;
  state.usage = addUsage(state.usage, outcome.usage);
  state.costUsd += outcome.costUsd;
  if (outcome.outputPath) pushCapped(state, state.outputs, outcome.outputPath);
  return true;
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

/**
 * Whether starting `video` could break the budget; the reason if so. Two rules: the expected
 * total (spent + in flight + this one) must fit, so the batch stops about where the dry run said;
 * and what is spent plus the ceilings of the videos already in flight must fit, so the batch never
 * ends more than one video's ceiling over the limit, whatever the answers turn out to cost.
 */
export function budgetStopReason(
  state: BatchCarriedState,
  video: PlannedVideo,
  maxCostUsd: number,
): string | undefined {
  const inFlight = inFlightExpected(state);
  const next = video.expectedCostUsd ?? video.estimatedCostUsd ?? 0;
  if (state.costUsd + inFlight + next > maxCostUsd)
    return `budget: $${state.costUsd.toFixed(4)} spent + $${inFlight.toFixed(4)} expected in flight + $${next.toFixed(4)} expected for the next video would pass the $${maxCostUsd} limit`;
  const ceilings = inFlightEstimate(state);
  if (state.costUsd + ceilings > maxCostUsd)
    return `budget: $${state.costUsd.toFixed(4)} spent + $${ceilings.toFixed(4)} at most in flight could pass the $${maxCostUsd} limit`;
  return undefined;
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
