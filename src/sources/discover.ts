/**
 * Turn what the user named (folders, video files, YouTube links, list files) into the batch's
 * videos. Problems the user must fix before anything runs throw a `SourceError`; files that are
 * simply not videos are returned as `skipped`, with the reason, and the batch goes on.
 */
import { statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type SkippedEntry, type VideoItem, type VideoSource } from '../types';
import { VIDEO_EXTENSIONS } from '../media/formats';
import { titleFromFileName, titleFromYouTubeId, videoKey } from './naming';
import { sourceText } from './source-text';
import { notVideoReason, scanFolder, type FolderScan, type ScanOptions } from './scan-folder';
import { isYouTubeHostUrl, parseYouTubeUrl } from './youtube';

/** The sources cannot be used as given; the message names the input and says what to do. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    message: string,
    /** The input, list file line or path the problem is about. */
    readonly input?: string,
  ) {
    super(message);
  }
}

export interface DiscoverOptions {
  /** Folders, video files and YouTube links. */
  inputs: string[];
  /** Files with one path or YouTube link per line. */
  listFiles?: string[];
  recursive?: boolean;
  include?: string[];
  exclude?: string[];
  /** Base for relative inputs and list files (default: the process's working folder). */
  cwd?: string;
  /** Folders never scanned, e.g. the output folder when it lies inside an input folder. */
  ignoreDirs?: string[];
  /** false: symbolic links inside scanned folders are skipped, not followed. */
  followSymlinks?: boolean;
}

export interface DiscoverResult {
  /** Unique videos, sorted by path or URL (numbers in names in numeric order). */
  items: VideoItem[];
  skipped: SkippedEntry[];
}

/** Where an entry came from, so an error can point at it. */
interface Origin {
  /** The entry as the user wrote it. */
  shown: string;
  /** Base folder for a relative path. */
  baseDir: string;
  /** `list.txt line 4: ` for list-file entries, empty for command-line inputs. */
  prefix: string;
}

interface Found {
  identity: string;
  name: string;
  source: VideoSource;
}

export async function discoverVideos(opts: DiscoverOptions): Promise<DiscoverResult> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const scan: ScanOptions = {
    recursive: opts.recursive ?? false,
    include: opts.include ?? [],
    exclude: opts.exclude ?? [],
    ignoreDirs: (opts.ignoreDirs ?? []).map((dir) => path.resolve(cwd, dir)),
    followSymlinks: opts.followSymlinks ?? true,
  };
  const found = new Map<string, Found>();
  const skipped = new Map<string, string>();
  // One video per file, however many names lead to it (hard links, symbolic links): the first name
  // in natural order is kept, so the choice does not depend on the order the folder lists them.
  const add = (entries: Found[]): void =>
    entries.forEach((entry) => {
      const earlier = found.get(entry.identity);
      if (!earlier || compareNatural(sortKey(entry), sortKey(earlier)) < 0) found.set(entry.identity, entry);
    });
  const inputs = opts.inputs.map((input) => input.trim()).filter(Boolean);
  const listFiles = opts.listFiles ?? [];
  if (inputs.length === 0 && listFiles.length === 0) {
    throw new SourceError(
      'Nothing to process: pass a folder, a video file or a YouTube link, or use --list for a list file.',
    );
  }

  for (const input of inputs) {
    const result = await resolveEntry(input, { shown: input, baseDir: cwd, prefix: '' }, scan);
    add(result.found);
    result.skipped.forEach(({ entry, reason }) => skipped.set(entry, reason));
  }
  for (const listFile of listFiles) {
    for (const { text, line } of await readListFile(path.resolve(cwd, listFile), listFile)) {
      const origin = {
        shown: text,
        baseDir: path.dirname(path.resolve(cwd, listFile)),
        prefix: `${listFile} line ${line}: `,
      };
      const result = await resolveEntry(text, origin, scan);
      add(result.found);
      result.skipped.forEach(({ entry, reason }) => skipped.set(entry, reason));
    }
  }

  return {
    items: toItems([...found.values()]),
    skipped: [...skipped]
      .map(([entry, reason]) => ({ entry, reason }))
      .sort((a, b) => compareNatural(a.entry, b.entry)),
  };
}

/** One input or list line: a YouTube link, a video file or a folder. */
async function resolveEntry(
  text: string,
  origin: Origin,
  scan: ScanOptions,
): Promise<{ found: Found[]; skipped: SkippedEntry[] }> {
  const fail = (message: string): never => {
    throw new SourceError(origin.prefix + message, origin.shown);
  };
  if (/^file:\/\//i.test(text)) {
    // A file:// URL (dragged from a browser or file manager) is a path.
    let local: string;
    try {
      local = fileURLToPath(text);
    } catch {
      return fail(`${text} is not a usable file:// link: write the path itself.`);
    }
    return resolveEntry(local, origin, scan);
  }
  const absolute = path.resolve(origin.baseDir, expandHome(text));
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  const youtube = parseYouTubeUrl(text);
  // A scheme-less `youtu.be/ID` is a link, unless a file by that name really exists.
  if (youtube && (hasScheme || !(await exists(absolute)))) {
    return {
      found: [
        {
          identity: `youtube:${youtube.videoId}`,
          name: titleFromYouTubeId(youtube.videoId),
          source: { kind: 'youtube', url: youtube.canonicalUrl, videoId: youtube.videoId },
        },
      ],
      skipped: [],
    };
  }
  if (hasScheme || isYouTubeHostUrl(text)) {
    if (isYouTubeHostUrl(text)) {
      fail(
        `${text} is a YouTube link but not to a single video (playlists, channels and searches are not supported): pass each video's own link.`,
      );
    }
    fail(
      `${text} is not a YouTube link: only public YouTube links are supported. Download the video and pass the file instead.`,
    );
  }

  const info = await stat(absolute).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      const where = absolute === text ? '' : ` (looked for ${absolute})`;
      const linkHint = /^[\w-]+(\.[\w-]+)+\//.test(text)
        ? ' If it is a web link, only public YouTube links are supported.'
        : '';
      return fail(
        `${text} does not exist${where}: check the spelling, and quote paths that contain spaces.${linkHint}`,
      );
    }
    return fail(`cannot read ${text} (${err.code ?? err.message}): check its permissions.`);
  });

  if (info.isDirectory()) {
    let scanned: FolderScan;
    try {
      scanned = await scanFolder(absolute, scan);
    } catch (err) {
      return fail(
        `cannot read the folder ${text} (${(err as NodeJS.ErrnoException).code ?? String(err)}): check its permissions.`,
      );
    }
    if (scanned.videos.length === 0) fail(noVideosMessage(text, scanned, scan));
    return { found: scanned.videos.map(fileFound), skipped: scanned.skipped };
  }
  if (!info.isFile())
    fail(`${text} is not a file or folder (device, socket or pipe): pass a folder, a video file or a YouTube link.`);
  const reason = await notVideoReason(absolute);
  if (reason !== undefined) {
    if (reason.startsWith('not a video file')) {
      fail(
        `${path.basename(text)} is a file, not a folder of videos: pass a folder, a video file, a YouTube link, or use --list for a list file.`,
      );
    }
    fail(`${text}: ${reason}.`);
  }
  return { found: [fileFound(absolute)], skipped: [] };
}

/**
 * A file is known by device and inode, so a file linked twice into a folder is one video. A
 * synchronous stat: for 10,000 files it costs tens of milliseconds, where as many promises cost ten
 * times that.
 */
function fileFound(absolute: string): Found {
  let identity = `file:${absolute}`;
  try {
    const info = statSync(absolute, { bigint: true });
    identity = `file:${info.dev}:${info.ino}`;
  } catch {
    // unreadable now: its own inspection will say why
  }
  return { identity, name: path.basename(absolute), source: { kind: 'file', path: absolute } };
}

/** Explains an input folder with no videos in words that lead to the fix. */
function noVideosMessage(shown: string, scanned: FolderScan, scan: ScanOptions): string {
  const subfolderHint =
    !scan.recursive && scanned.subfolders > 0
      ? ` It has ${plural(scanned.subfolders, 'subfolder')}: add --recursive to scan them.`
      : '';
  if (scanned.filteredOut > 0 && scanned.otherFiles === 0) {
    const filters = [...scan.include.map((g) => `--include ${g}`), ...scan.exclude.map((g) => `--exclude ${g}`)].join(
      ' ',
    );
    return `No video in ${shown} matches the filters (${filters}): ${plural(scanned.filteredOut, 'file')} filtered out. Check the patterns (they are relative to the folder).${subfolderHint}`;
  }
  if (scanned.otherFiles > 0) {
    const names = scanned.skipped.map((s) => path.basename(s.entry));
    const listed = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
    const types = [...VIDEO_EXTENSIONS.keys()].join(' ');
    return `${shown} has no videos: found ${plural(scanned.otherFiles, 'other file')} (${listed}). Video types taken: ${types}.${subfolderHint}`;
  }
  if (subfolderHint) return `${shown} has no videos at its top level.${subfolderHint}`;
  return `${shown} is an empty folder: put videos in it, or pass another folder.`;
}

/** Non-comment lines of a list file, with their line numbers. */
async function readListFile(absolute: string, shown: string): Promise<Array<{ text: string; line: number }>> {
  let content: string;
  try {
    content = await readFile(absolute, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EISDIR')
      throw new SourceError(
        `${shown} is a folder, not a list file: pass it as an input instead of with --list.`,
        shown,
      );
    if (code === 'ENOENT')
      throw new SourceError(`the list file ${shown} does not exist (looked for ${absolute}).`, shown);
    throw new SourceError(`cannot read the list file ${shown} (${code ?? String(err)}): check its permissions.`, shown);
  }
  const lines = content
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((raw, index) => ({ text: unquote(raw.trim()), line: index + 1 }))
    .filter(({ text }) => text !== '' && !text.startsWith('#'));
  if (lines.length === 0) {
    throw new SourceError(
      `the list file ${shown} has no entries: put one video path, folder or YouTube link per line (lines starting with # are comments).`,
      shown,
    );
  }
  return lines;
}

/** Keys and titles, in a stable order; a key clash (same name, same 6 hex) gets a longer hash. */
function toItems(found: Found[]): VideoItem[] {
  const sorted = found.sort((a, b) => compareNatural(sortKey(a), sortKey(b)));
  const used = new Set<string>();
  return sorted.map(({ name, source }) => {
    const identityText = sourceText(source);
    let key = videoKey(path.parse(name).name, identityText);
    for (const length of [10, 16, 40]) {
      if (!used.has(key)) break;
      key = videoKey(path.parse(name).name, identityText, length);
    }
    used.add(key);
    const title = source.kind === 'file' ? titleFromFileName(name) : name;
    return { key, title, source };
  });
}

const sortKey = (found: Found): string => sourceText(found.source);

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'variant' });
/** `lesson 2` before `lesson 10`; ties broken by code units so the order never depends on chance. */
function compareNatural(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** `~/Videos/x.mp4` in a list file means the home folder, as it would in a shell. */
function expandHome(text: string): string {
  return text === '~' || text.startsWith('~/') || text.startsWith('~\\')
    ? path.join(os.homedir(), text.slice(1))
    : text;
}

/** Paths copied with "Copy as path" arrive in quotes. */
function unquote(text: string): string {
  return text.length >= 2 && /^(["']).*\1$/.test(text) ? text.slice(1, -1) : text;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
