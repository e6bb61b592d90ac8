import fsp from 'node:fs/promises';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { ActivityContext } from '../../src/activities/context';
import { writeActivities, type WriteInput } from '../../src/activities/write';
import { FailureType } from '../../src/failures';
import type { ModelCatalog } from '../../src/gemini/catalog';
import type { GeminiGateway } from '../../src/gemini/gateway';
import { manifestPath, type ManifestEntry } from '../../src/output/manifest';
import type { ProcessingOptions } from '../../src/types';
import { processingOptions } from '../support/processing-options';

/**
 * The write activity called directly, with the real built-in templates, real temp folders and the
 * real manifest. A new ActivityContext stands for another worker (nothing cached in memory).
 */

const fixedNow = () => new Date('2026-11-22T05:30:00.000Z');
const newWorker = () =>
  new ActivityContext({ gemini: {} as GeminiGateway, catalog: {} as ModelCatalog, now: fixedNow });

let root: string;
let out: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-write-'));
  out = path.join(root, 'out');
});
afterEach(() => {
  fs.chmodSync(root, 0o700);
  if (fs.existsSync(out)) fs.chmodSync(out, 0o700);
  fs.rmSync(root, { recursive: true, force: true });
});

function options(over: Partial<ProcessingOptions> = {}): ProcessingOptions {
  return processingOptions(out, { template: 'summary_report', models: ['gemini-3.5-flash'], ...over });
}

let drafts = 0;
/** A write request for the video at `videoPath` whose rendered document is `text`. */
function request(videoPath: string, text: string, over: Partial<ProcessingOptions> = {}, batchId?: string): WriteInput {
  const draftPath = path.join(root, `draft-${drafts++}.md`);
  fs.writeFileSync(draftPath, text);
  const source = path.resolve(videoPath);
  return {
    item: {
      key: `k-${crypto.createHash('sha256').update(source).digest('hex').slice(0, 6)}`,
      title: path.parse(source).name,
      source: { kind: 'file', path: source },
    },
    facts: {
      title: path.parse(source).name,
      source,
      mimeType: 'video/mp4',
      contentHash: crypto.createHash('sha256').update(`content of ${source}`).digest('hex'),
    },
    draftPath,
    options: options(over),
    model: 'gemini-3.5-flash',
    batchId,
  };
}

const read = (file: string) => fs.readFileSync(file, 'utf8');
const manifestLines = (): ManifestEntry[] =>
  fs.existsSync(manifestPath(out))
    ? read(manifestPath(out))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ManifestEntry)
    : [];

describe('output naming', () => {
  test('default: <output>/<template>/<video name>.md, recorded in the manifest with its hash', async () => {
    const result = await writeActivities(newWorker()).writeOutput(request('/videos/color-theory-intro.mp4', '# v1\n'));
    expect(result).toEqual({ outputPath: path.join(out, 'summary_report', 'color-theory-intro.md') });
    expect(read(result.outputPath)).toBe('# v1\n');
    const [entry, ...rest] = manifestLines();
    expect(rest).toHaveLength(0);
    expect(entry).toMatchObject({
      outputPath: 'summary_report/color-theory-intro.md',
      source: '/videos/color-theory-intro.mp4',
      template: 'summary_report',
      templateVersion: '1.0.0',
      model: 'gemini-3.5-flash',
      writtenSha256: crypto.createHash('sha256').update('# v1\n').digest('hex'),
    });
  });

  test('a custom pattern with {date}, {template}, {batch} and {key}; a name without extension gets .md', async () => {
    const write = writeActivities(newWorker()).writeOutput;
    const dated = await write(request('/videos/intro.mp4', 'a', { outputPattern: '{date}/{template}-{name}' }));
    expect(dated.outputPath).toBe(path.join(out, '2026-11-22', 'summary_report-intro.md'));
    const batched = await write(
      request('/videos/intro.mp4', 'b', { outputPattern: '{batch}/{key}.md' }, 'art-2026-11-22'),
    );
    expect(path.relative(out, batched.outputPath)).toMatch(/^art-2026-11-22[/\\]k-[0-9a-f]{6}\.md$/);
    // Outside a batch, a folder made only of {batch} disappears.
    const loose = await write(request('/videos/loose.mp4', 'c', { outputPattern: '{batch}/{name}.md' }));
    expect(loose.outputPath).toBe(path.join(out, 'loose.md'));
  });

  test('a pattern that would leave the output folder is refused for good', async () => {
    const failure = await writeActivities(newWorker())
      .writeOutput(request('/videos/a.mp4', 'x', { outputPattern: '../{name}.md' }))
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: FailureType.OutputWriteFailed, nonRetryable: true });
    expect(fs.existsSync(path.join(root, 'a.md'))).toBe(false);
  });

  test.each([
    [
      'Unicode is kept, reserved characters become spaces',
      '/videos/色彩理论 入门: 第1课?.mp4',
      '色彩理论 入门 第1课.md',
    ],
    ['Windows device names get a suffix', '/videos/CON.mp4', 'CON_.md'],
    ['"..\\" in a file name cannot climb out', '/videos/..\\..\\escape.mp4', 'escape.md'],
    ['leading dots do not hide the note', '/videos/...hidden.mp4', 'hidden.md'],
    ['angle brackets, pipes and stars', '/videos/a<b>|c*.mov', 'a b c.md'],
  ])('sanitized names: %s', async (_why, videoPath, expected) => {
    const result = await writeActivities(newWorker()).writeOutput(request(videoPath, 'x'));
    expect(result.outputPath).toBe(path.join(out, 'summary_report', expected));
    expect(fs.readdirSync(path.join(out, 'summary_report'))).toEqual([expected]);
  });
});

describe('two videos with the same file name', () => {
  test('get distinct files, and each keeps its own name on later runs', async () => {
    const write = writeActivities(newWorker()).writeOutput;
    const a = await write(request('/term1/lesson.mp4', 'A1'));
    const b = await write(request('/term2/lesson.mp4', 'B1'));
    expect(a.outputPath).toBe(path.join(out, 'summary_report', 'lesson.md'));
    expect(b.outputPath).toBe(path.join(out, 'summary_report', 'lesson_1.md'));
    expect(b.note).toBe('summary_report/lesson.md belongs to another video; wrote summary_report/lesson_1.md');

    // B again: its own lesson_1.md is replaced, A's file is untouched.
    const b2 = await write(request('/term2/lesson.mp4', 'B2'));
    expect(b2.outputPath).toBe(b.outputPath);
    expect(read(b.outputPath)).toBe('B2');
    expect(read(a.outputPath)).toBe('A1');

    // Even with A's note deleted, B does not take A's name (names stay stable between runs).
    fs.rmSync(a.outputPath);
    const b3 = await writeActivities(newWorker()).writeOutput(request('/term2/lesson.mp4', 'B3'));
    expect(b3.outputPath).toBe(b.outputPath);
    const a2 = await write(request('/term1/lesson.mp4', 'A2'));
    expect(a2.outputPath).toBe(a.outputPath);
  });

  test('a file the person made at that name, or a folder there, is never overwritten', async () => {
    fs.mkdirSync(path.join(out, 'summary_report', 'lesson.md'), { recursive: true });
    fs.writeFileSync(path.join(out, 'summary_report', 'lesson_1.md'), 'my own notes');
    const result = await writeActivities(newWorker()).writeOutput(request('/videos/lesson.mp4', 'generated'));
    expect(result.outputPath).toBe(path.join(out, 'summary_report', 'lesson_2.md'));
    expect(read(path.join(out, 'summary_report', 'lesson_1.md'))).toBe('my own notes');
  });
});

describe('running the same video again', () => {
  test('an unedited earlier output is replaced in place', async () => {
    const write = writeActivities(newWorker()).writeOutput;
    const first = await write(request('/videos/intro.mp4', 'v1'));
    const second = await writeActivities(newWorker()).writeOutput(request('/videos/intro.mp4', 'v2'));
    expect(second.outputPath).toBe(first.outputPath);
    expect(second.note).toBe('replaced the earlier version of summary_report/intro.md');
    expect(read(first.outputPath)).toBe('v2');
    expect(fs.readdirSync(path.dirname(first.outputPath))).toEqual(['intro.md']);
  });

  test('a file the person edited is kept; the new version goes beside it and the note says so', async () => {
    const first = await writeActivities(newWorker()).writeOutput(request('/videos/intro.mp4', 'v1'));
    fs.writeFileSync(first.outputPath, 'v1 with my changes');

    const second = await writeActivities(newWorker()).writeOutput(request('/videos/intro.mp4', 'v2'));
    const beside = path.join(out, 'summary_report', 'intro.regenerated.md');
    expect(second.outputPath).toBe(beside);
    expect(second.note).toBe(
      'summary_report/intro.md was edited since it was written, so it was kept; the new version is summary_report/intro.regenerated.md',
    );
    expect(read(first.outputPath)).toBe('v1 with my changes');
    expect(read(beside)).toBe('v2');

    // The next run replaces the (unedited) regenerated copy, still leaving the person's file alone.
    const third = await writeActivities(newWorker()).writeOutput(request('/videos/intro.mp4', 'v3'));
    expect(third.outputPath).toBe(beside);
    expect(read(beside)).toBe('v3');

    // Edited that one too? Then neither is touched.
    fs.writeFileSync(beside, 'v3 with more changes');
    const fourth = await writeActivities(newWorker()).writeOutput(request('/videos/intro.mp4', 'v4'));
    expect(fourth.outputPath).toBe(path.join(out, 'summary_report', 'intro.regenerated_1.md'));
    expect(read(beside)).toBe('v3 with more changes');
    expect(read(first.outputPath)).toBe('v1 with my changes');
  });
});

describe('retries are idempotent', () => {
  test('writing the same document again gives the same path and no second manifest entry', async () => {
    const ctx = newWorker();
    const req = request('/videos/intro.mp4', 'v1');
    const first = await writeActivities(ctx).writeOutput(req);
    const again = await writeActivities(ctx).writeOutput(req);
    const elsewhere = await writeActivities(newWorker()).writeOutput(req); // the retry ran on another worker
    expect(again).toEqual(first);
    expect(elsewhere).toEqual(first);
    expect(manifestLines()).toHaveLength(1);
    expect(fs.readdirSync(path.join(out, 'summary_report'))).toEqual(['intro.md']);
  });

  test('a crash between the rename and the manifest append is completed by the retry (one entry)', async () => {
    const req = request('/videos/intro.mp4', 'v1');
    fs.mkdirSync(path.join(out, 'summary_report'), { recursive: true });
    fs.copyFileSync(req.draftPath, path.join(out, 'summary_report', 'intro.md'));
    const result = await writeActivities(newWorker()).writeOutput(req);
    expect(result.outputPath).toBe(path.join(out, 'summary_report', 'intro.md'));
    expect(manifestLines()).toHaveLength(1);
  });

  test('a retry after writing beside an edited file returns the same path and note, adding nothing', async () => {
    const first = await writeActivities(newWorker()).writeOutput(request('/videos/intro.mp4', 'v1'));
    fs.writeFileSync(first.outputPath, 'edited');
    const req = request('/videos/intro.mp4', 'v2');
    const written = await writeActivities(newWorker()).writeOutput(req);
    const entries = manifestLines().length;
    const retried = await writeActivities(newWorker()).writeOutput(req);
    expect(retried).toEqual(written);
    expect(manifestLines()).toHaveLength(entries);
    expect(fs.readdirSync(path.join(out, 'summary_report')).sort()).toEqual(['intro.md', 'intro.regenerated.md']);
  });
});

test('a read-only output folder fails with OutputWriteFailed, not retried, naming the folder', async () => {
  const req = request('/videos/intro.mp4', 'v1');
  fs.mkdirSync(out);
  fs.chmodSync(out, 0o555);
  // Permission bits do not stop root (CI runs as root), so the file system's refusal is made
  // explicit for writes inside the folder: the same EACCES a normal user gets.
  const realOpen = fsp.open.bind(fsp);
  const spy = jest.spyOn(fsp, 'open').mockImplementation(async (file, flags, mode) => {
    if (String(file).startsWith(out + path.sep) && flags === 'w') {
      throw Object.assign(new Error(`EACCES: permission denied, open '${String(file)}'`), { code: 'EACCES' });
    }
    return realOpen(file, flags, mode);
  });
  const realMkdir = fsp.mkdir.bind(fsp);
  const mkdirSpy = jest.spyOn(fsp, 'mkdir').mockImplementation(async (dir, options) => {
    if (String(dir).startsWith(out + path.sep)) {
      throw Object.assign(new Error(`EACCES: permission denied, mkdir '${String(dir)}'`), { code: 'EACCES' });
    }
    return realMkdir(dir, options);
  });
  try {
    const err = await writeActivities(newWorker())
      .writeOutput(req)
      .then(
        () => undefined,
        (e: unknown) => e as ApplicationFailure,
      );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: FailureType.OutputWriteFailed, nonRetryable: true });
    expect(err?.message).toContain(`output folder ${out}`);
    expect(err?.message).toMatch(/EACCES|permission denied/i);
  } finally {
    spy.mockRestore();
    mkdirSpy.mockRestore();
  }
  expect(fs.readdirSync(out)).toEqual([]);
});
