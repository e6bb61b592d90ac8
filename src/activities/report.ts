import fs from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { webhookUrlProblem } from '../config/webhook-url';
import { FailureType } from '../failures';
import { writeFileAtomic } from '../output/atomic';
import { expectedVsActual } from '../gemini/estimate-report';
import type { BatchSummary, NoteOutcome, VideoOutcome, WebhookRef } from '../types';
import { batchDir } from './batch';
import type { ActivityContext } from './context';
import { reportAfter, summaryAfter, withReportLock, type ReportedVideo, type StoredReport } from './report-update';

const webhookTimeoutMs = 10_000;

export function reportActivities(ctx: ActivityContext) {
  return {
    /**
     * Appends a video's outcome to its batch's record (one JSON line; a repeat is harmless). When
     * the batch has already finished (its report exists), the video ran again after a Reset: the
     * report is brought up to date here, as its batch is no longer there to do it.
     */
    async recordOutcome(input: { batchId: string; outputDir: string; outcome: VideoOutcome }): Promise<void> {
      const dir = batchDir(input.outputDir, input.batchId);
      const at = ctx.now().toISOString();
      const video: ReportedVideo = { ...input.outcome, runId: currentRunId(), at };
      await fs.mkdir(dir, { recursive: true });
      await fs.appendFile(path.join(dir, 'outcomes.jsonl'), `${JSON.stringify(video)}\n`);
      const reportJson = path.join(dir, 'report.json');
      if (!(await exists(reportJson))) return;
      await withReportLock(dir, async () => {
        const report = JSON.parse(await fs.readFile(reportJson, 'utf8')) as StoredReport;
        const updated = reportAfter(report, video, at);
        if (updated) await writeReport(dir, updated, input.outputDir);
      });
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
      const outcomes = new Map<string, ReportedVideo>();
      try {
        const text = await fs.readFile(path.join(dir, 'outcomes.jsonl'), 'utf8');
        for (const line of text.split('\n')) {
          if (!line.trim()) continue;
          try {
            const o = JSON.parse(line) as ReportedVideo;
            outcomes.set(o.key, o);
          } catch {
            // a torn last line from a crash; that video's later line (or the summary) covers it
          }
        }
      } catch {
        // no video finished
      }
      const videos = [...outcomes.values()].sort((a, b) => a.title.localeCompare(b.title));
      // A video reset while its batch was finishing can report after the batch took its summary.
      let summary = input.summary;
      for (const failure of input.summary.failures) {
        const latest = outcomes.get(failure.key);
        if (latest && latest.status !== 'failed') summary = summaryAfter(summary, undefined, latest);
      }
      return withReportLock(dir, () => writeReport(dir, { label: input.label, summary, videos }, input.outputDir));
    },

    /**
     * Posts the summary to the user's webhook (body: README "Nightly batches"). Failures are retried
     * by the policy, then ignored by the batch. The URL often holds a secret (a token in its path or
     * query), so no message, log line or failure says it: it is "the webhook". A redirect is not
     * followed: the receiver named is the only one that gets the summary.
     */
    async notifyWebhook(input: { url?: string; webhook?: WebhookRef; summary: BatchSummary }): Promise<void> {
      const doFetch = ctx.deps.fetch ?? fetch;
      const url = input.url ?? webhookUrlOf(input.webhook, ctx.deps.webhookUrl);
      const problem = webhookUrlProblem(url);
      if (problem) throw webhookFailure(`${problem}; nothing was sent`, true);
      let response: Response;
      try {
        response = await doFetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'lesson-forge' },
          body: JSON.stringify({ event: 'batch.finished', ...input.summary }),
          redirect: 'manual',
          signal: AbortSignal.timeout(webhookTimeoutMs),
        });
      } catch (err) {
        // fetch's own messages can quote the URL; keep only the kind of trouble.
        const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        throw webhookFailure(`the webhook could not be reached (${cause})`, false);
      }
      await response.body?.cancel().catch(() => undefined);
      if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
        throw webhookFailure(
          `the webhook answered with a redirect (${response.status || 'opaque'}); redirects are not followed: configure the final address`,
          true,
        );
      }
      if (!response.ok) {
        const status = response.status;
        throw webhookFailure(`the webhook answered ${status}`, status >= 400 && status < 500 && status !== 429);
      }
    },
  };
}

/** The URL a named webhook stands for on this worker; a name this worker does not know fails for good, saying what to set. */
function webhookUrlOf(webhook: WebhookRef | undefined, configUrl: string | undefined): string {
  const url = webhook && 'env' in webhook ? process.env[webhook.env] : configUrl;
  if (url) return url;
  const where =
    webhook && 'env' in webhook
      ? `the environment variable ${webhook.env} is not set on this worker`
      : 'this worker\'s config file has no "webhookUrl"';
  throw webhookFailure(`the webhook is unknown here: ${where}; nothing was sent`, true);
}

function webhookFailure(message: string, nonRetryable: boolean): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.WebhookFailed, nonRetryable, message });
}

/** Writes report.json and report.md (each atomically); returns the Markdown path. */
async function writeReport(dir: string, report: StoredReport, outputDir: string): Promise<string> {
  await writeFileAtomic(path.join(dir, 'report.json'), JSON.stringify(report, null, 2));
  const reportPath = path.join(dir, 'report.md');
  await writeFileAtomic(reportPath, renderReport(report, outputDir));
  return reportPath;
}

/** Several templates: each note, by template (`quiz: quiz/a.md; summary_report: up to date`). */
function notesText(notes: NoteOutcome[], rel: (p?: string) => string): string {
  return notes
    .map(
      (n) =>
        `${n.template}: ${n.status === 'written' ? rel(n.outputPath) : n.status === 'up-to-date' ? `${rel(n.outputPath)} (up to date)` : n.status}`,
    )
    .join('; ');
}

function renderReport(report: StoredReport, outputDir: string): string {
  const { summary: s, videos } = report;
  const rel = (p?: string) => (p ? path.relative(outputDir, p) : '');
  const lines = [
    `# Batch ${s.batchId}`,
    '',
    `${report.label ?? s.batchId}: ${s.total} videos: ${s.succeeded} succeeded, ${s.failed} failed, ${s.skipped} skipped.`,
    `Tokens: ${s.usage.totalTokens} · cost: $${s.costUsd.toFixed(4)} · started ${s.startedAt} · finished ${s.finishedAt ?? ''}`,
  ];
  if (s.expected && s.expected.videos > 0) {
    const [cost, tokens] = expectedVsActual(s.expected);
    lines.push('', `Estimate against the bill: ${cost}.`, `${tokens.charAt(0).toUpperCase()}${tokens.slice(1)}.`);
  }
  if (s.repairs) lines.push('', `Answers repaired without sending the video again: ${s.repairs}.`);
  const cached = videos.filter((v) => v.cache);
  if (cached.length > 0)
    lines.push(
      '',
      `Context caches: ${cached.length} ${cached.length === 1 ? 'video' : 'videos'} read from a cache by every template (${s.usage.cachedTokens ?? 0} cached tokens read; storage $${cached.reduce((a, v) => a + (v.cache?.storageUsd ?? 0), 0).toFixed(6)}, in the cost).`,
    );
  if (s.stoppedEarly) lines.push('', `Stopped early: ${s.stoppedEarly} (${s.notStarted ?? 0} videos not started).`);
  lines.push('', '| Video | Status | Output or reason | Tokens | Cost |', '|---|---|---|---|---|');
  for (const v of videos) {
    const what =
      v.status === 'succeeded'
        ? `${v.notes ? notesText(v.notes, rel) : rel(v.outputPath)}${v.reason ? ` (${v.reason})` : ''}`
        : `${v.errorType ? `${v.errorType}: ` : ''}${v.reason ?? ''}${v.notes && v.status === 'failed' ? ` — ${notesText(v.notes, rel)}` : ''}`;
    lines.push(
      `| ${cell(v.title)} | ${v.status} | ${cell(what)} | ${v.usage.totalTokens} | $${v.costUsd.toFixed(4)} |`,
    );
  }
  if (report.changes?.length) {
    lines.push('', '## Changed after the batch finished', '');
    for (const c of report.changes) lines.push(`- ${c.at}: ${c.title} ${c.from ? `${c.from} → ` : ''}${c.to} (rerun)`);
  }
  if (s.projects?.length && s.keys?.length) {
    // Keys of one project share its quota: the project's line is what to hold against the limits.
    lines.push(
      '',
      '## Spend per project and key',
      '',
      '| Project or key | Videos | Input tokens | Tokens |',
      '|---|---|---|---|',
    );
    for (const p of s.projects)
      lines.push(
        `| project ${cell(p.project)} (${cell(p.keys.join(', '))}) | ${p.videos} | ${p.promptTokens} | ${p.totalTokens} |`,
      );
    for (const k of s.keys)
      lines.push(
        `| key ${cell(k.key)} (project ${cell(k.project)}) | ${k.videos} | ${k.promptTokens} | ${k.totalTokens} |`,
      );
  }
  if (s.notVideos.length) {
    lines.push('', '## Not videos', '');
    for (const n of s.notVideos) lines.push(`- ${n.entry}: ${n.reason}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The workflow run reporting, so the same run reporting twice (an activity retry) counts once. */
function currentRunId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.runId;
  } catch {
    return undefined; // called directly, outside an activity (unit tests)
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
