/**
 * ffprobe's answers, remembered per file (device, inode, size and modification time): a batch page,
 * a dry run and a second run over the same folder probe each file once per worker, and a video's
 * inspection reuses the answer its batch page asked for instead of running ffprobe again.
 */
import fs from 'node:fs/promises';
import { readContainerDuration } from '../media/duration';
import { probeVideo, type ProbeOptions, type ProbeResult } from '../media/probe';

const maxEntries = 20_000;
/** Answers given or coming, by file. */
const answers = new Map<string, Promise<ProbeResult>>();
/** Probes asked for ahead of need, not started yet (`true`: counted against the limit below). */
const queued = new Map<string, (counted: boolean) => void>();
/** ffprobe runs ahead of need a few at a time, beside the videos' own work. */
const aheadConcurrency = 2;
let aheadRunning = 0;

async function fileKey(filePath: string): Promise<string | undefined> {
  try {
    const st = await fs.stat(filePath);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function remember(key: string, answer: Promise<ProbeResult>): Promise<ProbeResult> {
  if (answers.size >= maxEntries) answers.delete(answers.keys().next().value as string);
  answers.set(key, answer);
  return answer;
}

/** Duration by ffprobe, remembered (a dry run, an estimate for a container the built-in readers do not cover). */
export async function probeDurationCached(filePath: string): Promise<number | undefined> {
  const key = await fileKey(filePath);
  if (key === undefined) return undefined;
  const result = await (answers.get(key) ?? remember(key, probeVideo(filePath)));
  return result.ok ? result.durationSeconds : undefined;
}

/**
 * Duration for a batch page's estimates without holding the batch up: read from the file's own
 * headers (microseconds, no process) when the container allows, while ffprobe's answer, which
 * inspection uses, is fetched ahead of need, two at a time. Falls back to ffprobe when the headers
 * do not tell.
 */
export async function durationForEstimate(filePath: string): Promise<number | undefined> {
  const key = await fileKey(filePath);
  if (key === undefined) return undefined;
  if (!answers.has(key)) {
    const own = await readContainerDuration(filePath);
    if (own.ok) {
      probeAhead(key, filePath);
      return own.durationSeconds;
    }
  }
  const result = await (answers.get(key) ?? remember(key, probeVideo(filePath)));
  return result.ok ? result.durationSeconds : undefined;
}

function probeAhead(key: string, filePath: string): void {
  const answer = new Promise<boolean>((start) => queued.set(key, start)).then(async (counted) => {
    try {
      return await probeVideo(filePath);
    } finally {
      if (counted) {
        aheadRunning--;
        startNextAhead();
      }
    }
  });
  answer.catch(() => undefined);
  void remember(key, answer);
  startNextAhead();
}

function startNextAhead(): void {
  const next = aheadRunning < aheadConcurrency ? queued.entries().next().value : undefined;
  if (!next) return;
  queued.delete(next[0]);
  aheadRunning++;
  next[1](true);
}

/**
 * A probe for inspection: the remembered answer for this file (same size and mtime), waited for if
 * it is on its way (started now if it was only queued), a fresh probe otherwise. Only a full answer
 * is reused; a probe that failed (a hung or crashed ffprobe under load, say) is tried again, since
 * inspection reports why a video has no duration.
 */
export async function probeVideoCached(filePath: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const key = await fileKey(filePath);
  const coming = key === undefined ? undefined : answers.get(key);
  if (key !== undefined && coming) {
    const start = queued.get(key);
    if (start) {
      // Needed now: it runs at once, outside the ahead-of-need limit.
      queued.delete(key);
      start(false);
    }
    const known = await coming.catch(() => undefined);
    if (known?.ok) return known;
  }
  const result = await probeVideo(filePath, opts);
  if (key !== undefined && !opts.signal?.aborted) void remember(key, Promise.resolve(result));
  return result;
}
