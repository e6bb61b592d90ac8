/**
 * Content hash of a local video, used to recognise an unchanged video (skip work already paid for)
 * whatever its name. Reads the file into one reused buffer, so hashing a 2 GB video costs 1 MiB
 * and leaves no garbage behind: eight videos hashed at once stay flat in memory.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

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
  const buffer = Buffer.allocUnsafe(options.chunkBytes ?? 1024 * 1024);
  const file = await open(filePath, 'r');
  let bytesHashed = 0;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const { bytesRead } = await file.read(buffer, 0, buffer.length, bytesHashed);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      bytesHashed += bytesRead;
      onProgress?.(bytesHashed);
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}
