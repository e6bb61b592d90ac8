import { FailureType } from '../../src/failures';
import type { AnalysisResult, BatchTuning } from '../../src/types';
import { initialBatchState, recordOutcome } from '../../src/workflows/batch-state';
import { budgetStopReason } from '../../src/workflows/batch/budget';
import { batchDetailsText } from '../../src/workflows/batch/details';
import { parseUsageKey, usageKey } from '../../src/workflows/batch/usage-key';
import { videoKeyOf, videoWorkflowId } from '../../src/workflows/ids';
import { detailsText } from '../../src/workflows/video/progress';
import {
  longerAnswerLimit,
  maxInvalidOutputRetries,
  maxReuploads,
  quotaWaitMs,
  recoveryFor,
  type RecoveryFacts,
} from '../../src/workflows/video/recovery-policy';

// The units that call Temporal's workflow APIs run here outside a workflow: those calls are recorded instead.
const workflowCalls: Array<[string, unknown]> = [];
let info = { continueAsNewSuggested: false, historyLength: 10, taskQueue: 'q', workflowId: 'w' };
jest.mock('@temporalio/workflow', () => ({
  ...jest.requireActual('@temporalio/workflow'),
  setCurrentDetails: (text: string) => workflowCalls.push(['details', text]),
  upsertSearchAttributes: (attrs: unknown) => workflowCalls.push(['upsert', attrs]),
  workflowInfo: () => info,
}));
// Imported after the mock so they see it.
import { ChildWindow } from '../../src/workflows/batch/child-window';
import { KeyUsageReport } from '../../src/workflows/batch/key-usage';
import { VideoProgress } from '../../src/workflows/video/progress';
import { defaultTuning } from '../../src/workflows/batch-workflow';

const facts = (overrides: Partial<RecoveryFacts>): RecoveryFacts => ({
  failureType: undefined,
  details: undefined,
  models: ['m1', 'm2'],
  reuploads: 0,
  invalidOutputs: 0,
  isFile: true,
  keyAlias: 'lab-a',
  usePool: false,
  now: Date.parse('2026-11-29T12:00:00Z'),
  ...overrides,
});

describe('analysis recovery policy', () => {
  test('a retired model gives way to the next, unless it is the last', () => {
    expect(recoveryFor(facts({ failureType: FailureType.ModelUnavailable }))).toMatchObject({
      kind: 'next-model',
      note: 'Model m1 unavailable; falling back to m2.',
    });
    expect(recoveryFor(facts({ failureType: FailureType.ModelUnavailable, models: ['m2'] }))).toEqual({
      kind: 'give-up',
    });
  });

  test('an expired file is uploaded again, up to the limit, and never for a link', () => {
    expect(recoveryFor(facts({ failureType: FailureType.FileUnavailable })).kind).toBe('upload-again');
    expect(recoveryFor(facts({ failureType: FailureType.FileUnavailable, reuploads: maxReuploads })).kind).toBe(
      'give-up',
    );
    expect(recoveryFor(facts({ failureType: FailureType.FileUnavailable, isFile: false })).kind).toBe('give-up');
  });

  test('an answer that does not match the template is asked for again, counting the tries', () => {
    expect(recoveryFor(facts({ failureType: FailureType.InvalidModelOutput, invalidOutputs: 1 }))).toEqual({
      kind: 'ask-again',
      note: `The model's answer did not match the template (2/${maxInvalidOutputRetries} retries).`,
    });
    expect(
      recoveryFor(facts({ failureType: FailureType.InvalidModelOutput, invalidOutputs: maxInvalidOutputRetries })),
    ).toEqual({ kind: 'give-up' });
  });

  test('a used-up daily quota rests the key until the reset the error gives, else an hour from now', () => {
    expect(
      recoveryFor(facts({ failureType: FailureType.QuotaPerDay, details: { resetAt: '2026-11-30T08:00:00.000Z' } })),
    ).toMatchObject({ kind: 'rest-key', resetAt: '2026-11-30T08:00:00.000Z' });
    expect(recoveryFor(facts({ failureType: FailureType.QuotaPerDay }))).toMatchObject({
      resetAt: '2026-11-29T13:00:00.000Z',
    });
    expect(recoveryFor(facts({ failureType: FailureType.QuotaPerDay, keyAlias: undefined })).kind).toBe('give-up');
  });

  test('a revoked key is dropped only when the pool has others', () => {
    expect(recoveryFor(facts({ failureType: FailureType.InvalidApiKey, usePool: true })).kind).toBe('drop-key');
    expect(recoveryFor(facts({ failureType: FailureType.InvalidApiKey })).kind).toBe('give-up');
  });

  test('anything else is given up at once', () => {
    for (const type of [FailureType.ContentBlocked, FailureType.BadRequest, undefined])
      expect(recoveryFor(facts({ failureType: type })).kind).toBe('give-up');
  });

  test('a truncated answer is asked for once more with twice the limit, unless at the model limit', () => {
    const result = { truncated: true, maxOutputTokens: 4000 } as AnalysisResult;
    expect(longerAnswerLimit(result, false)).toBe(8000);
    expect(longerAnswerLimit(result, true)).toBeUndefined();
    expect(longerAnswerLimit({ ...result, atModelLimit: true }, false)).toBeUndefined();
    expect(longerAnswerLimit({ ...result, truncated: false }, false)).toBeUndefined();
  });

  test('the quota wait lasts until a minute after the reset, at least a second', () => {
    const now = Date.parse('2026-11-29T12:00:00Z');
    expect(quotaWaitMs('2026-11-29T13:00:00Z', now)).toBe(3_660_000);
    expect(quotaWaitMs('2026-11-29T11:00:00Z', now)).toBe(1000);
  });
});

function batchState(pending: Record<string, boolean>, total = 10) {
  const state = initialBatchState('2026-11-29T00:00:00Z');
  state.discovered = { total, listPath: '/l', notVideos: [], notVideosCount: 0 };
  for (const [key, waiting] of Object.entries(pending))
    state.pending[videoWorkflowId('b', key)] = { key, title: key, source: key, waiting, estimatedCostUsd: 0.5 };
  state.cursor = Object.keys(pending).length;
  return state;
}

describe('batch units', () => {
  const tuning: Required<BatchTuning> = { ...defaultTuning, maxStartsPerRun: 3 };
  const input = { concurrency: 2, keyAliases: ['a', 'b'] } as never;

  test('the budget stops a start whose estimate would pass the limit, and says the figures', () => {
    const state = batchState({ v1: false }); // $0.50 in flight
    state.costUsd = 1;
    expect(budgetStopReason(state, undefined, { estimatedCostUsd: 5 })).toBeUndefined();
    expect(budgetStopReason(state, 2, { estimatedCostUsd: 0.5 })).toBeUndefined();
    expect(budgetStopReason(state, 2, { estimatedCostUsd: 0.6 })).toBe(
      'budget: $1.0000 spent + $0.5000 expected in flight + $0.6000 expected for the next video would pass the $2 limit',
    );
  });

  test('the window counts working videos against the concurrency; one waiting for a person does not', () => {
    expect(new ChildWindow(input, 'b', batchState({ v1: false, v2: false }), tuning).roomToStart()).toBe(false);
    expect(new ChildWindow(input, 'b', batchState({ v1: false, v2: true }), tuning).roomToStart()).toBe(true);
    const stopped = batchState({ v1: true });
    stopped.stopReason = 'cancelled';
    const window = new ChildWindow(input, 'b', stopped, tuning);
    expect(window.roomToStart()).toBe(false);
    expect(window.stopNotYetTold()).toBe(true);
    expect(window.allDone()).toBe(false); // a video is still pending
  });

  test('the window is done when nothing is pending and nothing is left to start; children it did not start are carried', () => {
    const state = batchState({ v1: false }, 1);
    const window = new ChildWindow(input, 'b', state, tuning);
    expect(window.carried()).toEqual(['b/v1']);
    expect(window.allDone()).toBe(false);
    recordOutcome(state, 'b/v1', {
      key: 'v1',
      title: 'v1',
      source: 'v1',
      status: 'succeeded',
      usage: { promptTokens: 1, outputTokens: 1, thoughtsTokens: 0, totalTokens: 2 },
      costUsd: 0,
    });
    expect(window.allDone()).toBe(true);
  });

  test('the window continues as new when the server suggests it or the history is long', () => {
    const window = new ChildWindow(input, 'b', batchState({}), tuning);
    expect(window.shouldContinueAsNew()).toBe(false);
    info = { ...info, historyLength: tuning.maxHistoryEventsPerRun + 1 };
    expect(window.shouldContinueAsNew()).toBe(true);
    info = { ...info, historyLength: 10, continueAsNewSuggested: true };
    expect(window.shouldContinueAsNew()).toBe(true);
    info = { ...info, continueAsNewSuggested: false };
  });

  test('key usage goes to the pool every 25 finished videos, or at the end, and only with several keys', () => {
    const state = batchState({});
    state.unreportedTokens = { [usageKey('a', 'm')]: 100 };
    state.succeeded = 24;
    expect(new KeyUsageReport(state, ['a', 'b']).due(false)).toBe(false);
    expect(new KeyUsageReport(state, ['a', 'b']).due(true)).toBe(true);
    state.failed = 1;
    expect(new KeyUsageReport(state, ['a', 'b']).due(false)).toBe(true);
    expect(new KeyUsageReport(state, ['a']).due(true)).toBe(false);
  });

  test('one encoding of key and model, and of video workflow ids', () => {
    expect(parseUsageKey(usageKey('lab-a', 'gemini-3.8-flash'))).toEqual({ alias: 'lab-a', model: 'gemini-3.8-flash' });
    expect(videoKeyOf('batch-1', videoWorkflowId('batch-1', 'intro-abc123'))).toBe('intro-abc123');
  });

  test('batch details say the counts and why it stopped', () => {
    const text = batchDetailsText(
      'Art',
      {
        state: 'running',
        total: 4,
        succeeded: 1,
        failed: 1,
        skipped: 0,
        running: 1,
        waiting: 1,
        usage: { totalTokens: 30 },
        costUsd: 0.5,
      } as never,
      'budget reached',
    );
    expect(text).toBe(
      '**Art** · running\n2/4 done: 1 succeeded, 1 failed, 0 skipped\n1 running, 1 waiting for a person\nTokens 30 · cost $0.5000\nStopped starting new videos: budget reached',
    );
  });
});

describe('video progress: the one owner of step and status', () => {
  beforeEach(() => (workflowCalls.length = 0));

  test('a step inside a step hands the step back when it ends (a re-upload inside analysis)', () => {
    const progress = new VideoProgress('Intro', () => 'lab-a');
    const leaveAnalyze = progress.enter('analyze');
    const leaveUpload = progress.enter('upload');
    expect(progress.state.step).toBe('upload');
    leaveUpload();
    expect(progress.state.step).toBe('analyze');
    leaveAnalyze();
  });

  test('waiting for a person sets the search attribute and shows what to do; attended clears it', () => {
    const progress = new VideoProgress('Intro', () => 'lab-a');
    progress.needsAttention({ step: 'analyze', errorType: 'GeminiContentBlocked', message: 'SAFETY', since: 't' });
    expect(progress.isWaitingForPerson()).toBe(true);
    expect(workflowCalls.map(([kind]) => kind)).toEqual(['upsert', 'details']);
    expect(String(workflowCalls[1][1])).toContain('**Needs attention** since t: analyze failed');
    progress.attended();
    expect(progress.state).toMatchObject({ status: 'running', attention: undefined });
  });

  test('the details name the model and the key, or "(choosing)" before one is chosen', () => {
    expect(detailsText('Intro', { step: 'analyze', status: 'running', model: 'm1' }, '(choosing)')).toBe(
      '**Intro**\nStep: analyze · running\nModel: m1 · key: (choosing)',
    );
  });
});
