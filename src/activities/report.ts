import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';
import { writeFileAtomic } from '../output/atomic';
import type { BatchSummary, VideoOutcome } from '../types';
import { batchDir } from './batch';
import type { ActivityContext } from './context';

const webhookTimeoutMs = 10_000;

export function reportActivities(ctx: ActivityContext) {
  return {
    /** Appends a video's outcome to its batch's record (one JSON line; a repeat is harmless). */
    async recordOutcome(input: { batchId: string; outputDir: string; outcome: VideoOutcome }): Promise<void> {
      const file = path.join(batchDir(input.outputDir, input.batchId), 'outcomes.jsonl');
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.appendFile(file, `${JSON.stringify({ ...input.outcome, at: ctx.now().toISOString() })}\n`);
    },

    /**
     * Writes the batch's full report, every video included (the workflow's summary keeps only
     * capped lists): report.json for scripts and report.md for people. Returns the Markdown path.
     */
    async writeBatchReport(input: {
      batchId: string;
      label: string;
      outputDir: string;
      summary: BatchSummary;
    }): Promise<string> {
      const dir = batchDir(input.outputDir, input.batchId);
      const outcomes = new Map<string, VideoOutcome>();
      try {
        const text = await fs.readFile(path.join(dir, 'outcomes.jsonl'), 'utf8');
        for (const line of text.split('\n')) {
          if (!line.trim()) continue;
          try {
            const o = JSON.parse(line) as VideoOutcome;
            outcomes.set(o.key, o);
          } catch {
            // a torn last line from a crash; that video's later line (or the summary) covers it
          }
        }
      } catch {
        // no video finished
      }
      const all = [...outcomes.values()].sort((a, b) => a.title.localeCompare(b.title));
      await writeFileAtomic(
        path.join(dir, 'report.json'),
        JSON.stringify({ summary: input.summary, videos: all }, null, 2),
      );
      const reportPath = path.join(dir, 'report.md');
      await writeFileAtomic(reportPath, renderReport(input.label, input.summary, all, input.outputDir));
      return reportPath;
    },

    /** Posts the summary to the user's webhook. Failures are retried by the policy, then ignored by the batch. */
    async notifyWebhook(input: { url: string; summary: BatchSummary }): Promise<void> {
      const doFetch = ctx.deps.fetch ?? fetch;
      const response = await doFetch(input.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'lesson-forge' },
        body: JSON.stringify({ event: 'batch.finished', ...input.summary }),
        signal: AbortSignal.timeout(webhookTimeoutMs),
      });
      if (!response.ok) {
        throw ApplicationFailure.create({
          type: FailureType.WebhookFailed,
          nonRetryable: response.status >= 400 && response.status < 500 && response.status !== 429,
          message: `Webhook ${new URL(input.url).host} answered ${response.status}`,
        });
      }
    },
  };
}

function renderReport(label: string, s: BatchSummary, videos: VideoOutcome[], outputDir: string): string {
  const rel = (p?: string) => (p ? path.relative(outputDir, p) : '');
  const lines = [
    `# Batch ${s.batchId}`,
    '',
    `${label}: ${s.total} videos: ${s.succeeded} succeeded, ${s.failed} failed, ${s.skipped} skipped.`,
    `Tokens: ${s.usage.totalTokens} · cost: $${s.costUsd.toFixed(4)} · started ${s.startedAt} · finished ${s.finishedAt ?? ''}`,
  ];
  if (s.stoppedEarly) lines.push('', `Stopped early: ${s.stoppedEarly} (${s.notStarted ?? 0} videos not started).`);
  lines.push('', '| Video | Status | Output or reason | Tokens | Cost |', '|---|---|---|---|---|');
  for (const v of videos) {
    const what =
      v.status === 'succeeded'
        ? `${rel(v.outputPath)}${v.reason ? ` (${v.reason})` : ''}`
        : `${v.errorType ? `${v.errorType}: ` : ''}${v.reason ?? ''}`;
    lines.push(
      `| ${cell(v.title)} | ${v.status} | ${cell(what)} | ${v.usage.totalTokens} | $${v.costUsd.toFixed(4)} |`,
    );
  }
  if (s.notVideos.length) {
    lines.push('', '## Not videos', '');
    for (const n of s.notVideos) lines.push(`- ${n.entry}: ${n.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
