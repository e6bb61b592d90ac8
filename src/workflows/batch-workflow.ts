import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { BatchIdAttr, TemplateAttr, VideoStatusAttr, VideoStatusValue } from '../search-attributes';
import {
  emptyUsage,
  type BatchInput,
  type BatchTuning,
  type BatchProgress,
  type BatchSummary,
  type PlannedVideo,
  type VideoOutcome,
} from '../types';
import { discovery, housekeeping } from './activity-proxies';
import {
  budgetStopReason,
  initialBatchState,
  pendingEstimate,
  progressOf,
  recordOutcome,
  summaryOf,
} from './batch-state';
import {
  cancelBatchSignal,
  handlerDescriptions,
  progressQuery,
  skipSignal,
  videoAttentionSignal,
  videoFinishedSignal,
} from './definitions';
import { VideoWorkflow } from './video-workflow';
import { keyEventSignal, keyPoolWorkflowId } from './key-pool-workflow';

export const defaultTuning: Required<BatchTuning> = {
  pageSize: 200,
  maxPendingChildren: 1000,
  maxStartsPerRun: 400,
  maxHistoryEventsPerRun: 7000,
  reconcileEverySeconds: 60,
};

/** Children described per reconcile activity, so its payloads stay small. */
const reconcileChunk = 100;

export const videoWorkflowId = (batchId: string, videoKey: string): string => `${batchId}/${videoKey}`;

/**
 * A batch: discovers the videos, runs one VideoWorkflow per video with at most `concurrency` at
 * work at once, records every outcome, never fails because a video failed, and returns a summary.
 * Children report back by signal, so the batch can continue as new with children in flight.
 */
export async function BatchWorkflow(input: BatchInput): Promise<BatchSummary> {
  const state = input.carried ?? initialBatchState(new Date().toISOString());
  // A scheduled run has no id of its own in its input: it is the run's workflow id.
  const batchId = input.batchId || workflowInfo().workflowId;
  if (!input.batchId && !input.carried) upsertSearchAttributes([{ key: BatchIdAttr, value: batchId }]);
  const tuning = { ...defaultTuning, ...input.tuning };
  /**
   * Children whose start this run issued: it sees their end directly (handle.result()). The others
   * were carried over from an earlier run and can only report by signal. A child counts from the
   * moment its start is issued, not confirmed: a start can take seconds to confirm on a busy server,
   * and asking the server about it meanwhile would wrongly find no such workflow.
   */
  const issuedHere = new Set<string>();
  let phase: BatchProgress['state'] = state.discovered ? 'running' : 'discovering';
  let startedThisRun = 0;
  /** Child starts issued and not yet confirmed (or refused) by the server. */
  let startsInFlight = 0;
  let startFailure: unknown;
  let toldWaitingToStop = false;
  /** The page of the video list the window is starting from. */
  let page: PlannedVideo[] = [];
  let pageStart = state.cursor;

  setHandler(progressQuery, () => progressOf(batchId, state, phase), { description: handlerDescriptions.progress });
  setHandler(
    videoFinishedSignal,
    (outcome: VideoOutcome) => {
      recordOutcome(state, videoWorkflowId(batchId, outcome.key), outcome);
    },
    { description: handlerDescriptions.videoFinished },
  );
  setHandler(
    videoAttentionSignal,
    ({ key, waiting }) => {
      const pending = state.pending[videoWorkflowId(batchId, key)];
      if (pending) pending.waiting = waiting;
    },
    { description: handlerDescriptions.videoAttention },
  );
  setHandler(
    cancelBatchSignal,
    (args) => {
      state.stopReason ??= `cancelled${args?.reason ? `: ${args.reason}` : ''}`;
    },
    { description: handlerDescriptions.cancel },
  );

  const showDetails = () => {
    const p = progressOf(batchId, state, phase);
    setCurrentDetails(
      [
        `**${input.label}** · ${phase}`,
        `${p.succeeded + p.failed + p.skipped}/${p.total} done: ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped`,
        `${p.running} running, ${p.waiting} waiting for a person`,
        `Tokens ${p.usage.totalTokens} · cost $${p.costUsd.toFixed(4)}`,
        state.stopReason ? `Stopped starting new videos: ${state.stopReason}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  };

  // Not cancellable: a cancelled batch still drains its children, and needs this to do it.
  void CancellationScope.nonCancellable(reconcileCarriedChildren);

  try {
    if (!state.discovered) {
      const found = await discovery.discoverBatch({
        batchId,
        sources: input.sources,
        outputDir: input.options.outputDir,
      });
      state.discovered = found;
      phase = 'running';
    }
    await runWindow();
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled from the UI or CLI: no new videos; those in flight end cleanly and are counted.
    state.stopReason ??= 'cancelled';
    await CancellationScope.nonCancellable(async () => {
      await giveUpWaitingVideos();
      await drain();
    });
  }

  phase = 'finishing';
  showDetails();
  await CancellationScope.nonCancellable(() => reportKeyUsage(true));
  const summary = summaryOf(batchId, state, new Date().toISOString());
  summary.notStarted = (state.discovered?.total ?? 0) - state.cursor;
  await CancellationScope.nonCancellable(async () => {
    if (input.keyAliases.length > 1) {
      try {
        const warnings = await housekeeping.keyQuotaWarnings({ percent: input.quotaWarningPercent ?? 90 });
        if (warnings.length) summary.warnings = warnings;
      } catch (err) {
        log.warn('could not read key usage', { error: String(err) });
      }
    }
    try {
      summary.reportPath = await housekeeping.writeBatchReport({
        batchId,
        label: input.label,
        outputDir: input.options.outputDir,
        summary,
      });
    } catch (err) {
      log.warn('could not write the batch report', { error: String(err) });
    }
    if (input.webhookUrl) {
      try {
        await housekeeping.notifyWebhook({ url: input.webhookUrl, summary });
      } catch (err) {
        // A webhook that is down never fails the batch.
        log.warn('webhook delivery failed', { error: String(err) });
      }
    }
  });
  phase = 'completed';
  showDetails();
  return summary;

  async function runWindow(): Promise<void> {
    for (;;) {
      if (startFailure !== undefined) throw startFailure;
      await startWhatFits();
      if (state.stopReason && !toldWaitingToStop) {
        toldWaitingToStop = true;
        await giveUpWaitingVideos();
      }
      showDetails();
      await reportKeyUsage(false);
      if (allDone()) return;
      if (shouldContinueAsNew()) {
        // A start still in flight would be lost with this run: let each be confirmed first.
        await condition(() => startsInFlight === 0);
        if (startFailure !== undefined) throw startFailure;
        await reportKeyUsage(true);
        await condition(allHandlersFinished);
        state.generation++;
        await continueAsNew<typeof BatchWorkflow>({ ...input, carried: state });
      }
      // Wait on the state itself, never on "something changed since I looked": children can all
      // finish while this run awaits a page or a start, and then nothing would change again.
      // Also wake for a long history: a batch waiting days for a person still has timers ticking.
      await condition(
        () =>
          startFailure !== undefined ||
          roomToStart() ||
          allDone() ||
          (state.stopReason !== undefined && !toldWaitingToStop) ||
          keyUsageReportDue(false) ||
          shouldContinueAsNew(),
      );
    }
  }

  /**
   * Starts videos while the window has room. Starts are not awaited one by one: awaiting each
   * costs a workflow task per child, and under load a child can finish before its siblings'
   * starts are even confirmed.
   */
  async function startWhatFits(): Promise<void> {
    const total = state.discovered!.total;
    while (roomToStart()) {
      if (state.cursor >= pageStart + page.length) {
        pageStart = state.cursor;
        page = await discovery.loadBatchPage({
          listPath: state.discovered!.listPath,
          offset: state.cursor,
          limit: tuning.pageSize,
          estimateWith: {
            model: input.options.models[0],
            mediaResolution: input.options.mediaResolution,
            template: input.options.template,
            templateDirs: input.options.templateDirs,
            templateParams: input.options.templateParams,
            outputDir: input.options.outputDir,
          },
        });
        if (page.length === 0) throw new Error(`The batch's video list ended early at ${state.cursor} of ${total}.`);
        // The page load took time: the window may have changed (a cancel, say) meanwhile.
        continue;
      }
      const video = page[state.cursor - pageStart];
      if (wouldPassBudget(video)) return;
      // startVideo marks the video pending before its first await, so roomToStart sees it.
      startsInFlight++;
      void startVideo(video).then(
        () => startsInFlight--,
        (err: unknown) => {
          startsInFlight--;
          startFailure ??= err;
        },
      );
      state.cursor++;
      startedThisRun++;
    }
  }

  function roomToStart(): boolean {
    return (
      !state.stopReason &&
      state.cursor < state.discovered!.total &&
      startedThisRun < tuning.maxStartsPerRun &&
      canStartMore()
    );
  }

  function allDone(): boolean {
    const noMoreToStart = state.stopReason !== undefined || state.cursor >= state.discovered!.total;
    return noMoreToStart && nothingInFlight();
  }

  /** No child is being started or is running. */
  function nothingInFlight(): boolean {
    return startsInFlight === 0 && Object.keys(state.pending).length === 0;
  }

  /**
   * Tokens used per key go to the shared key pool in bulk (every 25 videos' worth of entries, and
   * at the end): one message per key and model instead of one per video keeps the pool light.
   */
  function keyUsageReportDue(all: boolean): boolean {
    if (input.keyAliases.length < 2 || Object.keys(state.unreportedTokens ?? {}).length === 0) return false;
    return all || state.succeeded + state.failed + state.skipped - (state.reportedAt ?? 0) >= 25;
  }

  async function reportKeyUsage(all: boolean): Promise<void> {
    if (!keyUsageReportDue(all)) return;
    const entries = Object.entries(state.unreportedTokens ?? {});
    state.unreportedTokens = {};
    state.reportedAt = state.succeeded + state.failed + state.skipped;
    const pool = getExternalWorkflowHandle(keyPoolWorkflowId(workflowInfo().taskQueue));
    for (const [k, tokens] of entries) {
      const [alias, model] = k.split('\u0000');
      try {
        await pool.signal(keyEventSignal, { type: 'tokens', alias, model, tokens });
      } catch (err) {
        log.warn('could not report key usage', { error: String(err) });
      }
    }
  }

  function canStartMore(): boolean {
    const pending = Object.values(state.pending);
    const working = pending.filter((p) => !p.waiting).length;
    return working < input.concurrency && pending.length < tuning.maxPendingChildren;
  }

  function wouldPassBudget(video: PlannedVideo): boolean {
    if (input.maxCostUsd === undefined) return false;
    const reason = budgetStopReason(state, video, input.maxCostUsd);
    if (reason === undefined) return false;
    state.stopReason = reason;
    return true;
  }

  function shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historyLength > tuning.maxHistoryEventsPerRun ||
      startedThisRun >= tuning.maxStartsPerRun
    );
  }

  async function startVideo(video: PlannedVideo): Promise<void> {
    const childId = videoWorkflowId(batchId, video.key);
    const source = video.source.kind === 'file' ? video.source.path : video.source.url;
    state.pending[childId] = {
      key: video.key,
      title: video.title,
      source,
      waiting: false,
      ...pendingEstimate(video),
    };
    const item = { key: video.key, title: video.title, source: video.source };
    issuedHere.add(childId);
    try {
      const handle = await startChild(VideoWorkflow, {
        workflowId: childId,
        args: [{ batchId, item, options: input.options, keyAliases: input.keyAliases }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        staticSummary: `${video.title} (${input.label})`,
        typedSearchAttributes: [
          { key: BatchIdAttr, value: batchId },
          { key: TemplateAttr, value: input.options.template },
          { key: VideoStatusAttr, value: VideoStatusValue.running },
        ],
      });
      // Within this run the child's end is also seen directly, which catches a child terminated
      // from the UI (it cannot send its own report).
      void handle.result().then(
        (outcome) => recordOutcome(state, childId, outcome),
        (err: unknown) =>
          recordOutcome(state, childId, {
            key: video.key,
            title: video.title,
            source,
            status: 'failed',
            errorType: 'VideoWorkflowFailed',
            reason: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
            usage: emptyUsage(),
            costUsd: 0,
          }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Still running from an earlier run of this batch: it reports here by workflow id when done.
        issuedHere.delete(childId);
        log.info('video already running; waiting for its report', { childId });
        return;
      }
      if (isCancellation(err)) {
        // The batch was cancelled before the server started this video.
        recordOutcome(state, childId, {
          key: video.key,
          title: video.title,
          source,
          status: 'skipped',
          reason: 'the batch was cancelled before this video started',
          usage: emptyUsage(),
          costUsd: 0,
        });
        return;
      }
      throw err;
    }
  }

  /**
   * A child carried over from an earlier run and then terminated from the UI never reports;
   * without this the batch would wait for it forever. Only a timer ticks while nothing is carried.
   */
  async function reconcileCarriedChildren(): Promise<void> {
    const carried = () => Object.keys(state.pending).filter((id) => !issuedHere.has(id));
    for (;;) {
      await condition(() => carried().length > 0);
      await sleep(tuning.reconcileEverySeconds * 1000);
      const ids = carried();
      for (let i = 0; i < ids.length; i += reconcileChunk) {
        const children = ids
          .slice(i, i + reconcileChunk)
          .map((workflowId) => ({ workflowId, ...state.pending[workflowId] }));
        try {
          const closed = await housekeeping.reconcileChildren({
            children: children
              .filter((c) => c.key)
              .map(({ workflowId, key, title, source }) => ({ workflowId, key, title, source })),
          });
          for (const outcome of closed) {
            if (recordOutcome(state, videoWorkflowId(batchId, outcome.key), outcome))
              log.warn('a video ended without reporting', { key: outcome.key, status: outcome.status });
          }
        } catch (err) {
          log.warn('could not check on carried-over videos; trying again later', { error: String(err) });
        }
      }
    }
  }

  async function giveUpWaitingVideos(): Promise<void> {
    for (const [childId, pending] of Object.entries(state.pending)) {
      if (!pending.waiting) continue;
      try {
        await getExternalWorkflowHandle(childId).signal(skipSignal, { reason: 'the batch was cancelled' });
      } catch (err) {
        log.warn('could not tell a waiting video to stop', { childId, error: String(err) });
      }
    }
  }

  async function drain(): Promise<void> {
    await condition(nothingInFlight);
  }
}
