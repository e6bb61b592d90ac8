/**
 * Duration of an FLV file: the `duration` of its onMetaData script tag when the muxer wrote one,
 * else the timestamp of the last tag (found through the PreviousTagSize that ends the file).
 */
import type { ContainerReading } from './reading';

/** `duration` as an AMF0 number: name length 8, "duration", marker 0, then a big-endian double. */
const DURATION_KEY = Buffer.from('\x00\x08duration\x00', 'latin1');

function metadataDuration(head: Buffer): number | undefined {
  const at = head.indexOf(DURATION_KEY);
  if (at < 0 || at + DURATION_KEY.length + 8 > head.length) return undefined;
  const seconds = head.readDoubleBE(at + DURATION_KEY.length);
  return Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** Seconds of the last tag, read from the end: PreviousTagSize (4 bytes), then that tag's header. */
function lastTagSeconds(tail: Buffer): number | undefined {
  if (tail.length < 15) return undefined;
  const size = tail.readUInt32BE(tail.length - 4);
  const tag = tail.length - 4 - size;
  if (size < 11 || tag < 0) return undefined;
  const type = tail[tag] ?? 0;
  if (type !== 8 && type !== 9 && type !== 18) return undefined;
  const ms = ((tail[tag + 7] ?? 0) << 24) + tail.readUIntBE(tag + 4, 3);
  return ms > 0 ? ms / 1000 : undefined;
}

export function flvDuration(head: Buffer, tail: Buffer): ContainerReading {
  if (head.toString('latin1', 0, 3) !== 'FLV') return { ok: false, reason: 'not an FLV file' };
  const flags = head[4] ?? 0;
  const durationSeconds = metadataDuration(head) ?? lastTagSeconds(tail);
  if (durationSeconds === undefined)
    return { ok: false, reason: 'the FLV file has no duration and no readable last tag' };
  return {
    ok: true,
    durationSeconds,
    formatName: 'flv',
    hasVideo: (flags & 0x01) !== 0,
    hasAudio: (flags & 0x04) !== 0,
  };
}
