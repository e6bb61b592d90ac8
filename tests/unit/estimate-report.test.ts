import { deviation, expectedBasis, expectedVsActual } from '../../src/gemini/estimate-report';
import { progressLine, renderSummary } from '../../src/cli/progress';
import type { BatchProgress, BatchSummary, ExpectedTotals } from '../../src/types';

process.env.NO_COLOR = '1';

const expected: ExpectedTotals = {
  videos: 7,
  inputTokens: 13_000,
  outputTokens: 7_700,
  costUsd: 0.0386,
  ceilingUsd: 0.46,
  fromHistory: 7,
  actualUsage: { promptTokens: 13_164, outputTokens: 7_000, thoughtsTokens: 1_000, totalTokens: 21_164 },
  actualCostUsd: 0.04,
};

test('deviation of the bill from the estimate, signed and rounded', () => {
  expect(deviation(0.1, 0.115)).toBe('+15 %');
  expect(deviation(0.2, 0.15)).toBe('−25 %');
  expect(deviation(0.2, 0.2)).toBe('0 %');
  expect(deviation(0, 0)).toBe('0 %');
});

test('what the expected figure was built on', () => {
  expect(expectedBasis(expected)).toBe('expected output from earlier answers in this output folder');
  expect(expectedBasis({ ...expected, fromHistory: 0 })).toMatch(/typical template sizes \(no history yet\)/);
  expect(expectedBasis({ ...expected, fromHistory: 3 })).toMatch(/earlier answers for 3 of 7 videos/);
});

test('expected against actual: cost with its ceiling, then tokens (thinking counted as output)', () => {
  expect(expectedVsActual(expected)).toEqual([
    'expected $0.039 (ceiling $0.46) · actual $0.04 (+4 %) over 7 videos; expected output from earlier answers in this output folder',
    'tokens: expected 13,000 in + 7,700 out · actual 13,164 in + 8,000 out',
  ]);
});

test('the summary and the watch line show them, and the repairs', () => {
  const summary: BatchSummary = {
    batchId: 'b',
    total: 7,
    succeeded: 7,
    failed: 0,
    skipped: 0,
    notVideos: [],
    usage: expected.actualUsage,
    costUsd: 0.04,
    failures: [],
    outputs: [],
    skippedVideos: [],
    listsTruncated: false,
    startedAt: '2026-11-29T00:00:00Z',
    expected,
    repairs: 2,
  };
  const text = renderSummary(summary);
  expect(text).toContain('expected $0.039 (ceiling $0.46) · actual $0.04 (+4 %) over 7 videos');
  expect(text).toContain('2 answers repaired without sending the video again');
  const progress: BatchProgress = {
    batchId: 'b',
    state: 'running',
    total: 10,
    started: 9,
    running: 2,
    succeeded: 7,
    failed: 0,
    skipped: 0,
    waiting: 0,
    usage: expected.actualUsage,
    costUsd: 0.04,
    startedAt: '2026-11-29T00:00:00Z',
    generation: 1,
    expected,
    inFlight: { expectedUsd: 0.011, ceilingUsd: 0.13 },
  };
  const line = progressLine(progress);
  expect(line).toContain('$0.04 · expected $0.04 for those (+4 %)');
  expect(line).toContain('running: expected $0.01, ceiling $0.13');
});
