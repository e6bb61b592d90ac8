/**
 * Duration of an MPEG program stream (.mpg, .mpeg, .vob) from the PTS of its first and last PES
 * packets. Packets are found by their start codes; the PTS marker bits rule out look-alikes.
 */
import { kindOfStreamId, pesTimestamp, TimestampSpan, type StreamKind } from './pes';
import type { ContainerReading } from './reading';

const START_CODE = Buffer.from([0, 0, 1]);

/** DVD private stream 1 carries AC-3, DTS and LPCM audio (sub-ids 0x80–0xAF) and subtitles (0x20–0x3F). */
function privateStreamKind(subId: number): StreamKind {
  return subId >= 0x80 && subId <= 0xaf ? 'audio' : 'other';
}

function collect(b: Buffer, part: 'head' | 'tail', span: TimestampSpan): void {
  for (let at = b.indexOf(START_CODE); at >= 0 && at + 14 <= b.length; at = b.indexOf(START_CODE, at + 3)) {
    const streamId = b[at + 3] ?? 0;
    let kind = kindOfStreamId(streamId);
    if (!kind) continue;
    const pts = pesTimestamp(b, at);
    if (pts === undefined) continue;
    let stream = streamId;
    if (streamId === 0xbd && ((b[at + 6] ?? 0) & 0xc0) === 0x80) {
      const subId = b[at + 9 + (b[at + 8] ?? 0)] ?? 0;
      kind = privateStreamKind(subId);
      stream = 0xbd00 | subId;
    }
    if (kind !== 'other') span.add(part, String(stream), kind, pts);
  }
}

export function programStreamDuration(head: Buffer, tail: Buffer): ContainerReading {
  const span = new TimestampSpan();
  collect(head, 'head', span);
  collect(tail, 'tail', span);
  return span.reading('mpeg', span.seconds(), 'no timestamps in the MPEG program stream');
}
