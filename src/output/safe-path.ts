import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * What the tool writes and reads under an output folder is a regular file in a real folder of it:
 * a symbolic link (to a folder elsewhere, or to a file) or a FIFO placed there by someone else
 * would send the output elsewhere or hang the worker.
 */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  readonly code = 'EUNSAFEPATH';
}

/**
 * Makes sure every folder from `root` (exclusive: the person chose it, it may be a link) down to
 * `dir` is a real folder, creating missing ones; refuses a symbolic link or anything else on the way.
 */
export async function ensureRealFolders(root: string, dir: string): Promise<void> {
  const base = path.resolve(root);
  const rel = path.relative(base, path.resolve(dir));
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new UnsafePathError(`${dir} is not inside ${base}`);
  await fs.mkdir(base, { recursive: true });
  let current = base;
  for (const part of rel.split(path.sep).filter(Boolean)) {
    current = path.join(current, part);
    let info;
    try {
      info = await fs.lstat(current);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await fs.mkdir(current).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      info = await fs.lstat(current);
    }
    if (info.isSymbolicLink())
      throw new UnsafePathError(
        `${current} is a symbolic link; lesson-forge writes only into real folders inside the output folder (remove the link)`,
      );
    if (!info.isDirectory())
      throw new UnsafePathError(`${current} is not a folder; lesson-forge needs a folder there (move it away)`);
  }
}

/**
 * The content of a regular file, `undefined` when nothing is there, or `'not-a-file'` for a
 * folder, a symbolic link, a FIFO, a socket or a device: never followed, never opened for reading
 * (opening a FIFO would wait forever for a writer).
 */
export async function readRegularFile(file: string): Promise<Buffer | undefined | 'not-a-file'> {
  let info;
  try {
    info = await fs.lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!info.isFile()) return 'not-a-file';
  // O_NOFOLLOW and O_NONBLOCK: if the entry was swapped for a link or a FIFO since, fail or return at once.
  const flags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
  let handle;
  try {
    handle = await fs.open(file, flags);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' || code === 'EISDIR') return 'not-a-file';
    throw err;
  }
  try {
    if (!(await handle.stat()).isFile()) return 'not-a-file';
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
