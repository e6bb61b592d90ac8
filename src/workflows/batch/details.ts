import { FailureType } from '../../failures';
import type { BatchProgress, BatchSummary } from '../../types';

/** Failed videos named in the details; the rest are counted (the UI keeps details short). */
const failuresShown = 10;

/** The batch's details in the Web UI: counts, spend, why it stopped starting videos, and which videos failed. */
export function batchDetailsText(
  label: string,
  p: BatchProgress,
  stopReason: string | undefined,
  failures: BatchSummary['failures'] = [],
): string {
  const failed = failures
    .slice(0, failuresShown)
    .map((f) => `- ${f.title}: ${f.errorType ?? FailureType.Unclassified}`);
  if (p.failed > failed.length && failed.length > 0) failed.push(`- and ${p.failed - failed.length} more`);
  return [
    `**${label}** · ${p.state}`,
    `${p.succeeded + p.failed + p.skipped}/${p.total} done: ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped`,
    `${p.running} running, ${p.waiting} waiting for a person`,
    `Tokens ${p.usage.totalTokens} · cost $${p.costUsd.toFixed(4)}`,
    stopReason ? `Stopped starting new videos: ${stopReason}` : '',
    failed.length
      ? `\n**Failed videos** (each is a failed VideoWorkflow: open it, fix the cause, Reset it):\n${failed.join('\n')}`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}
