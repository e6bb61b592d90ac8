import { copyFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ffprobeCandidates, findFfprobe, parseFfprobeJson, probeDuration, probeVideo } from '../../src/media/probe';
import { mediaFixtures as fixtures, samples, useScratchDir } from '../support/media-files';

const scratch = useScratchDir('lf-probe-');

/** A fake ffprobe (a shell script) in its own folder, to test lookup and time limits. */
async function fakeFfprobe(name: string, script: string): Promise<string> {
  const dir = scratch(name);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'ffprobe');
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('real ffprobe on real videos', () => {
  test.each([
    ['color-theory-intro.mp4', 12],
    ['stage-lighting-basics.mp4', 20],
    ['perspective-drawing.webm', 13.007],
  ])('%s lasts %d s', async (name, seconds) => {
    expect(await probeDuration(path.join(samples, name))).toBeCloseTo(seconds, 2);
  });

  test('reports format and stream kinds', async () => {
    expect(await probeVideo(path.join(samples, 'perspective-drawing.webm'))).toEqual({
      ok: true,
      durationSeconds: 13.007,
      formatName: 'matroska,webm',
      hasVideo: true,
      hasAudio: true,
    });
  });

  test.each(['tiny.mov', 'tiny.avi', 'tiny.flv', 'tiny.mpg', 'tiny.ts', 'tiny.wmv', 'tiny.3gp', 'tiny.m4v'])(
    '%s lasts about 1 s',
    async (name) => {
      const seconds = await probeDuration(path.join(fixtures, name));
      expect(seconds).toBeGreaterThan(0.9);
      expect(seconds).toBeLessThan(1.3);
    },
  );

  test('a file name full of shell and ffmpeg syntax is just a file name', async () => {
    const odd = scratch("-concat:a|b $(touch pwned) ; 'q' %20 ü.mp4");
    await copyFile(path.join(samples, 'color-theory-intro.mp4'), odd);
    expect(await probeDuration(odd)).toBe(12);
    const relative = path.relative(process.cwd(), odd);
    expect(await probeDuration(relative)).toBe(12);
  });

  test('the ffprobe shipped in npm works too', async () => {
    const bundled = findFfprobe({ PATH: '' });
    expect(bundled).toContain('@ffprobe-installer');
    expect(await probeDuration(path.join(samples, 'stage-lighting-basics.mp4'), { ffprobePath: bundled })).toBe(20);
  });
});

describe('files ffprobe cannot read give undefined and a reason, never an exception', () => {
  test('text pretending to be a video', async () => {
    const fake = scratch('fake.mp4');
    await writeFile(fake, 'this is not a video\n');
    expect(await probeDuration(fake)).toBeUndefined();
    const result = await probeVideo(fake);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^ffprobe could not read the file: /);
  });

  test('a truncated MP4 (header only)', async () => {
    const cut = scratch('cut.mp4');
    const full = await import('node:fs').then((fs) => fs.readFileSync(path.join(samples, 'color-theory-intro.mp4')));
    await writeFile(cut, full.subarray(0, 200));
    expect(await probeDuration(cut)).toBeUndefined();
  });

  test('a missing file', async () => {
    const result = await probeVideo(scratch('missing.mp4'));
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/No such file/) });
  });
});

describe('choosing ffprobe', () => {
  test('FFPROBE_PATH wins over PATH', () => {
    expect(findFfprobe({ FFPROBE_PATH: '/opt/ff/ffprobe', PATH: '/usr/bin' })).toBe('/opt/ff/ffprobe');
  });

  test('then the first ffprobe on PATH', async () => {
    const fake = await fakeFfprobe('on-path', 'exit 1');
    expect(findFfprobe({ PATH: [scratch('empty-dir'), path.dirname(fake), '/usr/bin'].join(path.delimiter) })).toBe(
      fake,
    );
  });

  test('a non-executable file on PATH is passed over', async () => {
    const dir = scratch('not-exec');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'ffprobe'), 'nothing');
    const found = findFfprobe({ PATH: dir });
    expect(found).not.toBe(path.join(dir, 'ffprobe'));
  });

  test('probeVideo uses FFPROBE_PATH from the given environment, and says when it could not run', async () => {
    const result = await probeVideo(path.join(samples, 'color-theory-intro.mp4'), {
      env: { FFPROBE_PATH: scratch('no-such-ffprobe'), PATH: '' },
    });
    // The npm ffprobe answered instead; the note keeps the broken setting visible.
    expect(result).toMatchObject({
      ok: true,
      durationSeconds: 12,
      note: expect.stringMatching(/could not run ffprobe .*no-such-ffprobe/),
    });
  });

  test('every ffprobe is a candidate once, in order', async () => {
    const fake = await fakeFfprobe('candidates', 'exit 1');
    const candidates = ffprobeCandidates({ FFPROBE_PATH: fake, PATH: path.dirname(fake) });
    expect(candidates[0]).toBe(fake);
    expect(candidates).toHaveLength(2);
    expect(candidates[1]).toContain('@ffprobe-installer');
  });

  test('a hanging ffprobe is stopped at the time limit', async () => {
    const slow = await fakeFfprobe('slow', 'sleep 20');
    const started = Date.now();
    const result = await probeVideo(path.join(fixtures, 'tiny.mkv'), { ffprobePath: slow, timeoutMs: 300 });
    expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/took longer than/) });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  test('cancelling through the signal stops ffprobe', async () => {
    const slow = await fakeFfprobe('slow-abort', 'sleep 20');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await probeVideo(path.join(samples, 'color-theory-intro.mp4'), {
      ffprobePath: slow,
      signal: controller.signal,
    });
    expect(result).toEqual({ ok: false, reason: 'ffprobe was cancelled' });
  });

  test('an already-aborted signal does not start ffprobe', async () => {
    const result = await probeVideo(path.join(samples, 'color-theory-intro.mp4'), { signal: AbortSignal.abort() });
    expect(result).toEqual({ ok: false, reason: 'ffprobe was cancelled' });
  });

  test('an ffprobe that prints garbage', async () => {
    const noisy = await fakeFfprobe('noisy', 'echo "hello"');
    expect(await probeVideo(path.join(fixtures, 'tiny.mkv'), { ffprobePath: noisy })).toEqual({
      ok: false,
      reason: expect.stringMatching(/^ffprobe printed something that is not JSON \(.*noisy\/ffprobe\); /),
    });
  });
});

describe('an ffprobe that crashes does not cost the duration', () => {
  const crashes = (name: string): Promise<string> => fakeFfprobe(name, 'kill -SEGV $$');

  test('the next ffprobe answers, and the note names the crash', async () => {
    const crasher = await crashes('crash-then-npm');
    const result = await probeVideo(path.join(samples, 'color-theory-intro.mp4'), {
      env: { FFPROBE_PATH: crasher, PATH: '' },
    });
    expect(result).toEqual({
      ok: true,
      durationSeconds: 12,
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      hasVideo: true,
      hasAudio: true,
      note: `ffprobe (${crasher}) crashed (SIGSEGV)`,
    });
  });

  test('with no ffprobe left, MPEG-TS timestamps give the duration', async () => {
    const crasher = await crashes('crash-ts');
    expect(await probeVideo(path.join(fixtures, 'tiny.ts'), { ffprobePath: crasher })).toEqual({
      ok: true,
      durationSeconds: expect.closeTo(1.023222, 5),
      formatName: 'mpegts',
      hasVideo: true,
      hasAudio: true,
      note: `ffprobe (${crasher}) crashed (SIGSEGV); duration read from the file itself`,
    });
  });

  test("a wrapper script's 128 + signal exit code is a crash too", async () => {
    const wrapper = await fakeFfprobe('wrapper-139', 'exit 139');
    expect(await probeVideo(path.join(fixtures, 'tiny.mpg'), { ffprobePath: wrapper })).toMatchObject({
      ok: true,
      formatName: 'mpeg',
      note: expect.stringMatching(/crashed \(exit code 139\)/),
    });
  });

  test('an ffprobe that finds no duration: the built-in reader may', async () => {
    const blank = await fakeFfprobe('no-duration', `echo '{"format":{"format_name":"mpegts"},"streams":[]}'`);
    expect(await probeVideo(path.join(fixtures, 'tiny.ts'), { ffprobePath: blank })).toMatchObject({
      ok: true,
      durationSeconds: expect.closeTo(1.023, 3),
      note: expect.stringMatching(
        /^ffprobe found no duration in this mpegts file .*; duration read from the file itself$/,
      ),
    });
  });

  test('an ffprobe that crashed on a kind of file is not run on that kind again', async () => {
    const count = scratch('crash-count');
    const crasher = await fakeFfprobe('crash-counted', `echo x >> '${count}'\nkill -SEGV $$`);
    const runs = async (): Promise<number> => (await readFile(count, 'utf8')).split('\n').filter(Boolean).length;
    await probeVideo(path.join(fixtures, 'tiny.ts'), { ffprobePath: crasher });
    const again = await probeVideo(path.join(fixtures, 'tiny.ts'), { ffprobePath: crasher });
    expect(again).toMatchObject({
      ok: true,
      formatName: 'mpegts',
      note: `ffprobe (${crasher}) skipped: it crashed on mpeg-ts files earlier; duration read from the file itself`,
    });
    expect(await runs()).toBe(1);
    // Another kind of file still gets its chance.
    await probeVideo(path.join(fixtures, 'tiny.mov'), { ffprobePath: crasher });
    expect(await runs()).toBe(2);
  });

  test('nothing works: every reason, and what to do', async () => {
    const crasher = await crashes('crash-mkv');
    const result = await probeVideo(path.join(fixtures, 'tiny.mkv'), { ffprobePath: crasher });
    expect(result).toEqual({
      ok: false,
      reason:
        `ffprobe (${crasher}) crashed (SIGSEGV); the built-in reader does not know this file (Matroska (MKV) video). ` +
        "To get a duration: install a working ffmpeg (e.g. your system's package), or set FFPROBE_PATH to an ffprobe binary",
    });
  });
});

describe('parseFfprobeJson', () => {
  test('container duration first', () => {
    const json = JSON.stringify({
      format: { duration: '61.5', format_name: 'mp4' },
      streams: [{ codec_type: 'video', duration: '70' }],
    });
    expect(parseFfprobeJson(json)).toMatchObject({ ok: true, durationSeconds: 61.5, hasVideo: true, hasAudio: false });
  });
  test('falls back to the longest stream when the container has none', () => {
    const json = JSON.stringify({
      format: { duration: 'N/A', format_name: 'matroska,webm' },
      streams: [
        { codec_type: 'video', duration: '30.2' },
        { codec_type: 'audio', duration: '30.5' },
        { codec_type: 'data' },
      ],
    });
    expect(parseFfprobeJson(json)).toMatchObject({ ok: true, durationSeconds: 30.5, hasAudio: true });
  });
  test('no duration anywhere', () => {
    expect(parseFfprobeJson(JSON.stringify({ format: { format_name: 'mpegts' }, streams: [] }))).toEqual({
      ok: false,
      reason: expect.stringMatching(/no duration in this mpegts file/),
    });
  });
  test('zero and negative durations are not durations', () => {
    expect(parseFfprobeJson(JSON.stringify({ format: { duration: '0' }, streams: [{ duration: '-1' }] })).ok).toBe(
      false,
    );
  });
});
