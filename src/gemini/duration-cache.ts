/**
 * Durations for estimates, remembered per file (device, inode, size and modification time): a
 * batch page, a dry run and a second run over the same folder probe each file once per worker.
 */
import fs from 'node:fs/promises';
import { probeDuration } from '../media/probe';

const maxEntries = 20_000;
const cache = new Map<string, number | undefined>();

export async function probeDurationCached(filePath: string): Promise<number | undefined> {
  let key: string;
  try {
    const st = await fs.stat(filePath);
    key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  if (cache.has(key)) return cache.get(key);
  const seconds = await probeDuration(filePath);
  if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
  cache.set(key, seconds);
  return seconds;
}
