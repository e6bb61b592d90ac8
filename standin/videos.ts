/** YouTube URLs and registered video durations. */

/** The 11-character video id of a public YouTube URL (watch, youtu.be, shorts, embed, live), or undefined. */
export function youtubeVideoId(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const host = url.hostname.toLowerCase();
  const idOk = (id: string | null | undefined) => (id && /^[A-Za-z0-9_-]{11}$/.test(id) ? id : undefined);
  if (host === 'youtu.be') return idOk(url.pathname.split('/')[1]);
  if (!/^((www|m|music)\.)?youtube(-nocookie)?\.com$/.test(host)) return undefined;
  if (url.pathname === '/watch') return idOk(url.searchParams.get('v'));
  const m = /^\/(shorts|embed|live|v)\/([^/?#]+)/.exec(url.pathname);
  return m ? idOk(m[2]) : undefined;
}

/** Durations registered by tests, by display name or YouTube video id. */
export class DurationRegistry {
  private readonly byKey = new Map<string, number>();

  private static keyOf(nameOrUrl: string): string {
    const id = youtubeVideoId(nameOrUrl);
    return id ? `yt:${id}` : `name:${nameOrUrl}`;
  }

  set(nameOrUrl: string, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new Error(`video duration must be a positive number, got ${seconds}`);
    this.byKey.set(DurationRegistry.keyOf(nameOrUrl), seconds);
  }

  get(nameOrUrl: string | undefined): number | undefined {
    return nameOrUrl === undefined ? undefined : this.byKey.get(DurationRegistry.keyOf(nameOrUrl));
  }
}

/** A human title for generated text: the display name without extension, or the YouTube id. */
export function videoTitle(label: string): string {
  const id = youtubeVideoId(label);
  if (id) return `YouTube video ${id}`;
  const base = label.replace(/^.*[/\\]/, '').replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const words = base
    .replace(/[-_.]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!words) return 'the lesson video';
  return words.charAt(0).toUpperCase() + words.slice(1);
}
