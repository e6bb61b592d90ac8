/**
 * Duration of an ASF file (.wmv, .asf) from its File Properties Object: play duration (100 ns
 * units) minus preroll (ms), as ffprobe computes it. Stream Properties Objects give the kinds.
 */
import type { ContainerReading } from './reading';

/** GUIDs as stored (the first three fields little-endian). */
const guid = (text: string): Buffer => {
  const hex = text.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  return Buffer.concat([
    Buffer.from(b.subarray(0, 4)).reverse(),
    Buffer.from(b.subarray(4, 6)).reverse(),
    Buffer.from(b.subarray(6, 8)).reverse(),
    b.subarray(8),
  ]);
};

const HEADER = guid('75B22630-668E-11CF-A6D9-00AA0062CE6C');
const FILE_PROPERTIES = guid('8CABDCA1-A947-11CF-8EE4-00C00C205365');
const STREAM_PROPERTIES = guid('B7DC0791-A9B7-11CF-8EE6-00C00C205365');
const AUDIO_STREAM = guid('F8699E40-5B4D-11CF-A8FD-00805F5C442B');
const VIDEO_STREAM = guid('BC19EFC0-5B4D-11CF-A8FD-00805F5C442B');

export function asfDuration(head: Buffer): ContainerReading {
  if (head.length < 30 || !head.subarray(0, 16).equals(HEADER)) return { ok: false, reason: 'not an ASF file' };
  const headerEnd = Math.min(head.length, Number(head.readBigUInt64LE(16)));
  let durationSeconds: number | undefined;
  let hasVideo = false;
  let hasAudio = false;
  for (let at = 30; at + 24 <= headerEnd;) {
    const size = Number(head.readBigUInt64LE(at + 16));
    if (size < 24) break;
    const id = head.subarray(at, at + 16);
    if (id.equals(FILE_PROPERTIES) && at + 88 <= head.length) {
      const play = Number(head.readBigUInt64LE(at + 64));
      const preroll = Number(head.readBigUInt64LE(at + 80));
      const seconds = play / 1e7 - preroll / 1000;
      if (seconds > 0) durationSeconds = seconds;
    }
    if (id.equals(STREAM_PROPERTIES) && at + 40 <= head.length) {
      const type = head.subarray(at + 24, at + 40);
      hasVideo ||= type.equals(VIDEO_STREAM);
      hasAudio ||= type.equals(AUDIO_STREAM);
    }
    at += size;
  }
  if (durationSeconds === undefined) return { ok: false, reason: 'the ASF file properties give no duration' };
  return { ok: true, durationSeconds, formatName: 'asf', hasVideo, hasAudio };
}
