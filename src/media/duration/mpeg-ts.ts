/**
 * Duration of an MPEG transport stream (.ts, .m2ts) from its own clocks: the PTS of the first and
 * last PES packets of each stream, or failing those the PCR. The same answer ffprobe gives, read
 * from two 2 MiB windows.
 */
import { kindOfStreamId, pesTimestamp, PTS_HZ, TimestampSpan } from './pes';
import type { ContainerReading } from './reading';

const SYNC = 0x47;
const PACKET = 188;
/** Plain TS, Blu-ray/AVCHD (4-byte timestamp before each packet), and TS with 16 bytes of FEC after it. */
const STRIDES = [188, 192, 204] as const;

interface Layout {
  /** Offset of the first sync byte. */
  first: number;
  stride: number;
}

/** Finds where packets start: a sync byte every `stride` bytes, five times in a row (or to the end). */
function findLayout(b: Buffer, strides: readonly number[] = STRIDES): Layout | undefined {
  for (const stride of strides) {
    const syncOffset = stride === 192 ? 4 : 0;
    for (let first = syncOffset; first < stride + syncOffset && first < b.length; first++) {
      let seen = 0;
      for (let at = first; at < b.length && seen < 5; at += stride) {
        if (b[at] !== SYNC) break;
        seen++;
      }
      const fitting = Math.floor((b.length - first) / stride);
      if (seen >= 5 || (seen >= 1 && seen === fitting)) return { first, stride };
    }
  }
  return undefined;
}

function collect(b: Buffer, layout: Layout, part: 'head' | 'tail', span: TimestampSpan, pcrs: number[]): void {
  for (let p = layout.first; p + PACKET <= b.length; p += layout.stride) {
    if (b[p] !== SYNC) continue;
    const b1 = b[p + 1] ?? 0;
    const pid = ((b1 & 0x1f) << 8) | (b[p + 2] ?? 0);
    if (pid === 0x1fff || b1 & 0x80) continue; // null packet, or flagged as corrupt
    const control = ((b[p + 3] ?? 0) >> 4) & 0x03;
    let payload = p + 4;
    if (control & 0x02) {
      const length = b[p + 4] ?? 0;
      if (length > 0 && (b[p + 5] ?? 0) & 0x10 && length >= 7) pcrs.push(readPcrBase(b, p + 6));
      payload += 1 + length;
    }
    const packet = b.subarray(payload, p + PACKET);
    const unitStart = (b1 & 0x40) !== 0;
    if (!(control & 0x01) || !unitStart || packet.length < 14) continue;
    if (packet[0] !== 0 || packet[1] !== 0 || packet[2] !== 1) continue;
    const kind = kindOfStreamId(packet[3] ?? 0);
    if (!kind) continue;
    const pts = pesTimestamp(packet, 0);
    // Private stream 1 in a transport stream is almost always AC-3 or E-AC-3 audio.
    if (pts !== undefined) span.add(part, String(pid), kind === 'other' ? 'audio' : kind, pts);
  }
}

/** The 33-bit base of a program clock reference (90 kHz, like PTS). */
function readPcrBase(b: Buffer, at: number): number {
  return (
    (b[at] ?? 0) * 2 ** 25 +
    (b[at + 1] ?? 0) * 2 ** 17 +
    (b[at + 2] ?? 0) * 2 ** 9 +
    (b[at + 3] ?? 0) * 2 +
    ((b[at + 4] ?? 0) >> 7)
  );
}

export function transportStreamDuration(head: Buffer, tail: Buffer): ContainerReading {
  const headLayout = findLayout(head);
  if (!headLayout) return { ok: false, reason: 'no MPEG-TS packets at the start of the file' };
  const tailLayout = tail === head ? headLayout : findLayout(tail, [headLayout.stride]);
  if (!tailLayout) return { ok: false, reason: 'no MPEG-TS packets at the end of the file (is it cut short?)' };
  const span = new TimestampSpan();
  const headPcrs: number[] = [];
  const tailPcrs: number[] = [];
  collect(head, headLayout, 'head', span, headPcrs);
  collect(tail, tailLayout, 'tail', span, tailPcrs);
  const fromPts = span.seconds();
  const firstPcr = headPcrs[0];
  const lastPcr = tailPcrs.at(-1);
  const fromPcr =
    firstPcr !== undefined && lastPcr !== undefined && lastPcr > firstPcr ? (lastPcr - firstPcr) / PTS_HZ : undefined;
  return span.reading('mpegts', fromPts ?? fromPcr, 'no timestamps in the MPEG-TS packets');
}
