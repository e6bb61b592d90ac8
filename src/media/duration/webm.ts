/**
 * Duration of a WebM file from its Segment Info (`Duration` × `TimecodeScale`), with track kinds
 * from Tracks. Files recorded live (MediaRecorder) often carry no Duration: those are refused
 * with that reason rather than scanned.
 */
import type { ContainerReading } from './reading';

const SEGMENT = 0x18538067;
const INFO = 0x1549a966;
const TIMECODE_SCALE = 0x2ad7b1;
const DURATION = 0x4489;
const TRACKS = 0x1654ae6b;
const TRACK_ENTRY = 0xae;
const TRACK_TYPE = 0x83;
const CLUSTER = 0x1f43b675;

interface Element {
  id: number;
  start: number;
  end: number;
}

/** An EBML variable-length integer; `keepMarker` keeps the length bits (element ids do). */
function vint(
  b: Buffer,
  at: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } | undefined {
  const first = b[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (at + length > b.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    const byte = b[at + i] ?? 0;
    value = value * 256 + byte;
    allOnes &&= byte === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function elementsIn(b: Buffer, from: number, to: number): Element[] {
  const out: Element[] = [];
  let at = from;
  while (at < to) {
    const id = vint(b, at, true);
    const size = id && vint(b, at + id.length, false);
    if (!id || !size) break;
    const start = at + id.length + size.length;
    const end = size.unknown ? to : Math.min(start + size.value, to);
    out.push({ id: id.value, start, end });
    if (id.value === CLUSTER) break; // media data follows: the headers are behind us
    at = end;
  }
  return out;
}

const uint = (b: Buffer, e: Element): number =>
  e.end > e.start ? b.readUIntBE(e.start, Math.min(6, e.end - e.start)) : 0;

export function webmDuration(head: Buffer): ContainerReading {
  const top = elementsIn(head, 0, head.length);
  const segment = top.find((e) => e.id === SEGMENT);
  if (!segment) return { ok: false, reason: 'the WebM file has no Segment' };
  const children = elementsIn(head, segment.start, segment.end);
  const info = children.find((e) => e.id === INFO);
  let scale = 1_000_000;
  let duration: number | undefined;
  for (const e of info ? elementsIn(head, info.start, info.end) : []) {
    if (e.id === TIMECODE_SCALE) scale = uint(head, e) || scale;
    if (e.id === DURATION) duration = e.end - e.start === 4 ? head.readFloatBE(e.start) : head.readDoubleBE(e.start);
  }
  const types = new Set<number>();
  const tracks = children.find((e) => e.id === TRACKS);
  for (const entry of tracks ? elementsIn(head, tracks.start, tracks.end).filter((e) => e.id === TRACK_ENTRY) : []) {
    const type = elementsIn(head, entry.start, entry.end).find((e) => e.id === TRACK_TYPE);
    if (type) types.add(uint(head, type));
  }
  if (duration === undefined || !(duration > 0))
    return { ok: false, reason: 'the WebM file has no Duration (a live recording?)' };
  return {
    ok: true,
    durationSeconds: (duration * scale) / 1e9,
    formatName: 'matroska,webm',
    hasVideo: types.has(1),
    hasAudio: types.has(2),
  };
}
