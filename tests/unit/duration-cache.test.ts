import { chmod, copyFile, mkdir, readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { durationForEstimate, probeDurationCached, probeVideoCached } from '../../src/gemini/duration-cache';
import { ffprobeCandidates } from '../../src/media/probe';
import { samples, useScratchDir } from '../support/media-files';

const scratch = useScratchDir('lf-duration-cache-');

/**
 * The real ffprobe behind a wrapper that logs each file it is asked about, set as FFPROBE_PATH:
 * how many times a file was probed is then a count of lines.
 */
async function countingFfprobe(): Promise<{ probesOf: (file: string) => Promise<number> }> {
  const real = ffprobeCandidates({ ...process.env, FFPROBE_PATH: '' })[0];
  const dir = scratch('bin');
  await mkdir(dir, { recursive: true });
  const log = path.join(dir, 'calls.log');
  const wrapper = path.join(dir, 'ffprobe');
  await writeFile(wrapper, `#!/bin/sh\nfor a; do last="$a"; done\necho "$last" >> '${log}'\nexec '${real}' "$@"\n`);
  await chmod(wrapper, 0o755);
  process.env.FFPROBE_PATH = wrapper;
  return {
    probesOf: async (file) =>
      (await readFile(log, 'utf8').catch(() => '')).split('\n').filter((line) => line.endsWith(path.basename(file)))
        .length,
  };
}

async function copyOf(sample: string, name: string): Promise<string> {
  const dir = scratch('videos');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await copyFile(path.join(samples, sample), file);
  return file;
}

const savedFfprobePath = process.env.FFPROBE_PATH;
afterEach(() => {
  if (savedFfprobePath === undefined) delete process.env.FFPROBE_PATH;
  else process.env.FFPROBE_PATH = savedFfprobePath;
});

test("a batch page's estimate reads the duration from the headers; inspection gets ffprobe's answer, probed once", async () => {
  const ffprobe = await countingFfprobe();
  const files = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => copyOf('color-theory-intro.mp4', `clip-${i}.mp4`)));
  const estimates = await Promise.all(files.map((file) => durationForEstimate(file)));
  for (const seconds of estimates) expect(seconds).toBeCloseTo(12, 0);
  // The last file's probe is still queued behind the first two: inspection runs it now, once.
  const inspected = await Promise.all(files.reverse().map((file) => probeVideoCached(file)));
  for (const probed of inspected) expect(probed).toMatchObject({ ok: true, hasVideo: true, hasAudio: true });
  for (const probed of inspected) expect(probed.ok && probed.durationSeconds).toBeCloseTo(12, 1);
  for (const file of files) expect(await ffprobe.probesOf(file)).toBe(1);
  // A dry run over the same files asks ffprobe nothing new.
  expect(await probeDurationCached(files[0])).toBeCloseTo(12, 1);
  expect(await ffprobe.probesOf(files[0])).toBe(1);
});

test('a file changed since it was probed is probed again', async () => {
  const ffprobe = await countingFfprobe();
  const file = await copyOf('perspective-drawing.webm', 'changing.webm');
  expect((await probeVideoCached(file)).ok).toBe(true);
  expect((await probeVideoCached(file)).ok).toBe(true);
  expect(await ffprobe.probesOf(file)).toBe(1);
  await utimes(file, new Date(), new Date(Date.now() + 60_000));
  expect(await probeVideoCached(file)).toMatchObject({ ok: true, durationSeconds: 13.007 });
  expect(await ffprobe.probesOf(file)).toBe(2);
});

test('a file neither the headers nor ffprobe can read has no estimate, and inspection asks ffprobe again for its reason', async () => {
  const ffprobe = await countingFfprobe();
  const dir = scratch('cut');
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'cut.mp4');
  const whole = await readFile(path.join(samples, 'color-theory-intro.mp4'));
  await writeFile(file, whole.subarray(0, 64));
  expect(await durationForEstimate(file)).toBeUndefined();
  expect(await ffprobe.probesOf(file)).toBe(1);
  expect(await probeVideoCached(file)).toMatchObject({ ok: false, reason: expect.any(String) });
  expect(await ffprobe.probesOf(file)).toBe(2);
});

test('ffprobe runs a few at a time, however many videos are inspected at once', async () => {
  const dir = scratch('slow-bin');
  await mkdir(dir, { recursive: true });
  const log = path.join(dir, 'spans.log');
  const real = ffprobeCandidates({ ...process.env, FFPROBE_PATH: '' })[0];
  const wrapper = path.join(dir, 'ffprobe');
  // Each run logs when it starts and ends, and lasts at least 0.3 s.
  await writeFile(
    wrapper,
    `#!/bin/sh\necho "start" >> '${log}'\nsleep 0.3\n'${real}' "$@"\ncode=$?\necho "end" >> '${log}'\nexit $code\n`,
  );
  await chmod(wrapper, 0o755);
  process.env.FFPROBE_PATH = wrapper;
  const slots = Math.max(4, os.availableParallelism());
  const files = await Promise.all(
    Array.from({ length: slots + 4 }, (_, i) => copyOf('stage-lighting-basics.mp4', `many-${i}.mp4`)),
  );
  const probed = await Promise.all(files.map((file) => probeVideoCached(file)));
  for (const p of probed) expect(p).toMatchObject({ ok: true, durationSeconds: 20 });
  let now = 0;
  let most = 0;
  for (const line of (await readFile(log, 'utf8')).split('\n').filter(Boolean)) {
    now += line === 'start' ? 1 : -1;
    most = Math.max(most, now);
  }
  expect(most).toBeLessThanOrEqual(slots);
  expect(most).toBeGreaterThanOrEqual(2);
});
