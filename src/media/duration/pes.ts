/**
 * MPEG presentation timestamps (PTS), shared by the transport-stream and program-stream readers:
 * where a PES header keeps its PTS, and how a stream's first and last timestamps become a duration.
 */
import type { ContainerReading } from './reading';

/** PTS tick rate. */
export const PTS_HZ = 90_000;
/** PTS are 33-bit counters: a stream longer than ~26.5 h, or one that started near the top, wraps. */
const PTS_WRAP = 2 ** 33;

export type StreamKind = 'video' | 'audio' | 'other';

/** What PES stream ids say, where they say it (0xBD, private stream 1, is decided by the caller). */
export function kindOfStreamId(streamId: number): StreamKind | undefined {
  if (streamId >= 0xe0 && streamId <= 0xef) return 'video';
  if (streamId >= 0xc0 && streamId <= 0xdf) return 'audio';
  if (streamId === 0xbd) return 'other';
  return undefined;
}

/**
 * The 33-bit timestamp in the 5 bytes at `at`, or undefined when its marker bits are wrong (so a
 * start code that only happens to appear inside compressed data is not taken for a header).
 */
export function readTimestamp(b: Buffer, at: number): number | undefined {
  if (at + 5 > b.length) return undefined;
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0] = b.subarray(at, at + 5);
  const prefix = b0 >> 4;
  if ((prefix !== 2 && prefix !== 3) || (b0 & 1) !== 1 || (b2 & 1) !== 1 || (b4 & 1) !== 1) return undefined;
  return ((b0 >> 1) & 0x07) * 2 ** 30 + b1 * 2 ** 22 + (b2 >> 1) * 2 ** 15 + b3 * 2 ** 7 + (b4 >> 1);
}

/**
 * The PTS of the PES packet whose start code (00 00 01 id) is at `at`, for both PES syntaxes:
 * MPEG-2 (flags byte `10xxxxxx`) and MPEG-1 system streams (stuffing, optional buffer size, PTS).
 */
export function pesTimestamp(b: Buffer, at: number): number | undefined {
  const flags = b[at + 6];
  if (flags === undefined) return undefined;
  if ((flags & 0xc0) === 0x80) {
    const ptsFlags = (b[at + 7] ?? 0) >> 6;
    return ptsFlags & 0x02 ? readTimestamp(b, at + 9) : undefined;
  }
  let i = at + 6;
  for (let stuffing = 0; b[i] === 0xff && stuffing < 16; stuffing++) i++;
  if (((b[i] ?? 0) & 0xc0) === 0x40) i += 2;
  return readTimestamp(b, i);
}

/**
 * Collects timestamps per stream from the start of a file and from its end; the span runs from
 * the earliest first timestamp to the latest last one plus the last video frame (as ffprobe
 * counts it), so a 1 s clip reads as about 1 s, not one frame short.
 */
export class TimestampSpan {
  private readonly head = new Map<string, number[]>();
  private readonly tail = new Map<string, number[]>();
  private readonly kindOf = new Map<string, StreamKind>();
  readonly kinds = new Set<StreamKind>();

  add(part: 'head' | 'tail', stream: string, kind: StreamKind, pts: number): void {
    const map = part === 'head' ? this.head : this.tail;
    const list = map.get(stream) ?? [];
    list.push(pts);
    map.set(stream, list);
    this.kindOf.set(stream, kind);
    this.kinds.add(kind);
  }

  /** Seconds, or undefined when there are no timestamps at both ends. */
  seconds(): number | undefined {
    const starts = [...this.head.values()].map((list) => Math.min(...unwrap(list)));
    if (starts.length === 0) return undefined;
    const start = Math.min(...starts);
    let end: number | undefined;
    for (const [stream, list] of this.tail) {
      let values = unwrap(list);
      // The end of a file cannot come before its start: its clock wrapped in between.
      if ((values[0] ?? 0) < start) values = values.map((pts) => pts + PTS_WRAP);
      const distinct = [...new Set(values)].sort((a, b) => b - a);
      const [last = 0, previous] = distinct;
      // A video PES packet is one frame, so the gap between the last two is the last frame's length
      // (a gap over 1 s is a discontinuity, not a frame). An audio PES packet may bundle many
      // frames: its length is unknown, and counting it would overshoot.
      const isVideo = this.kindOf.get(stream) === 'video';
      const frame = isVideo && previous !== undefined && last - previous < PTS_HZ ? last - previous : 0;
      end = Math.max(end ?? 0, last + frame);
    }
    if (end === undefined || end <= start) return undefined;
    return (end - start) / PTS_HZ;
  }

  /** What a reader of `formatName` reports: the duration it settled on and the kinds of stream seen, or `noTimestamps`. */
  reading(formatName: string, durationSeconds: number | undefined, noTimestamps: string): ContainerReading {
    if (durationSeconds === undefined) return { ok: false, reason: noTimestamps };
    return {
      ok: true,
      durationSeconds,
      formatName,
      hasVideo: this.kinds.has('video'),
      hasAudio: this.kinds.has('audio'),
    };
  }
}

/** One stream's timestamps in file order, with those after a wrap-around lifted past 2^33. */
function unwrap(list: number[]): number[] {
  const first = list[0] ?? 0;
  return list.map((pts) => (first - pts > PTS_WRAP / 2 ? pts + PTS_WRAP : pts));
}
