/**
 * List the videos in a folder by name only (no per-file reads), so a folder of 10,000 videos is
 * scanned in well under a second; each video's content is checked later, by its own workflow.
 */
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { type SkippedEntry } from '../types';
import { UNSUPPORTED_VIDEO_EXTENSIONS, VIDEO_EXTENSIONS, extensionOf } from '../media/formats';

export interface ScanOptions {
  recursive: boolean;
  /** Globs relative to the scanned folder (`*.mp4`, `week-*\/**`); a pattern without `/` matches the name at any depth. */
  include: readonly string[];
  exclude: readonly string[];
  /** Absolute folders never entered (the output folder, when it lies inside an input folder). */
  ignoreDirs: readonly string[];
  /** false: symbolic links are listed as skipped and never followed (default true). */
  followSymlinks?: boolean;
}

export interface FolderScan {
  /** Absolute paths of the video files found, unsorted. */
  videos: string[];
  /** Files that are not videos, folders that could not be read, broken links: with the reason. */
  skipped: SkippedEntry[];
  /** Counts that let the caller explain an empty result. */
  otherFiles: number;
  subfolders: number;
  filteredOut: number;
}

/** Files that every OS scatters in folders: never worth a "not a video" line. */
const SYSTEM_FILES = new Set(['thumbs.db', 'desktop.ini', 'ehthumbs.db', 'icon\r']);

/**
 * Walks `root` (only its top level unless `recursive`). Hidden entries (`.git`, `.lesson-forge`,
 * macOS `._name.mp4` shadows) are ignored silently; symlinked folders are followed once each, so a
 * link back to a parent cannot loop.
 */
export async function scanFolder(root: string, opts: ScanOptions): Promise<FolderScan> {
  const result: FolderScan = { videos: [], skipped: [], otherFiles: 0, subfolders: 0, filteredOut: 0 };
  const included = opts.include.length > 0 ? globMatcher(opts.include) : () => true;
  const excluded = opts.exclude.length > 0 ? globMatcher(opts.exclude) : () => false;
  // Folders already walked, by identity; ignored folders start out as walked (even via a symlink).
  const visited = new Set<string>();
  const rootIdentity = await folderIdentity(root);
  for (const dir of opts.ignoreDirs) {
    const identity = await folderIdentity(dir);
    if (identity !== undefined && identity !== rootIdentity) visited.add(identity);
  }
  const pending = [root];

  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    const identity = await folderIdentity(dir);
    if (identity === undefined || visited.has(identity)) continue;
    visited.add(identity);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (dir === root) throw err;
      result.skipped.push({
        entry: dir,
        reason: `folder could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      });
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || SYSTEM_FILES.has(entry.name.toLowerCase())) continue;
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      let kind: 'file' | 'dir' | 'other' = entry.isFile() ? 'file' : entry.isDirectory() ? 'dir' : 'other';
      if (entry.isSymbolicLink()) {
        if (opts.followSymlinks === false) {
          result.skipped.push({ entry: full, reason: 'symbolic link, not followed (--no-follow-symlinks)' });
          continue;
        }
        const target = await stat(full).catch(() => undefined);
        if (!target) {
          result.skipped.push({ entry: full, reason: 'broken symbolic link' });
          continue;
        }
        kind = target.isFile() ? 'file' : target.isDirectory() ? 'dir' : 'other';
      }
      if (kind === 'dir') {
        result.subfolders++;
        if (opts.recursive && !excluded(relative)) pending.push(full);
        continue;
      }
      if (kind === 'other') {
        result.skipped.push({ entry: full, reason: 'not a regular file' });
        continue;
      }
      if (!included(relative) || excluded(relative)) {
        result.filteredOut++;
        continue;
      }
      const reason = await notVideoReason(full);
      if (reason) {
        result.otherFiles++;
        result.skipped.push({ entry: full, reason });
      } else {
        result.videos.push(full);
      }
    }
  }
  return result;
}

/**
 * Matches a relative POSIX path against globs: a pattern with a `/` against the whole path, one
 * without against the last name (so `*draft*` works at any depth, as in .gitignore).
 */
export function globMatcher(patterns: readonly string[]): (relativePath: string) => boolean {
  const options = { dot: true };
  const withSlash = patterns.filter((p) => p.includes('/'));
  const nameOnly = patterns.filter((p) => !p.includes('/'));
  const matchPath = withSlash.length > 0 ? picomatch(withSlash, options) : () => false;
  const matchName = nameOnly.length > 0 ? picomatch(nameOnly, options) : () => false;
  return (relativePath) => matchPath(relativePath) || matchName(relativePath.slice(relativePath.lastIndexOf('/') + 1));
}

/** Why a file is not taken as a video, or undefined for a video. Decided by extension. */
export async function notVideoReason(file: string): Promise<string | undefined> {
  const ext = extensionOf(file);
  const unsupported = UNSUPPORTED_VIDEO_EXTENSIONS.get(ext);
  if (unsupported) return unsupported;
  if (!VIDEO_EXTENSIONS.has(ext)) return `not a video file (${ext || 'no extension'})`;
  // `.ts` is also TypeScript: peek at the first byte (MPEG-TS sync byte 0x47) for this one extension.
  if (ext === '.ts' && !(await startsWithSyncByte(file)))
    return 'not a video file (.ts that is not an MPEG transport stream)';
  return undefined;
}

async function startsWithSyncByte(file: string): Promise<boolean> {
  try {
    const handle = await open(file, 'r');
    try {
      const { bytesRead, buffer } = await handle.read(Buffer.alloc(1), 0, 1, 0);
      return bytesRead === 1 && buffer[0] === 0x47;
    } finally {
      await handle.close();
    }
  } catch {
    // Unreadable: let the video's own inspection report it with a proper message.
    return true;
  }
}

/** Device and inode, which stay the same whichever symlink leads to the folder. */
async function folderIdentity(dir: string): Promise<string | undefined> {
  try {
    const info = await stat(dir, { bigint: true });
    return `${info.dev}:${info.ino}`;
  } catch {
    return undefined;
  }
}
