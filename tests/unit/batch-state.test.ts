import { budgetStopReason } from '../../src/workflows/batch/budget';
import {
  initialBatchState,
  pendingEstimate,
  progressOf,
  recordOutcome,
  summaryListCap,
  summaryOf,
} from '../../src/workflows/batch-state';
import type { VideoOutcome } from '../../src/types';

const usage = { promptTokens: 10, outputTokens: 5, thoughtsTokens: 0, totalTokens: 15 };
const outcome = (key: string, status: VideoOutcome['status']): VideoOutcome => ({
  key,
  title: key,
  source: `/v/${key}.mp4`,
  status,
  usage,
  costUsd: 0.01,
  outputPath: `/out/${key}.md`,
});

function withPending(keys: string[]) {
  const state = initialBatchState('2026-11-22T00:00:00Z');
  for (const key of keys)
    state.pending[`b/${key}`] = { key, title: key, source: key, waiting: false, estimatedCostUsd: 0 };
  state.cursor = keys.length;
  state.discovered = { total: keys.length, listPath: '/l', notVideos: [], notVideosCount: 0 };
  return state;
}

describe('batch state', () => {
  test('a video reported twice (signal, result, reconcile) is counted once', () => {
    const state = withPending(['a']);
    expect(recordOutcome(state, 'b/a', outcome('a', 'succeeded'))).toBe(true);
    expect(recordOutcome(state, 'b/a', outcome('a', 'succeeded'))).toBe(false);
    expect(recordOutcome(state, 'b/a', { ...outcome('a', 'failed'), errorType: 'VideoWorkflowClosed' })).toBe(false);
    expect(state).toMatchObject({ succeeded: 1, failed: 0, costUsd: 0.01 });
    expect(state.usage.totalTokens).toBe(15);
  });

  test('a failed video that succeeds after a Reset is counted once, as succeeded; a repeat changes nothing', () => {
    const state = withPending(['a', 'c']);
    recordOutcome(state, 'b/a', { ...outcome('a', 'failed'), keyAlias: 'k', model: 'm' });
    recordOutcome(state, 'b/c', outcome('c', 'succeeded'));
    expect(state).toMatchObject({ succeeded: 1, failed: 1 });
    expect(state.failures.map((f) => f.key)).toEqual(['a']);

    // The run after the Reset kept the failed run's first calls (15 tokens) and spent 15 more.
    const retried = {
      ...outcome('a', 'succeeded'),
      keyAlias: 'k',
      model: 'm',
      usage: { ...usage, totalTokens: 30 },
      costUsd: 0.02,
    };
    expect(recordOutcome(state, 'b/a', retried)).toBe(true);
    expect(state).toMatchObject({ succeeded: 2, failed: 0, failures: [] });
    expect(state.outputs).toEqual(['/out/c.md', '/out/a.md']);
    expect(state.usage.totalTokens).toBe(45); // 30 for a, 15 for c: a's first 15 not counted twice
    expect(state.costUsd).toBeCloseTo(0.03);
    expect(state.unreportedTokens).toEqual({ 'k\u0000m': 30 });

    expect(recordOutcome(state, 'b/a', retried)).toBe(false);
    expect(recordOutcome(state, 'b/a', outcome('a', 'failed'))).toBe(false);
    expect(state).toMatchObject({ succeeded: 2, failed: 0 });
  });

  test('waiting videos are counted apart from running ones', () => {
    const state = withPending(['a', 'b', 'c']);
    state.pending['b/b'].waiting = true;
    expect(progressOf('b', state, 'running')).toMatchObject({ running: 2, waiting: 1, started: 3, total: 3 });
  });

  test('summary lists are capped and say so, while counts stay exact', () => {
    const keys = Array.from({ length: summaryListCap + 5 }, (_, i) => `v${i}`);
    const state = withPending(keys);
    for (const key of keys) recordOutcome(state, `b/${key}`, outcome(key, 'failed'));
    const summary = summaryOf('b', state, '2026-11-22T01:00:00Z');
    expect(summary.failed).toBe(keys.length);
    expect(summary.failures).toHaveLength(summaryListCap);
    expect(summary.listsTruncated).toBe(true);
  });
});

describe('expected against actual, and the budget rules', () => {
  const planned = (key: string, expected: number, ceiling: number) => ({
    key,
    title: key,
    source: { kind: 'file' as const, path: `/v/${key}.mp4` },
    expectedCostUsd: expected,
    estimatedCostUsd: ceiling,
    expectedInputTokens: 1000,
    expectedOutputTokens: 200,
    expectedFromHistory: true,
  });
  /** A video in flight carrying the estimate its plan made. */
  const pendingPlanned = (key: string, expected: number, ceiling: number) => ({
    key,
    title: key,
    source: key,
    waiting: false,
    ...pendingEstimate(planned(key, expected, ceiling)),
  });

  test('a finished video adds its expected figures beside its bill; one found up to date adds neither', () => {
    const state = initialBatchState('2026-11-22T00:00:00Z');
    state.pending['b/a'] = pendingPlanned('a', 0.02, 0.3);
    state.pending['b/s'] = pendingPlanned('s', 0.02, 0.3);
    recordOutcome(state, 'b/a', { ...outcome('a', 'succeeded'), repairs: 1 });
    recordOutcome(state, 'b/s', { ...outcome('s', 'skipped'), usage: { ...usage, totalTokens: 0 }, costUsd: 0 });
    expect(state.expected).toEqual({
      videos: 1,
      inputTokens: 1000,
      outputTokens: 200,
      costUsd: 0.02,
      ceilingUsd: 0.3,
      fromHistory: 1,
      actualUsage: usage,
      actualCostUsd: 0.01,
    });
    expect(summaryOf('b', state, '2026-11-22T01:00:00Z')).toMatchObject({ expected: state.expected, repairs: 1 });
  });

  test('the expected total decides where the batch stops', () => {
    const state = initialBatchState('2026-11-22T00:00:00Z');
    state.costUsd = 0.5;
    state.pending['b/a'] = pendingPlanned('a', 0.2, 0.3);
    // 0.5 spent + 0.2 expected in flight + 0.2 next = 0.9 ≤ 1; ceilings in flight 0.5 + 0.3 ≤ 1.
    expect(budgetStopReason(state, 1, planned('b', 0.2, 0.3))).toBeUndefined();
    // 0.5 + 0.2 + 0.4 = 1.1 > 1.
    expect(budgetStopReason(state, 1, planned('b', 0.4, 0.5))).toMatch(
      /expected for the next video would pass the \$1 limit/,
    );
  });

  test('what is spent plus the ceilings in flight must fit: never more than one ceiling over', () => {
    const state = initialBatchState('2026-11-22T00:00:00Z');
    state.costUsd = 0.5;
    state.pending['b/a'] = pendingPlanned('a', 0.05, 0.6);
    // Expected 0.5 + 0.05 + 0.05 fits, but 0.5 spent + 0.6 ceiling in flight could already pass 1.
    expect(budgetStopReason(state, 1, planned('b', 0.05, 0.6))).toMatch(/at most in flight could pass the \$1 limit/);
  });
});
