import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/** Short and fixed in length, so a final name at the 255-byte limit still has a temporary name that fits. */
const tempNameIn = (dir: string) => path.join(dir, `.lf-${crypto.randomBytes(6).toString('hex')}.tmp`);

/** Thrown by an exclusive write when the name was taken between the check and the write. */
export class NameTakenError extends Error {
  override readonly name = 'NameTakenError';
  readonly code = 'EEXIST';
}

/**
 * Writes a file so that readers see either the old content or the new, never half: write a
 * temporary file in the same folder, flush it, then rename over the target. With `exclusive`,
 * the target must not exist: the complete file is hard-linked into place, which fails if the name
 * is taken, so two writers can never both claim one name (NameTakenError for the loser).
 */
export async function writeFileAtomic(
  target: string,
  data: string | Buffer,
  opts: { exclusive?: boolean } = {},
): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempNameIn(path.dirname(target));
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (opts.exclusive) await claim(temp, target);
    else await fs.rename(temp, target);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function claim(temp: string, target: string): Promise<void> {
  try {
    await fs.link(temp, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new NameTakenError(`${target} was taken by another writer`);
    // File systems without hard links (FAT, some network shares): create-exclusive, then copy in.
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    try {
      await fs.copyFile(temp, target, fs.constants.COPYFILE_EXCL);
    } catch (copyErr) {
      if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST')
        throw new NameTakenError(`${target} was taken by another writer`);
      throw copyErr;
    }
  }
}

export function sha256Hex(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** A folder-name-safe form of an id such as `batch/video-key`. */
export function safeIdFolder(id: string): string {
  const readable = id.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 80);
  return `${readable}-${sha256Hex(id).slice(0, 8)}`;
}
