/**
 * Reads the start and the end of a file: timestamp-based durations need only the first and the
 * last packets, so a 2 GB recording costs two small reads, not a scan.
 */
import type { FileHandle } from 'node:fs/promises';

export interface FileEnds {
  head: Buffer;
  /** The same buffer as `head` when the file is small enough to be read whole. */
  tail: Buffer;
  /** Where `tail` starts in the file. */
  tailOffset: number;
}

/** 2 MiB each end: more than a second of video at 15 Mbit/s, so each end holds several frames. */
export const END_WINDOW_BYTES = 2 * 1024 * 1024;

export async function readFileEnds(handle: FileHandle, size: number, window = END_WINDOW_BYTES): Promise<FileEnds> {
  if (size <= 2 * window) {
    const whole = await readAt(handle, 0, size);
    return { head: whole, tail: whole, tailOffset: 0 };
  }
  const tailOffset = size - window;
  return { head: await readAt(handle, 0, window), tail: await readAt(handle, tailOffset, window), tailOffset };
}

export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}
