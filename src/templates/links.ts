/**
 * Timestamp labels and the links that open a video at a second.
 * YouTube: `watch?v=ID&t=Ns`. Local files: a `file:///…#t=N` URI, a W3C media-fragment link that
 * Obsidian's Media Extended plugin opens in its player at that second (see docs/templates.md).
 */

export interface LinkTarget {
  sourceKind: 'file' | 'youtube';
  source: string;
  youtubeVideoId?: string;
  durationSeconds?: number;
}

/** `MM:SS`, or `H:MM:SS` when `long` (videos of an hour or more use it throughout, so labels line up). */
export function clockLabel(totalSeconds: number, long = totalSeconds >= 3600): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return long || h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${pad(m)}:${pad(sec)}`;
}

const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/;

export function youtubeIdOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    const host = u.hostname.replace(/^(www\.|m\.|music\.)/, '');
    let id: string | undefined;
    if (host === 'youtu.be') id = u.pathname.slice(1).split('/')[0];
    else if (host === 'youtube.com' || host === 'youtube-nocookie.com') {
      id = u.searchParams.get('v') ?? /^\/(?:shorts|embed|live|v)\/([^/]+)/.exec(u.pathname)?.[1];
    }
    return id && YOUTUBE_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

// Parentheses would end a Markdown link destination early; the rest is what encodeURIComponent leaves.
const encodeSegment = (s: string) => encodeURIComponent(s).replace(/\(/g, '%28').replace(/\)/g, '%29');

/** `file:` URI of an absolute POSIX or Windows path, built by hand so it does not depend on the platform it runs on. */
export function fileUri(filePath: string): string {
  const unc = /^\\\\([^\\/]+)[\\/](.*)$/.exec(filePath);
  if (unc) return `file://${encodeSegment(unc[1])}/${unc[2].split(/[\\/]/).map(encodeSegment).join('/')}`;
  const drive = /^([A-Za-z]):[\\/](.*)$/.exec(filePath);
  if (drive) return `file:///${drive[1].toUpperCase()}:/${drive[2].split(/[\\/]/).map(encodeSegment).join('/')}`;
  const segments = filePath.split('/').map(encodeSegment).join('/');
  return filePath.startsWith('/') ? `file://${segments}` : segments;
}

// A URL we did not build could hold characters that end a Markdown link or open HTML.
const linkSafe = (url: string) =>
  url
    .replace(/[\s<>`]/g, encodeURIComponent)
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29');

export function timestampUrl(target: LinkTarget, seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (target.sourceKind === 'youtube') {
    const id = target.youtubeVideoId ?? youtubeIdOf(target.source);
    if (id) return `https://www.youtube.com/watch?v=${id}&t=${s}s`;
    return `${linkSafe(target.source)}${target.source.includes('?') ? '&' : '?'}t=${s}s`;
  }
  return `${fileUri(target.source)}#t=${s}`;
}

/** Link to the video itself, without a time. */
export function videoUrl(target: LinkTarget): string {
  if (target.sourceKind === 'youtube') {
    const id = target.youtubeVideoId ?? youtubeIdOf(target.source);
    return id ? `https://www.youtube.com/watch?v=${id}` : linkSafe(target.source);
  }
  return fileUri(target.source);
}
