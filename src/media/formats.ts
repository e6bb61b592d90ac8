/**
 * Video formats Gemini accepts, and the file extensions the folder scan treats as videos.
 * The extension only decides what discovery picks up; the bytes decide the MIME type (see sniff.ts).
 */

/**
 * The video MIME types Gemini accepts, spelled as the API spells them (`@google/genai`'s
 * `VideoMimeType`): note `video/mov` and `video/avi`, not `video/quicktime` / `video/x-msvideo`.
 */
export const GEMINI_VIDEO_MIME_TYPES = [
  'video/mp4',
  'video/mpeg',
  'video/mov',
  'video/avi',
  'video/x-flv',
  'video/mpg',
  'video/webm',
  'video/wmv',
  'video/3gpp',
] as const;

export type GeminiVideoMimeType = (typeof GEMINI_VIDEO_MIME_TYPES)[number];

/** Container formats recognised from a file's first bytes. */
export type VideoContainer =
  'mp4' | 'm4v' | 'mov' | '3gp' | 'webm' | 'avi' | 'mpeg-ps' | 'mpeg-ts' | 'mpeg-video' | 'flv' | 'asf';

/** Which MIME type to send for each container. */
export const CONTAINER_MIME_TYPES: Readonly<Record<VideoContainer, GeminiVideoMimeType>> = {
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  mov: 'video/mov',
  '3gp': 'video/3gpp',
  webm: 'video/webm',
  avi: 'video/avi',
  'mpeg-ps': 'video/mpeg',
  // Gemini lists no transport-stream type; its decoder reads MPEG-TS sent as video/mpeg.
  'mpeg-ts': 'video/mpeg',
  'mpeg-video': 'video/mpeg',
  flv: 'video/x-flv',
  asf: 'video/wmv',
};

/** Extensions (lowercase, with dot) that discovery treats as videos, with the likely MIME type. */
export const VIDEO_EXTENSIONS: ReadonlyMap<string, GeminiVideoMimeType> = new Map([
  ['.mp4', 'video/mp4'],
  ['.m4v', 'video/mp4'],
  ['.f4v', 'video/mp4'],
  ['.mov', 'video/mov'],
  ['.qt', 'video/mov'],
  ['.avi', 'video/avi'],
  ['.flv', 'video/x-flv'],
  ['.mpg', 'video/mpeg'],
  ['.mpeg', 'video/mpeg'],
  ['.mpe', 'video/mpeg'],
  ['.m1v', 'video/mpeg'],
  ['.m2v', 'video/mpeg'],
  ['.vob', 'video/mpeg'],
  ['.ts', 'video/mpeg'],
  ['.mts', 'video/mpeg'],
  ['.m2ts', 'video/mpeg'],
  ['.webm', 'video/webm'],
  ['.wmv', 'video/wmv'],
  ['.asf', 'video/wmv'],
  ['.3gp', 'video/3gpp'],
  ['.3g2', 'video/3gpp'],
]);

/**
 * Video extensions Gemini does not take, with what to do instead. Discovery reports these files
 * with this advice rather than as "not a video", which would be confusing for a real video.
 */
export const UNSUPPORTED_VIDEO_EXTENSIONS: ReadonlyMap<string, string> = new Map([
  [
    '.mkv',
    'Matroska (.mkv) videos are not accepted by Gemini: convert it to .mp4 or .webm (e.g. ffmpeg -i in.mkv -c copy out.mp4)',
  ],
  ['.ogv', 'Ogg (.ogv) videos are not accepted by Gemini: convert it to .mp4 or .webm'],
  ['.rm', 'RealMedia (.rm) videos are not accepted by Gemini: convert it to .mp4'],
  ['.rmvb', 'RealMedia (.rmvb) videos are not accepted by Gemini: convert it to .mp4'],
  ['.dv', 'DV (.dv) videos are not accepted by Gemini: convert it to .mp4'],
]);

/** Lowercase extension with its dot, `''` when there is none (`.bashrc` has none either). */
export function extensionOf(fileName: string): string {
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}

export function isVideoFileName(fileName: string): boolean {
  return VIDEO_EXTENSIONS.has(extensionOf(fileName));
}
