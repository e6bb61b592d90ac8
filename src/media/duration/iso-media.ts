/**
 * Duration of an ISO base media file (MP4, M4V, MOV, 3GP) from its movie header: `moov/mvhd`
 * holds a time scale and a duration, wherever `moov` sits (start or end of the file). Fragmented
 * files take `moov/mvex/mehd`; a header without a duration falls back to the longest track.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ContainerReading } from './reading';
import { readAt } from './windows';

/** A movie header of a few hours is a few MB; anything this large is not a header we should read. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;

interface Box {
  type: string;
  /** Where the box's content starts and ends, in the buffer (or file) it was read from. */
  start: number;
  end: number;
}

/** The boxes between `from` and `to`; stops at the first malformed one. */
function boxesIn(b: Buffer, from: number, to: number): Box[] {
  const boxes: Box[] = [];
  let at = from;
  while (at + 8 <= to) {
    let size = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = Number(b.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = to - at;
    if (size < header || at + size > to) break;
    boxes.push({ type, start: at + header, end: at + size });
    at += size;
  }
  return boxes;
}

const child = (b: Buffer, box: Box, type: string): Box | undefined =>
  boxesIn(b, box.start, box.end).find((c) => c.type === type);

/** (duration, timescale) from a full box laid out as mvhd/mdhd are: version 1 has 64-bit times. */
function headerDuration(b: Buffer, box: Box): number | undefined {
  const version = b[box.start];
  const [timescaleAt, durationAt, wide] = version === 1 ? [20, 24, true] : [12, 16, false];
  if (box.start + durationAt + (wide ? 8 : 4) > box.end) return undefined;
  const timescale = b.readUInt32BE(box.start + timescaleAt);
  const duration = wide ? Number(b.readBigUInt64BE(box.start + durationAt)) : b.readUInt32BE(box.start + durationAt);
  // All ones means "unknown" in both widths.
  if (timescale === 0 || duration === 0 || duration === 0xffffffff || duration >= 2 ** 53) return undefined;
  return duration / timescale;
}

function fragmentDuration(b: Buffer, moov: Box, timescale: number): number | undefined {
  const mvex = child(b, moov, 'mvex');
  const mehd = mvex && child(b, mvex, 'mehd');
  if (!mehd || timescale === 0) return undefined;
  const wide = b[mehd.start] === 1;
  if (mehd.start + 4 + (wide ? 8 : 4) > mehd.end) return undefined;
  const duration = wide ? Number(b.readBigUInt64BE(mehd.start + 4)) : b.readUInt32BE(mehd.start + 4);
  return duration > 0 ? duration / timescale : undefined;
}

/** Reads `moov` from the file and interprets it. */
export async function isoMediaDuration(handle: FileHandle, size: number): Promise<ContainerReading> {
  let at = 0;
  while (at + 8 <= size) {
    const header = await readAt(handle, at, 16);
    if (header.length < 8) break;
    let boxSize = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    if (boxSize === 1 && header.length === 16) boxSize = Number(header.readBigUInt64BE(8));
    else if (boxSize === 0) boxSize = size - at;
    if (boxSize < 8) return { ok: false, reason: `damaged MP4 box at byte ${at}` };
    if (type === 'moov') {
      if (boxSize > MAX_MOOV_BYTES) return { ok: false, reason: 'the MP4 movie header is implausibly large' };
      const moov = await readAt(handle, at, Math.min(boxSize, size - at));
      return readMoov(moov);
    }
    at += boxSize;
  }
  return { ok: false, reason: 'no movie header (moov) in the MP4 file: it may be cut short or still being written' };
}

/** Interprets a whole `moov` box (header included); exported for tests. */
export function readMoov(moovBox: Buffer): ContainerReading {
  const [moov] = boxesIn(moovBox, 0, moovBox.length);
  if (!moov || moov.type !== 'moov') return { ok: false, reason: 'not an MP4 movie header' };
  const mvhd = child(moovBox, moov, 'mvhd');
  const handlers: string[] = [];
  const trackDurations: number[] = [];
  for (const trak of boxesIn(moovBox, moov.start, moov.end).filter((box) => box.type === 'trak')) {
    const mdia = child(moovBox, trak, 'mdia');
    const hdlr = mdia && child(moovBox, mdia, 'hdlr');
    if (hdlr && hdlr.start + 12 <= hdlr.end) handlers.push(moovBox.toString('latin1', hdlr.start + 8, hdlr.start + 12));
    const mdhd = mdia && child(moovBox, mdia, 'mdhd');
    const seconds = mdhd && headerDuration(moovBox, mdhd);
    if (seconds !== undefined) trackDurations.push(seconds);
  }
  const timescale =
    mvhd && mvhd.start + 16 <= mvhd.end ? moovBox.readUInt32BE(mvhd.start + (moovBox[mvhd.start] === 1 ? 20 : 12)) : 0;
  const durationSeconds =
    (mvhd && headerDuration(moovBox, mvhd)) ??
    fragmentDuration(moovBox, moov, timescale) ??
    (trackDurations.length > 0 ? Math.max(...trackDurations) : undefined);
  if (durationSeconds === undefined) return { ok: false, reason: 'the MP4 movie header gives no duration' };
  return {
    ok: true,
    durationSeconds,
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    hasVideo: handlers.includes('vide'),
    hasAudio: handlers.includes('soun'),
  };
}
