import type { BatchProgress } from '../../types';

/** The batch's details in the Web UI: counts, spend, and why it stopped starting videos. */
export function batchDetailsText(label: string, p: BatchProgress, stopReason: string | undefined): string {
  return [
    `**${label}** · ${p.state}`,
    `${p.succeeded + p.failed + p.skipped}/${p.total} done: ${p.succeeded} succeeded, ${p.failed} failed, ${p.skipped} skipped`,
    `${p.running} running, ${p.waiting} waiting for a person`,
    `Tokens ${p.usage.totalTokens} · cost $${p.costUsd.toFixed(4)}`,
    stopReason ? `Stopped starting new videos: ${stopReason}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}
