/**
 * Videos of any length for benchmarks, from the 12 s sample: the same frames with every duration
 * and sample time in the MP4 scaled, so ffprobe (the worker's inspect) and the stand-in's container
 * reader both see the stretched length, and the stand-in bills its tokens. Nothing is re-encoded:
 * the file stays 50 KB.
 */
import fs from 'node:fs';
import path from 'node:path';

const sample = path.resolve(__dirname, '..', '..', 'samples', 'color-theory-intro.mp4');
const containers = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts']);

/** Calls `visit` for every box under [start, end), descending into the containers above. */
function walk(buf: Buffer, start: number, end: number, visit: (type: string, at: number) => void): void {
  let at = start;
  while (at + 8 <= end) {
    const size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (size < 8) return; // 0 (to the end) or 64-bit sizes do not occur in the sample's moov
    visit(type, at);
    if (containers.has(type)) walk(buf, at + 8, at + size, visit);
    at += size;
  }
}

const scale32 = (buf: Buffer, offset: number, factor: number) =>
  buf.writeUInt32BE(Math.round(buf.readUInt32BE(offset) * factor), offset);

/** The sample stretched to `seconds` (version-0 boxes, as the sample has). */
export function stretchedSample(seconds: number): Buffer {
  const buf = fs.readFileSync(sample);
  let factor = 0;
  walk(buf, 0, buf.length, (type, at) => {
    if (type !== 'mvhd') return;
    factor = seconds / (buf.readUInt32BE(at + 24) / buf.readUInt32BE(at + 20));
  });
  if (!factor) throw new Error(`no mvhd in ${sample}`);
  walk(buf, 0, buf.length, (type, at) => {
    const body = at + 8; // version and flags, then the fields
    if (type === 'mvhd' || type === 'mdhd') scale32(buf, body + 16, factor);
    else if (type === 'tkhd') scale32(buf, body + 20, factor);
    else if (type === 'stts') {
      const entries = buf.readUInt32BE(body + 4);
      for (let i = 0; i < entries; i++) scale32(buf, body + 8 + i * 8 + 4, factor);
    } else if (type === 'elst') {
      const entries = buf.readUInt32BE(body + 4);
      for (let i = 0; i < entries; i++) scale32(buf, body + 8 + i * 12, factor);
    }
  });
  return buf;
}
