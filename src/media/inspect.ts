/**
 * Everything established about a local video before anything is spent on it: it exists, can be
 * read, has a size Gemini accepts, really is a video, how long it lasts and what its content hash is.
 * A video that cannot be processed is refused with a `VideoRejectedError` that says what to do.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { type GeminiVideoMimeType, type VideoContainer } from './formats';
import { sha256File } from './hash';
import { probeVideo, type ProbeOptions, type ProbeResult } from './probe';
import { sniffVideoFile } from './sniff';

/**
 * Gemini's Files API takes "2 GB" per file. Google does not say whether that is 10^9 or 2^30
 * bytes; 2 GiB refuses nothing the service would take, and the rare file between the two is
 * refused by the upload itself with a clear error.
 */
export const MAX_VIDEO_BYTES = 2 * 1024 ** 3;

export type VideoRejectionCode = 'not-found' | 'unreadable' | 'empty' | 'too-large' | 'not-video' | 'not-a-file';

/** This file cannot be processed, whatever is retried: the message says why and what to do. */
export class VideoRejectedError extends Error {
  override readonly name = 'VideoRejectedError';
  constructor(
    readonly code: VideoRejectionCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface LocalVideoInfo {
  /** Absolute path. */
  path: string;
  sizeBytes: number;
  /** Last modification time, ms since the epoch (cheap change detection before hashing). */
  modifiedMs: number;
  mimeType: GeminiVideoMimeType;
  container: VideoContainer;
  /** Undefined when neither ffprobe nor the built-in reader could tell; `durationNote` says why. */
  durationSeconds?: number;
  /** Why there is no duration, or how it was found when the first ffprobe could not give it. */
  durationNote?: string;
  /** Stream kinds as ffprobe saw them; undefined when it could not read the file. */
  hasVideo?: boolean;
  hasAudio?: boolean;
  /** SHA-256 of the content, lowercase hex. */
  sha256: string;
}

export interface InspectOptions {
  probe?: ProbeOptions;
  /** Reads duration and streams; defaults to ffprobe (a caller may pass one that remembers answers). */
  probeWith?: (filePath: string, options: ProbeOptions) => Promise<ProbeResult>;
  onHashProgress?: (bytesHashed: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /** Size limit; defaults to `MAX_VIDEO_BYTES`. */
  maxBytes?: number;
}

export async function inspectLocalVideo(filePath: string, opts: InspectOptions = {}): Promise<LocalVideoInfo> {
  const absolute = path.resolve(filePath);
  const name = path.basename(absolute);
  const reject = (code: VideoRejectionCode, message: string): VideoRejectedError =>
    new VideoRejectedError(code, absolute, message);

  const info = await stat(absolute).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
      throw reject(
        'not-found',
        `${absolute} does not exist: it may have been moved, renamed or deleted since the batch started, or the disk is not mounted on this worker.`,
      );
    }
    throw reject('unreadable', `cannot read ${absolute} (${err.code ?? err.message}): check its permissions.`);
  });
  if (info.isDirectory())
    throw reject(
      'not-a-file',
      `${absolute} is a folder, not a video file: pass the folder as a batch input to process the videos in it.`,
    );
  if (!info.isFile())
    throw reject('not-a-file', `${absolute} is not a regular file (device, socket or pipe): pass a video file.`);
  await access(absolute, constants.R_OK).catch(() => {
    throw reject(
      'unreadable',
      `cannot read ${absolute}: permission denied. Give the user running the worker read access to it.`,
    );
  });
  if (info.size === 0)
    throw reject(
      'empty',
      `${name} is an empty file (0 bytes): it may still be copying or its download failed. Replace it with the full video.`,
    );
  const maxBytes = opts.maxBytes ?? MAX_VIDEO_BYTES;
  if (info.size > maxBytes) {
    throw reject(
      'too-large',
      `${name} is ${formatBytes(info.size)} (${info.size.toLocaleString('en-US')} bytes), over Gemini's limit of ${formatBytes(maxBytes)} per file: compress it or split it into parts (e.g. with ffmpeg), or upload it to YouTube and pass the link.`,
    );
  }

  const sniffed = await sniffVideoFile(absolute).catch((err: NodeJS.ErrnoException) => {
    throw reject('unreadable', `cannot read ${absolute} (${err.code ?? err.message}): check its permissions.`);
  });
  if (!sniffed.ok) {
    const advice = sniffed.hint ?? 'pass a video file (MP4, MOV, WebM, AVI, MPEG, FLV, WMV or 3GP).';
    throw reject(
      'not-video',
      `${name} is not a video Gemini accepts (content detected: ${sniffed.detected}). ${capitalise(advice)}`,
    );
  }

  const probed = await (opts.probeWith ?? probeVideo)(absolute, {
    ...opts.probe,
    signal: opts.probe?.signal ?? opts.signal,
  });
  const sha256 = await sha256File(absolute, opts.onHashProgress && ((done) => opts.onHashProgress?.(done, info.size)), {
    signal: opts.signal,
  });

  return {
    path: absolute,
    sizeBytes: info.size,
    modifiedMs: info.mtimeMs,
    mimeType: sniffed.mimeType,
    container: sniffed.container,
    ...(probed.ok
      ? {
          durationSeconds: probed.durationSeconds,
          hasVideo: probed.hasVideo,
          hasAudio: probed.hasAudio,
          ...(probed.note ? { durationNote: probed.note } : {}),
        }
      : { durationNote: probed.reason }),
    sha256,
  };
}

/**
 * `1.5 GB`, `2 GB`, `740 MB`: binary multiples with the everyday labels (as Windows shows them), so
 * the 2 GiB limit reads as "2 GB" and a file over it never reads as "2 GB" too.
 */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} bytes`;
  // Round up, so a file just over a limit never reads as equal to it.
  const shown = value >= 100 ? Math.ceil(value).toString() : (Math.ceil(value * 100 - 1e-9) / 100).toString();
  return `${shown} ${units[unit]}`;
}

const capitalise = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);
