import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fsPromises, { chmod, copyFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_VIDEO_BYTES, VideoRejectedError, formatBytes, inspectLocalVideo } from '../../src/media/inspect';
import { mediaFixtures as fixtures, samples, useScratchDir } from '../support/media-files';

const scratch = useScratchDir('lf-inspect-');

async function rejection(file: string, opts = {}): Promise<VideoRejectedError> {
  try {
    await inspectLocalVideo(file, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(VideoRejectedError);
    return err as VideoRejectedError;
  }
  throw new Error(`${file} was accepted`);
}

test('a real video: size, type, duration, streams and hash', async () => {
  const file = path.join(samples, 'stage-lighting-basics.mp4');
  const content = readFileSync(file);
  expect(await inspectLocalVideo(file)).toEqual({
    path: file,
    sizeBytes: content.length,
    modifiedMs: expect.any(Number),
    mimeType: 'video/mp4',
    container: 'mp4',
    durationSeconds: 20,
    hasVideo: true,
    hasAudio: true,
    sha256: createHash('sha256').update(content).digest('hex'),
  });
});

test('relative paths come back absolute', async () => {
  const relative = path.relative(process.cwd(), path.join(samples, 'perspective-drawing.webm'));
  const info = await inspectLocalVideo(relative);
  expect(path.isAbsolute(info.path)).toBe(true);
  expect(info.mimeType).toBe('video/webm');
});

test('hash progress reports the total size', async () => {
  const file = path.join(samples, 'color-theory-intro.mp4');
  const calls: Array<[number, number]> = [];
  await inspectLocalVideo(file, { onHashProgress: (done: number, total: number) => calls.push([done, total]) });
  const size = readFileSync(file).length;
  expect(calls.at(-1)).toEqual([size, size]);
});

test('a video ffprobe cannot read is accepted without a duration, with the reason', async () => {
  const cut = scratch('cut.mp4');
  await writeFile(cut, readFileSync(path.join(samples, 'color-theory-intro.mp4')).subarray(0, 300));
  const info = await inspectLocalVideo(cut);
  expect(info.durationSeconds).toBeUndefined();
  expect(info.durationNote).toMatch(/ffprobe/);
  expect(info.mimeType).toBe('video/mp4');
});

test('a video whose ffprobe crashes keeps its duration, with a note saying how it was found', async () => {
  const crasher = scratch('crashing-ffprobe');
  await writeFile(crasher, '#!/bin/sh\nkill -SEGV $$\n');
  await chmod(crasher, 0o755);
  const info = await inspectLocalVideo(path.join(fixtures, 'tiny.ts'), { probe: { ffprobePath: crasher } });
  expect(info.durationSeconds).toBeCloseTo(1.023, 3);
  expect(info.hasVideo).toBe(true);
  expect(info.durationNote).toBe(`ffprobe (${crasher}) crashed (SIGSEGV); duration read from the file itself`);
});

describe('refusals say what is wrong and what to do', () => {
  test('not-found', async () => {
    const err = await rejection(scratch('gone.mp4'));
    expect(err.code).toBe('not-found');
    expect(err.path).toBe(scratch('gone.mp4'));
    expect(err.message).toMatch(/does not exist: it may have been moved/);
  });

  test('not-a-file: a folder', async () => {
    const err = await rejection(samples);
    expect(err.code).toBe('not-a-file');
    expect(err.message).toMatch(/is a folder, not a video file/);
  });

  test('empty', async () => {
    const empty = scratch('empty.mp4');
    await writeFile(empty, '');
    const err = await rejection(empty);
    expect(err.code).toBe('empty');
    expect(err.message).toBe(
      'empty.mp4 is an empty file (0 bytes): it may still be copying or its download failed. Replace it with the full video.',
    );
  });

  test('too-large: over 2 GB, with the size and the limit', async () => {
    const huge = scratch('huge.mp4');
    await copyFile(path.join(samples, 'color-theory-intro.mp4'), huge);
    await truncate(huge, MAX_VIDEO_BYTES + 1);
    const err = await rejection(huge);
    expect(err.code).toBe('too-large');
    expect(err.message).toBe(
      "huge.mp4 is 2.01 GB (2,147,483,649 bytes), over Gemini's limit of 2 GB per file: compress it or split it into parts (e.g. with ffmpeg), or upload it to YouTube and pass the link.",
    );
  });

  test('exactly at the limit is accepted as far as size goes', async () => {
    const file = path.join(samples, 'color-theory-intro.mp4');
    const size = readFileSync(file).length;
    await expect(inspectLocalVideo(file, { maxBytes: size })).resolves.toMatchObject({ sizeBytes: size });
    expect((await rejection(file, { maxBytes: size - 1 })).code).toBe('too-large');
  });

  test('not-video: names what the file looks like', async () => {
    const png = scratch('poster.mp4');
    await writeFile(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    const err = await rejection(png);
    expect(err.code).toBe('not-video');
    expect(err.message).toBe(
      'poster.mp4 is not a video Gemini accepts (content detected: PNG image). Pass a video file (MP4, MOV, WebM, AVI, MPEG, FLV, WMV or 3GP).',
    );
  });

  test('not-video: MKV carries the conversion advice', async () => {
    const err = await rejection(path.join(fixtures, 'tiny.mkv'));
    expect(err.code).toBe('not-video');
    expect(err.message).toMatch(/Matroska \(MKV\) video\)\. Gemini does not accept MKV: convert it/);
  });

  test('unreadable: refused with the reason and what to do', async () => {
    const locked = scratch('locked.mp4');
    await copyFile(path.join(samples, 'color-theory-intro.mp4'), locked);
    await chmod(locked, 0o000);
    // Permission bits do not bind root (CI runs as root): there, refuse the read check the way
    // the kernel refuses it for everyone else.
    const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const realAccess = fsPromises.access.bind(fsPromises);
    const spy = asRoot
      ? jest.spyOn(fsPromises, 'access').mockImplementation(async (file, mode) => {
          if (String(file) === locked)
            throw Object.assign(new Error(`EACCES: permission denied, access '${locked}'`), { code: 'EACCES' });
          return realAccess(file, mode);
        })
      : undefined;
    try {
      const err = await rejection(locked);
      expect(err.code).toBe('unreadable');
      expect(err.message).toMatch(/permission denied/);
      expect(err.message).toMatch(/read access/);
    } finally {
      spy?.mockRestore();
    }
  });

  test('a path through a file is not-found', async () => {
    const err = await rejection(path.join(samples, 'color-theory-intro.mp4', 'inner.mp4'));
    expect(err.code).toBe('not-found');
  });

  test('the error is an Error with a stable name', async () => {
    const err = await rejection(scratch('gone.mp4'));
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('VideoRejectedError');
  });
});

test.each([
  [0, '0 bytes'],
  [1023, '1023 bytes'],
  [1536, '1.5 KB'],
  [740 * 1024 ** 2, '740 MB'],
  [2 * 1024 ** 3, '2 GB'],
  [2 * 1024 ** 3 + 1, '2.01 GB'],
  [1.1 * 1024 ** 3, '1.1 GB'],
])('formatBytes(%d) = %s', (bytes, text) => {
  expect(formatBytes(bytes)).toBe(text);
});
