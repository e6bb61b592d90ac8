/** Expected against actual, in words, for the summary, `watch` and the batch report. */
import type { ExpectedTotals } from '../types';
import { formatUsd } from './cost';

const tokens = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Signed difference of actual from expected, e.g. "+4 %". */
export function deviation(expected: number, actual: number): string {
  if (expected <= 0) return actual > 0 ? 'n/a' : '0 %';
  const pct = Math.round(((actual - expected) / expected) * 100);
  return `${pct > 0 ? '+' : pct < 0 ? '−' : ''}${Math.abs(pct)} %`;
}

/** What the expected figure was built on. */
export function expectedBasis(e: ExpectedTotals): string {
  if (e.fromHistory === e.videos) return 'expected output from earlier answers in this output folder';
  if (e.fromHistory === 0) return 'expected output from typical template sizes (no history yet)';
  return `expected output from earlier answers for ${e.fromHistory} of ${e.videos} videos, typical sizes for the rest`;
}

/** Two lines: cost, then tokens. */
export function expectedVsActual(e: ExpectedTotals): [string, string] {
  const u = e.actualUsage;
  return [
    `expected ${formatUsd(e.costUsd)} (ceiling ${formatUsd(e.ceilingUsd)}) · actual ${formatUsd(e.actualCostUsd)} (${deviation(e.costUsd, e.actualCostUsd)}) over ${e.videos} ${e.videos === 1 ? 'video' : 'videos'}; ${expectedBasis(e)}`,
    `tokens: expected ${tokens(e.inputTokens)} in + ${tokens(e.outputTokens)} out · actual ${tokens(u.promptTokens)} in + ${tokens(u.outputTokens + u.thoughtsTokens)} out`,
  ];
}
