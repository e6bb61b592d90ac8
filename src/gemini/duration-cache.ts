/**
 * ffprobe's answers, remembered per file (device, inode, size and modification time): a batch page,
 * a dry run and a second run over the same folder probe each file once per worker, and the video's
 * inspection reuses the probe its batch page made for the estimate instead of running ffprobe again.
 */
import fs from 'node:fs/promises';
import { probeVideo, type ProbeOptions, type ProbeResult } from '../media/probe';

const maxEntries = 20_000;
const cache = new Map<string, ProbeResult>();

async function fileKey(filePath: string): Promise<string | undefined> {
  try {
    const st = await fs.stat(filePath);
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

function remember(key: string, result: ProbeResult): void {
  if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
  cache.set(key, result);
}

export async function probeDurationCached(filePath: string): Promise<number | undefined> {
  const key = await fileKey(filePath);
  if (key === undefined) return undefined;
  let result = cache.get(key);
  if (!result) {
    result = await probeVideo(filePath);
    remember(key, result);
  }
  return result.ok ? result.durationSeconds : undefined;
}

/**
 * A probe for inspection: a remembered answer when the same file was read (same size and mtime), a
 * fresh one otherwise. Only a full answer is reused; a probe that failed (a hung or crashed ffprobe
 * under load, say) is tried again, since inspection reports why a video has no duration.
 */
export async function probeVideoCached(filePath: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const key = await fileKey(filePath);
  const known = key === undefined ? undefined : cache.get(key);
  if (known?.ok) return known;
  const result = await probeVideo(filePath, opts);
  if (key !== undefined && !opts.signal?.aborted) remember(key, result);
  return result;
}
