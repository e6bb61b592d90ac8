/**
 * Content hash of a local video, used to recognise an unchanged video (skip work already paid for)
 * whatever its name. Streams the file so a 2 GB video costs a few MiB of memory, not 2 GB.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface HashOptions {
  signal?: AbortSignal;
  /** Read size; large reads keep the hash fast on spinning disks and network shares. */
  chunkBytes?: number;
}

/**
 * SHA-256 of the file as lowercase hex. `onProgress` gets the bytes hashed so far after each chunk
 * (an activity can heartbeat with it); cancelling through `signal` rejects with an AbortError.
 */
export async function sha256File(
  filePath: string,
  onProgress?: (bytesHashed: number) => void,
  options: HashOptions = {},
): Promise<string> {
  const hash = createHash('sha256');
  const stream = createReadStream(filePath, { highWaterMark: options.chunkBytes ?? 1024 * 1024, signal: options.signal });
  let bytesHashed = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytesHashed += chunk.length;
    onProgress?.(bytesHashed);
  }
  return hash.digest('hex');
}
