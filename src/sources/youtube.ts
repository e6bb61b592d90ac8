/**
 * YouTube links: Gemini analyses a public YouTube video straight from its URL, so a link is a
 * video source of its own. Every accepted form is reduced to one canonical URL, so the same video
 * pasted twice in different forms is processed once.
 */

export interface YouTubeVideoRef {
  /** The 11-character video id. */
  videoId: string;
  /** `https://www.youtube.com/watch?v=<id>`: the form sent to Gemini and used for dedup. */
  canonicalUrl: string;
}

const VIDEO_ID = /^[A-Za-z0-9_-]{11}$/;

const YOUTUBE_HOSTS = new Set([
  'youtube.com',
  'www.youtube.com',
  'm.youtube.com',
  'music.youtube.com',
  'gaming.youtube.com',
  'youtube-nocookie.com',
  'www.youtube-nocookie.com',
]);
const SHORT_HOSTS = new Set(['youtu.be', 'www.youtu.be']);

/** Path prefixes followed by the video id: /shorts/ID, /embed/ID, /live/ID, and the old /v/ID, /e/ID. */
const ID_PATH_PREFIXES = new Set(['shorts', 'embed', 'live', 'v', 'e']);

/**
 * The video a YouTube link points at, or undefined for anything else (other sites, playlists,
 * channels, malformed ids). Accepts http and https, with or without `www.`, `m.` and `music.`,
 * and a missing scheme (`youtu.be/ID`) as people paste it.
 */
export function parseYouTubeUrl(input: string): YouTubeVideoRef | undefined {
  const url = toUrl(input);
  if (!url) return undefined;
  const host = url.hostname.toLowerCase();
  const segments = url.pathname.split('/').filter(Boolean);
  let candidate: string | null | undefined;
  if (SHORT_HOSTS.has(host)) {
    candidate = segments[0];
  } else if (YOUTUBE_HOSTS.has(host)) {
    if (segments[0] === 'watch' && segments.length === 1) candidate = url.searchParams.get('v');
    else if (segments.length >= 2 && ID_PATH_PREFIXES.has(segments[0] ?? '')) candidate = segments[1];
  }
  if (!candidate || !VIDEO_ID.test(candidate)) return undefined;
  return { videoId: candidate, canonicalUrl: canonicalYouTubeUrl(candidate) };
}

export function isYouTubeUrl(input: string): boolean {
  return parseYouTubeUrl(input) !== undefined;
}

/** True for any link to a YouTube site, including ones that are not a single video (playlists, channels). */
export function isYouTubeHostUrl(input: string): boolean {
  const host = toUrl(input)?.hostname.toLowerCase();
  return host !== undefined && (YOUTUBE_HOSTS.has(host) || SHORT_HOSTS.has(host));
}

export function canonicalYouTubeUrl(videoId: string): string {
  return `https://www.youtube.com/watch?v=${encodeURIComponent(videoId)}`;
}

/** A link that opens the video at a given second (whole seconds, never negative), for timestamps in notes. */
export function youTubeTimestampUrl(videoId: string, seconds: number): string {
  const at = Number.isFinite(seconds) ? Math.max(0, Math.floor(seconds)) : 0;
  return `${canonicalYouTubeUrl(videoId)}&t=${at}s`;
}

/** Parses http(s) URLs, adding `https://` to a scheme-less YouTube host; undefined otherwise. */
function toUrl(input: string): URL | undefined {
  const text = input.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  if (withScheme !== text) {
    // Without a scheme only a YouTube host counts: `notes/video.mp4` must stay a path.
    const host = url.hostname.toLowerCase();
    if (!YOUTUBE_HOSTS.has(host) && !SHORT_HOSTS.has(host)) return undefined;
  }
  return url;
}
