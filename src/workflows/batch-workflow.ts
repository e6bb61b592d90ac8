import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { BatchIdAttr } from '../search-attributes';
import type { BatchCarriedState, BatchInput, BatchProgress, BatchSummary, BatchTuning } from '../types';
import { discovery } from './activity-proxies';
import { initialBatchState, progressOf, recordOutcome } from './batch-state';
import {
  cancelBatchSignal,
  handlerDescriptions,
  progressQuery,
  videoAttentionSignal,
  videoFinishedSignal,
} from './definitions';
import { videoWorkflowId } from './ids';
import { summary as label } from './labels';
import { ChildWindow } from './batch/child-window';
import { batchDetailsText } from './batch/details';
import { finishBatch } from './batch/finish';
import { KeyUsageReport } from './batch/key-usage';
import { reconcileCarriedChildren } from './batch/reconcile';

export const defaultTuning: Required<BatchTuning> = {
  pageSize: 200,
  maxPendingChildren: 1000,
  maxStartsPerRun: 400,
  maxHistoryEventsPerRun: 7000,
  reconcileEverySeconds: 60,
};

/** One run of a batch: what its parts share. */
interface BatchRun {
  input: BatchInput;
  batchId: string;
  state: BatchCarriedState;
  window: ChildWindow;
  keyUsage: KeyUsageReport;
  phase: BatchProgress['state'];
}

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
  const run: BatchRun = {
    input,
    batchId,
    state,
    window: new ChildWindow(input, batchId, state, tuning),
    keyUsage: new KeyUsageReport(state, input.keyAliases),
    phase: state.discovered ? 'running' : 'discovering',
  };
  registerBatchHandlers(run);
  // Not cancellable: a cancelled batch still drains its children, and needs this to do it.
  void CancellationScope.nonCancellable(() =>
    reconcileCarriedChildren(batchId, state, () => run.window.carried(), tuning.reconcileEverySeconds),
  );

  try {
    if (!state.discovered) {
      state.discovered = await discovery.discoverBatch.executeWithOptions(
        { summary: label(`discover the videos of ${input.label}`) },
        [
          {
            batchId,
            sources: input.sources,
            outputDir: input.options.outputDir,
          },
        ],
      );
      run.phase = 'running';
    }
    await runWindow(run);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled from the UI or CLI: no new videos; those in flight end cleanly and are counted.
    state.stopReason ??= 'cancelled';
    await CancellationScope.nonCancellable(async () => {
      await run.window.stopWaitingVideos();
      await condition(() => run.window.nothingInFlight());
    });
  }

  run.phase = 'finishing';
  showDetails(run);
  await CancellationScope.nonCancellable(() => run.keyUsage.send(true));
  const summary = await finishBatch(input, batchId, state);
  run.phase = 'completed';
  showDetails(run);
  return summary;
}

function registerBatchHandlers(run: BatchRun): void {
  const { batchId, state } = run;
  const templates = run.input.options.templates;
  setHandler(progressQuery, () => ({ ...progressOf(batchId, state, run.phase), ...(templates ? { templates } : {}) }), {
    description: handlerDescriptions.progress,
  });
  setHandler(
    videoFinishedSignal,
    (outcome) => void recordOutcome(state, videoWorkflowId(batchId, outcome.key), outcome),
    {
      description: handlerDescriptions.videoFinished,
    },
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
}

function showDetails(run: BatchRun): void {
  const p = progressOf(run.batchId, run.state, run.phase);
  setCurrentDetails(batchDetailsText(run.input.label, p, run.state.stopReason, run.state.failures));
}

/** The main loop: start what fits, pass a stop on, report key usage, continue as new when due, wait for a change. */
async function runWindow(run: BatchRun): Promise<void> {
  const { window, keyUsage } = run;
  for (;;) {
    if (window.startFailure !== undefined) throw window.startFailure;
    await window.startWhatFits();
    if (window.stopNotYetTold()) await window.stopWaitingVideos();
    showDetails(run);
    await keyUsage.send(false);
    if (window.allDone()) return;
    if (window.shouldContinueAsNew()) await continueAsNewNow(run);
    // Wait on the state itself, never on "something changed since I looked": children can all
    // finish while this run awaits a page or a start, and then nothing would change again.
    // Also wake for a long history: a batch waiting days for a person still has timers ticking.
    await condition(
      () =>
        window.startFailure !== undefined ||
        window.roomToStart() ||
        window.allDone() ||
        window.stopNotYetTold() ||
        keyUsage.due(false) ||
        window.shouldContinueAsNew(),
    );
  }
}

async function continueAsNewNow(run: BatchRun): Promise<never> {
  const { window, state } = run;
  // A start still in flight would be lost with this run: let each be confirmed first.
  await condition(() => window.startsInFlight === 0);
  if (window.startFailure !== undefined) throw window.startFailure;
  await run.keyUsage.send(true);
  await condition(allHandlersFinished);
  state.generation++;
  return continueAsNew<typeof BatchWorkflow>({ ...run.input, carried: state });
}
