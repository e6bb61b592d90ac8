import fs from 'node:fs/promises';
import path from 'node:path';
import { addUsage, type BatchSummary, type VideoOutcome } from '../types';

/** A video as the batch report lists it: its outcome, and the workflow run that produced it. */
export type ReportedVideo = VideoOutcome & { runId?: string; at?: string };

/** A video whose outcome changed after its batch had finished (a Reset in the Web UI, `retry-failed`). */
export interface ReportChange {
  key: string;
  title: string;
  from?: VideoOutcome['status'];
  to: VideoOutcome['status'];
  at: string;
}

/** report.json: the batch's summary and every video, kept right when a video reruns after the end. */
export interface StoredReport {
  label?: string;
  summary: BatchSummary;
  videos: ReportedVideo[];
  changes?: ReportChange[];
}

/**
 * The summary once `outcome` replaces the video's earlier entry: the earlier status is counted
 * out, the new one in (a video once failed and now succeeded counts once, as succeeded), lists
 * follow, and the new run's tokens and cost are added (they were spent too).
 */
export function summaryAfter(summary: BatchSummary, earlier: VideoOutcome | undefined, outcome: VideoOutcome) {
  const s: BatchSummary = {
    ...summary,
    usage: addUsage(summary.usage, outcome.usage),
    costUsd: summary.costUsd + outcome.costUsd,
  };
  const was: VideoOutcome['status'] | undefined =
    earlier?.status ??
    (summary.failures.some((f) => f.key === outcome.key)
      ? 'failed'
      : summary.skippedVideos.some((v) => v.key === outcome.key)
        ? 'skipped'
        : undefined);
  if (was) s[was] = Math.max(0, s[was] - 1);
  s[outcome.status]++;
  s.failures = summary.failures.filter((f) => f.key !== outcome.key);
  s.skippedVideos = summary.skippedVideos.filter((v) => v.key !== outcome.key);
  s.outputs = earlier?.outputPath ? summary.outputs.filter((o) => o !== earlier.outputPath) : [...summary.outputs];
  if (outcome.outputPath && !s.outputs.includes(outcome.outputPath)) s.outputs.push(outcome.outputPath);
  if (outcome.status === 'failed') {
    s.failures.push({
      key: outcome.key,
      title: outcome.title,
      source: outcome.source,
      errorType: outcome.errorType,
      reason: (outcome.reason ?? 'failed').slice(0, 500),
    });
  } else if (outcome.status === 'skipped') {
    s.skippedVideos.push({ key: outcome.key, title: outcome.title, reason: outcome.reason ?? 'skipped' });
  }
  return s;
}

/**
 * Applies a video's new outcome to a finished batch's report. Returns undefined when it changes
 * nothing: the same run reporting again (an activity retry) is not counted twice.
 */
export function reportAfter(report: StoredReport, video: ReportedVideo, at: string): StoredReport | undefined {
  const earlier = report.videos.find((v) => v.key === video.key);
  if (earlier && video.runId && earlier.runId === video.runId) return undefined;
  return {
    ...report,
    summary: summaryAfter(report.summary, earlier, video),
    videos: [...report.videos.filter((v) => v.key !== video.key), video].sort((a, b) => a.title.localeCompare(b.title)),
    changes: [
      ...(report.changes ?? []),
      { key: video.key, title: video.title, from: earlier?.status, to: video.status, at },
    ],
  };
}

const lockWaitMs = 30_000;
const staleLockMs = 60_000;

/**
 * Runs fn while holding `<dir>/report.lock`, so the batch's own report and videos rerun after it
 * (possibly on other workers sharing the output folder) never overwrite each other's update.
 * A lock older than a minute was left by a crash and is taken over.
 */
export async function withReportLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(dir, 'report.lock');
  await fs.mkdir(dir, { recursive: true });
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      await (await fs.open(lock, 'wx')).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = await fs.stat(lock).then(
        (st) => Date.now() - st.mtimeMs,
        () => 0,
      );
      if (age > staleLockMs) await fs.rm(lock, { force: true });
      else if (Date.now() > deadline) throw new Error(`The batch report is locked by ${lock}; try again later.`);
      else await new Promise((r) => setTimeout(r, 50));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { force: true });
  }
}
