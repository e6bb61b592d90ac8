/**
 * ffprobe's answers, remembered per file (device, inode, size and modification time): a batch page,
 * a dry run and a second run over the same folder probe each file once per worker, and a video's
 * inspection reuses the answer its batch page asked for instead of running ffprobe again.
 *
 * In a worker, ffprobe runs a few at a time (it is CPU-bound: sixty at once on two cores finish no
 * sooner, and starve everything else): inspections first, then the probes asked for ahead of need,
 * one at a time.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import { readContainerDuration } from '../media/duration';
import { probeVideo, type ProbeOptions, type ProbeResult } from '../media/probe';

const maxEntries = 20_000;
/** Answers given or coming, by file. */
const answers = new Map<string, Promise<ProbeResult>>();

/**
 * At most this many ffprobe runs at once in a worker: one per core, and at least four (part of a run
 * is starting a process and reading the file); probes ahead of need take one, so inspections rarely wait.
 */
const probeSlots = Math.max(4, os.availableParallelism());
const aheadSlots = 1;
let running = 0;
let runningAhead = 0;
/** Starts a waiting probe; `early`: it counts against the early probes' slots. */
type Start = (early: boolean) => void;
/** Inspections waiting for a slot, in order. */
const urgent: Start[] = [];
/** Probes asked for ahead of need, not started yet, by file, in page order. */
const ahead = new Map<string, Start>();

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

/** Starts waiting probes while slots are free: inspections first. */
function startWaiting(): void {
  while (running < probeSlots) {
    const next = urgent.shift();
    if (next) {
      running++;
      next(false);
      continue;
    }
    const early = runningAhead < aheadSlots ? ahead.entries().next().value : undefined;
    if (!early) return;
    ahead.delete(early[0]);
    running++;
    runningAhead++;
    early[1](true);
  }
}

/** Runs `probe` in a slot; `early` probes wait in `ahead` under `key` (an inspection may hurry one). */
function inSlot(probe: () => Promise<ProbeResult>, early?: string): Promise<ProbeResult> {
  const slot = new Promise<boolean>((start) => {
    if (early === undefined) urgent.push(start);
    else ahead.set(early, start);
  });
  startWaiting();
  return slot.then(async (countedEarly) => {
    try {
      return await probe();
    } finally {
      running--;
      if (countedEarly) runningAhead--;
      startWaiting();
    }
  });
}

/** An early probe not started yet moves to the front: a video needs it now. */
function hurry(key: string): void {
  const start = ahead.get(key);
  if (!start) return;
  ahead.delete(key);
  urgent.unshift(start);
  startWaiting();
}

/** Duration by ffprobe, remembered (a dry run, which probes one file after the other). */
export async function probeDurationCached(filePath: string): Promise<number | undefined> {
  const key = await fileKey(filePath);
  if (key === undefined) return undefined;
  const result = await (answers.get(key) ?? remember(key, probeVideo(filePath)));
  return result.ok ? result.durationSeconds : undefined;
}

/**
 * Duration for a batch page's estimates without holding the batch up: read from the file's own
 * headers (microseconds, no process) when the container allows, while ffprobe's answer, which
 * inspection uses, is fetched ahead of need. Falls back to ffprobe when the headers do not tell.
 */
export async function durationForEstimate(filePath: string): Promise<number | undefined> {
  const key = await fileKey(filePath);
  if (key === undefined) return undefined;
  let answer = answers.get(key);
  if (!answer) {
    const own = await readContainerDuration(filePath);
    if (own.ok) {
      if (!answers.has(key)) {
        const early = inSlot(() => probeVideo(filePath), key);
        early.catch(() => undefined);
        void remember(key, early);
      }
      return own.durationSeconds;
    }
    answer =
      answers.get(key) ??
      remember(
        key,
        inSlot(() => probeVideo(filePath)),
      );
  }
  const result = await answer;
  return result.ok ? result.durationSeconds : undefined;
}

/**
 * A probe for inspection: the remembered answer for this file (same size and mtime), waited for if
 * it is on its way (moved to the front if it had not started), a fresh probe otherwise. Only a full
 * answer is reused; a probe that failed (a hung or crashed ffprobe under load, say) is tried again,
 * since inspection reports why a video has no duration.
 */
export async function probeVideoCached(filePath: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const key = await fileKey(filePath);
  const coming = key === undefined ? undefined : answers.get(key);
  if (key !== undefined && coming) {
    hurry(key);
    const known = await coming.catch(() => undefined);
    if (known?.ok) return known;
  }
  const result = await inSlot(() => probeVideo(filePath, opts));
  if (key !== undefined && !opts.signal?.aborted) void remember(key, Promise.resolve(result));
  return result;
}
