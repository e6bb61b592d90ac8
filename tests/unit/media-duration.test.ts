import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readContainerDuration } from '../../src/media/duration';
import { flvDuration } from '../../src/media/duration/flv';
import { readMoov } from '../../src/media/duration/iso-media';
import { transportStreamDuration } from '../../src/media/duration/mpeg-ts';
import { readTimestamp } from '../../src/media/duration/pes';
import { webmDuration } from '../../src/media/duration/webm';
import { mediaFixtures as fixtures, samples, useScratchDir } from '../support/media-files';

const scratch = useScratchDir('lf-duration-');

/** The 5-byte PES timestamp field for `pts` (prefix 0010: PTS only). */
function ptsField(pts: number): Buffer {
  const high = Math.floor(pts / 2 ** 30) & 0x07;
  const mid = Math.floor(pts / 2 ** 15) & 0x7fff;
  const low = pts & 0x7fff;
  return Buffer.from([0x21 | (high << 1), mid >> 7, ((mid & 0x7f) << 1) | 1, low >> 7, ((low & 0x7f) << 1) | 1]);
}

/** One 188-byte TS packet: a PES start with a PTS, or a PCR-only adaptation field, or filler payload. */
function tsPacket(pid: number, content: { pts?: number; streamId?: number; pcr?: number }): Buffer {
  const packet = Buffer.alloc(188, 0xff);
  packet[0] = 0x47;
  packet[1] = (content.pts !== undefined ? 0x40 : 0) | (pid >> 8);
  packet[2] = pid & 0xff;
  if (content.pcr !== undefined) {
    packet[3] = 0x20; // adaptation field only
    packet[4] = 183;
    packet[5] = 0x10;
    const base = content.pcr;
    packet[6] = Math.floor(base / 2 ** 25) & 0xff;
    packet[7] = Math.floor(base / 2 ** 17) & 0xff;
    packet[8] = Math.floor(base / 2 ** 9) & 0xff;
    packet[9] = Math.floor(base / 2) & 0xff;
    packet[10] = ((base & 1) << 7) | 0x7e;
    return packet;
  }
  packet[3] = 0x10; // payload only
  if (content.pts !== undefined) {
    Buffer.from([0, 0, 1, content.streamId ?? 0xe0, 0, 0, 0x80, 0x80, 5]).copy(packet, 4);
    ptsField(content.pts).copy(packet, 13);
  }
  return packet;
}

/** `seconds` of 25 fps video on PID 256, each frame padded to `framePackets` packets. */
function syntheticTs(seconds: number, startPts: number, framePackets = 1): Buffer {
  const packets: Buffer[] = [];
  for (let frame = 0; frame < seconds * 25; frame++) {
    packets.push(tsPacket(256, { pts: (startPts + frame * 3600) % 2 ** 33 }));
    for (let i = 1; i < framePackets; i++) packets.push(tsPacket(256, {}));
  }
  return Buffer.concat(packets);
}

describe('the built-in reader matches ffprobe on real files', () => {
  test('MPEG-TS: first and last PTS plus the last video frame, as ffprobe counts', async () => {
    // ffprobe (a build that does not crash) says 1.023222 for this file.
    expect(await readContainerDuration(path.join(fixtures, 'tiny.ts'))).toEqual({
      ok: true,
      durationSeconds: expect.closeTo(1.023222, 5),
      formatName: 'mpegts',
      hasVideo: true,
      hasAudio: true,
    });
  });

  test('MPEG program stream', async () => {
    const result = await readContainerDuration(path.join(fixtures, 'tiny.mpg'));
    expect(result).toMatchObject({ ok: true, formatName: 'mpeg', hasVideo: true, hasAudio: true });
    expect(result.ok && result.durationSeconds).toBeGreaterThan(0.95);
    expect(result.ok && result.durationSeconds).toBeLessThan(1.05);
  });

  test.each([
    [path.join(fixtures, 'tiny.mov'), 1],
    [path.join(fixtures, 'tiny.m4v'), 1],
    [path.join(fixtures, 'tiny.3gp'), 1],
    [path.join(samples, 'color-theory-intro.mp4'), 12],
    [path.join(samples, 'stage-lighting-basics.mp4'), 20],
  ])('ISO media %s: the movie header says %d s', async (file, seconds) => {
    expect(await readContainerDuration(file)).toEqual({
      ok: true,
      durationSeconds: seconds,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      hasVideo: true,
      hasAudio: true,
    });
  });

  test.each([
    // The values ffprobe gives for the same files (ASF: the header's play duration minus preroll,
    // where ffprobe, reading packets, says 1.092).
    [path.join(fixtures, 'tiny.avi'), 'avi', 1.2],
    [path.join(fixtures, 'tiny.flv'), 'flv', 1.05],
    [path.join(fixtures, 'tiny.wmv'), 'asf', 1.046],
    [path.join(samples, 'perspective-drawing.webm'), 'matroska,webm', 13.007],
  ])('%s (%s) lasts %d s', async (file, formatName, seconds) => {
    expect(await readContainerDuration(file)).toEqual({
      ok: true,
      durationSeconds: expect.closeTo(seconds, 6),
      formatName,
      hasVideo: true,
      hasAudio: true,
    });
  });

  test('what it does not cover says so', async () => {
    const elementary = scratch('bare.m2v');
    await writeFile(elementary, Buffer.concat([Buffer.from([0, 0, 1, 0xb3]), Buffer.alloc(500)]));
    expect(await readContainerDuration(elementary)).toEqual({
      ok: false,
      reason: 'the built-in reader does not cover mpeg-video files',
    });
    expect(await readContainerDuration(path.join(fixtures, 'tiny.mkv'))).toEqual({
      ok: false,
      reason: 'the built-in reader does not know this file (Matroska (MKV) video)',
    });
    expect(await readContainerDuration(scratch('missing.ts'))).toEqual({
      ok: false,
      reason: 'the built-in reader could not read the file (ENOENT)',
    });
  });

  test('FLV without a duration in its metadata: the last tag tells', () => {
    const flv = readFileSync(path.join(fixtures, 'tiny.flv'));
    const head = Buffer.from(flv);
    head.write('xuration', head.indexOf('duration'), 'latin1');
    const result = flvDuration(head, flv);
    expect(result).toMatchObject({ ok: true, formatName: 'flv' });
    expect(result.ok && result.durationSeconds).toBeGreaterThan(0.9);
    expect(result.ok && result.durationSeconds).toBeLessThan(1.1);
  });

  test('WebM recorded live, without a Duration, is refused with that reason', () => {
    const webm = Buffer.from(readFileSync(path.join(samples, 'perspective-drawing.webm')));
    // Rename the Duration element (0x4489) to a Void-like unknown id of the same length.
    const at = webm.indexOf(Buffer.from([0x44, 0x89]));
    webm[at + 1] = 0x88;
    expect(webmDuration(webm)).toEqual({ ok: false, reason: 'the WebM file has no Duration (a live recording?)' });
  });
});

describe('MPEG-TS', () => {
  test('a large file is read at both ends only, and a PTS wrap-around is undone', async () => {
    // 60 s at 25 fps, 20 packets a frame: 5.6 MB, more than the two 2 MiB windows.
    const file = scratch('long.ts');
    const stream = syntheticTs(60, 2 ** 33 - 90_000 * 10, 20);
    expect(stream.length).toBeGreaterThan(5 * 1024 * 1024);
    await writeFile(file, stream);
    const result = await readContainerDuration(file);
    expect(result).toMatchObject({ ok: true, hasVideo: true, hasAudio: false });
    expect(result.ok && result.durationSeconds).toBeCloseTo(60, 6);
  });

  test('Blu-ray .m2ts (a 4-byte timestamp before each 188-byte packet)', () => {
    const plain = readFileSync(path.join(fixtures, 'tiny.ts'));
    const packets: Buffer[] = [];
    for (let at = 0; at + 188 <= plain.length; at += 188) packets.push(Buffer.alloc(4), plain.subarray(at, at + 188));
    const m2ts = Buffer.concat(packets);
    expect(transportStreamDuration(m2ts, m2ts)).toMatchObject({
      ok: true,
      durationSeconds: expect.closeTo(1.023222, 5),
    });
  });

  test('PCR alone when no packet carries a PTS', () => {
    const stream = Buffer.concat([0, 1, 2, 3].map((i) => tsPacket(100, { pcr: 1000 + i * 45_000 })));
    expect(transportStreamDuration(stream, stream)).toMatchObject({ ok: true, durationSeconds: 1.5, hasVideo: false });
  });

  test('no packets, or no timestamps: a reason', () => {
    const text = Buffer.from('not a transport stream '.repeat(40));
    expect(transportStreamDuration(text, text)).toEqual({
      ok: false,
      reason: 'no MPEG-TS packets at the start of the file',
    });
    const bare = Buffer.concat([tsPacket(256, {}), tsPacket(256, {}), tsPacket(256, {})]);
    expect(transportStreamDuration(bare, bare)).toEqual({ ok: false, reason: 'no timestamps in the MPEG-TS packets' });
    const garbageTail = Buffer.alloc(4096, 0x11);
    expect(transportStreamDuration(syntheticTs(2, 0), garbageTail)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/end of the file/),
    });
  });

  test('a PTS field with wrong marker bits is not a timestamp', () => {
    const field = ptsField(123_456);
    expect(readTimestamp(field, 0)).toBe(123_456);
    field[2] = (field[2] ?? 0) & 0xfe;
    expect(readTimestamp(field, 0)).toBeUndefined();
  });
});

describe('ISO media', () => {
  const box = (type: string, ...content: Buffer[]): Buffer => {
    const body = Buffer.concat(content);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(8 + body.length, 0);
    header.write(type, 4, 'latin1');
    return Buffer.concat([header, body]);
  };
  /** mvhd version 1: 64-bit times. */
  const mvhdV1 = (timescale: number, duration: number): Buffer => {
    const body = Buffer.alloc(4 + 8 + 8 + 4 + 8);
    body[0] = 1;
    body.writeUInt32BE(timescale, 20);
    body.writeBigUInt64BE(BigInt(duration), 24);
    return box('mvhd', body);
  };

  test('moov after a large mdat, with a 64-bit movie header', async () => {
    const file = scratch('moov-last.mp4');
    const ftyp = box('ftyp', Buffer.from('isom\0\0\0\0isommp41', 'latin1'));
    const mdat = box('mdat', Buffer.alloc(3 * 1024 * 1024));
    await writeFile(file, Buffer.concat([ftyp, mdat, box('moov', mvhdV1(600, 600 * 3600 * 2))]));
    expect(await readContainerDuration(file)).toMatchObject({ ok: true, durationSeconds: 7200, hasVideo: false });
  });

  test('a fragmented file takes the duration from mvex/mehd', () => {
    const mehd = Buffer.alloc(8);
    mehd.writeUInt32BE(90_000 * 42, 4);
    expect(readMoov(box('moov', mvhdV1(90_000, 0), box('mvex', box('mehd', mehd))))).toMatchObject({
      ok: true,
      durationSeconds: 42,
    });
  });

  test('a file cut before its movie header', async () => {
    const cut = scratch('cut.mp4');
    await writeFile(cut, readFileSync(path.join(samples, 'color-theory-intro.mp4')).subarray(0, 300));
    const result = await readContainerDuration(cut);
    expect(result).toMatchObject({ ok: false });
    expect(!result.ok && result.reason).toMatch(/movie header|damaged/);
  });
});
