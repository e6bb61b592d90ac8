import {
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { FailureType } from '../../failures';
import { BatchIdAttr, TemplateAttr, VideoStatusAttr, VideoStatusValue } from '../../search-attributes';
import { sourceText } from '../../sources/source-text';
import { emptyUsage, type BatchCarriedState, type BatchInput, type BatchTuning, type PlannedVideo } from '../../types';
import { discovery } from '../activity-proxies';
import { pendingEstimate, recordOutcome } from '../batch-state';
import { skipSignal } from '../definitions';
import { videoWorkflowId } from '../ids';
import { VideoWorkflow } from '../video-workflow';
import { outcomeInFailure } from '../failure-info';
import { summary } from '../labels';
import { budgetStopReason } from './budget';

/**
 * The batch's window of running videos: which to start next (a page of the list at a time), how
 * many are in flight (a video waiting for a person does not take a working place), the budget
 * check before each start, and when this run has done enough to continue as new.
 */
export class ChildWindow {
  /**
   * Children whose start this run issued: it sees their end directly (handle.result()). The others
   * were carried over from an earlier run and can only report by signal. A child counts from the
   * moment its start is issued, not confirmed: a start can take seconds to confirm on a busy server,
   * and asking the server about it meanwhile would wrongly find no such workflow.
   */
  private readonly issuedHere = new Set<string>();
  private startedThisRun = 0;
  /** Child starts issued and not yet confirmed (or refused) by the server. */
  startsInFlight = 0;
  startFailure: unknown;
  private toldWaitingToStop = false;
  /** The page of the video list the window is starting from. */
  private page: PlannedVideo[] = [];
  private pageStart: number;

  constructor(
    private readonly input: BatchInput,
    private readonly batchId: string,
    private readonly state: BatchCarriedState,
    private readonly tuning: Required<BatchTuning>,
  ) {
    this.pageStart = state.cursor;
  }

  roomToStart(): boolean {
    const { state } = this;
    return (
      !state.stopReason &&
      state.cursor < state.discovered!.total &&
      this.startedThisRun < this.tuning.maxStartsPerRun &&
      this.canStartMore()
    );
  }

  private canStartMore(): boolean {
    const pending = Object.values(this.state.pending);
    const working = pending.filter((p) => !p.waiting).length;
    return working < this.input.concurrency && pending.length < this.tuning.maxPendingChildren;
  }

  allDone(): boolean {
    const noMoreToStart = this.state.stopReason !== undefined || this.state.cursor >= this.state.discovered!.total;
    return noMoreToStart && this.nothingInFlight();
  }

  /** No child is being started or is running. */
  nothingInFlight(): boolean {
    return this.startsInFlight === 0 && Object.keys(this.state.pending).length === 0;
  }

  shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      info.historyLength > this.tuning.maxHistoryEventsPerRun ||
      this.startedThisRun >= this.tuning.maxStartsPerRun
    );
  }

  /** Pending children carried over from an earlier run (they can only report by signal). */
  carried(): string[] {
    return Object.keys(this.state.pending).filter((id) => !this.issuedHere.has(id));
  }

  /** A stop (cancel or budget) not yet passed on to the videos waiting for a person. */
  stopNotYetTold(): boolean {
    return this.state.stopReason !== undefined && !this.toldWaitingToStop;
  }

  /**
   * Starts videos while the window has room. Starts are not awaited one by one: awaiting each
   * costs a workflow task per child, and under load a child can finish before its siblings'
   * starts are even confirmed.
   */
  async startWhatFits(): Promise<void> {
    const { state } = this;
    while (this.roomToStart()) {
      if (state.cursor >= this.pageStart + this.page.length) {
        await this.loadPage();
        // The page load took time: the window may have changed (a cancel, say) meanwhile.
        continue;
      }
      const video = this.page[state.cursor - this.pageStart];
      const overBudget = budgetStopReason(state, this.input.maxCostUsd, video);
      if (overBudget) {
        state.stopReason = overBudget;
        return;
      }
      // startVideo marks the video pending before its first await, so roomToStart sees it.
      this.startsInFlight++;
      void this.startVideo(video).then(
        () => this.startsInFlight--,
        (err: unknown) => {
          this.startsInFlight--;
          this.startFailure ??= err;
        },
      );
      state.cursor++;
      this.startedThisRun++;
    }
  }

  private async loadPage(): Promise<void> {
    const { state, input } = this;
    const { options } = input;
    this.pageStart = state.cursor;
    const last = Math.min(state.cursor + this.tuning.pageSize, state.discovered!.total);
    const label = summary(`load videos ${state.cursor + 1} to ${last} of ${state.discovered!.total}`);
    this.page = await discovery.loadBatchPage.executeWithOptions({ summary: label }, [
      {
        listPath: state.discovered!.listPath,
        offset: state.cursor,
        limit: this.tuning.pageSize,
        estimateWith: {
          model: options.models[0],
          mediaResolution: options.mediaResolution,
          template: options.template,
          ...(options.templates ? { templates: options.templates } : {}),
          ...(options.economy ? { economy: true } : {}),
          templateDirs: options.templateDirs,
          templateParams: options.templateParams,
          outputDir: options.outputDir,
        },
      },
    ]);
    if (this.page.length === 0)
      throw new Error(`The batch's video list ended early at ${state.cursor} of ${state.discovered!.total}.`);
  }

  private async startVideo(video: PlannedVideo): Promise<void> {
    const { state, batchId, input } = this;
    const childId = videoWorkflowId(batchId, video.key);
    const source = sourceText(video.source);
    state.pending[childId] = {
      key: video.key,
      title: video.title,
      source,
      waiting: false,
      ...pendingEstimate(video),
    };
    // Only what the video needs: the plan's estimates stay with the batch.
    const item = { key: video.key, title: video.title, source: video.source };
    this.issuedHere.add(childId);
    try {
      const handle = await startChild(VideoWorkflow, {
        workflowId: childId,
        args: [{ batchId, item, options: input.options, keyAliases: input.keyAliases, leanHistory: true }],
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
          recordOutcome(state, childId, outcomeInFailure(err) ?? this.endedWithoutReport(video, source, err)),
      );
    } catch (err) {
      this.startRefused(childId, video, source, err);
    }
  }

  private endedWithoutReport(video: PlannedVideo, source: string, err: unknown) {
    return {
      key: video.key,
      title: video.title,
      source,
      status: 'failed' as const,
      errorType: FailureType.VideoWorkflowFailed,
      reason: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
      usage: emptyUsage(),
      costUsd: 0,
    };
  }

  private startRefused(childId: string, video: PlannedVideo, source: string, err: unknown): void {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      // Still running from an earlier run of this batch: it reports here by workflow id when done.
      this.issuedHere.delete(childId);
      log.info('video already running; waiting for its report', { childId });
      return;
    }
    if (!isCancellation(err)) throw err;
    // The batch was cancelled before the server started this video.
    recordOutcome(this.state, childId, {
      key: video.key,
      title: video.title,
      source,
      status: 'skipped',
      reason: 'the batch was cancelled before this video started',
      usage: emptyUsage(),
      costUsd: 0,
    });
  }

  /** Once a batch stops (cancel, budget), videos waiting for a person are told to give up. */
  async stopWaitingVideos(): Promise<void> {
    this.toldWaitingToStop = true;
    for (const [childId, pending] of Object.entries(this.state.pending)) {
      if (!pending.waiting) continue;
      try {
        await getExternalWorkflowHandle(childId).signal(skipSignal, { reason: 'the batch was cancelled' });
      } catch (err) {
        log.warn('could not tell a waiting video to stop', { childId, error: String(err) });
      }
    }
  }
}
