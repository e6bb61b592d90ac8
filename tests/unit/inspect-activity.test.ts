import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ActivityContext } from '../../src/activities/context';
import { inspectActivities } from '../../src/activities/inspect';
import { writeActivities } from '../../src/activities/write';
import type { ModelCatalog } from '../../src/gemini/catalog';
import type { GeminiGateway } from '../../src/gemini/gateway';
import type { ProcessingOptions, VideoFacts, VideoItem } from '../../src/types';
import { processingOptions } from '../support/processing-options';

/**
 * inspectVideo on real sample videos, inside Temporal's mock activity context (it heartbeats while
 * hashing), against outputs written by the real write activity: skip what is up to date, unless forced.
 */

const samples = path.resolve(__dirname, '..', '..', 'samples');
const newWorker = () => new ActivityContext({ gemini: {} as GeminiGateway, catalog: {} as ModelCatalog });

let root: string;
let video: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-inspect-'));
  video = path.join(root, 'videos', 'stage lighting.mp4');
  fs.mkdirSync(path.dirname(video));
  fs.copyFileSync(path.join(samples, 'stage-lighting-basics.mp4'), video);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function options(over: Partial<ProcessingOptions> = {}): ProcessingOptions {
  return processingOptions(path.join(root, 'out'), {
    template: 'summary_report',
    models: ['gemini-3.5-flash', 'gemini-3.5-flash-lite'],
    ...over,
  });
}

const item = (): VideoItem => ({
  key: 'stage-lighting-1',
  title: 'Stage lighting',
  source: { kind: 'file', path: video },
});

async function inspect(ctx: ActivityContext, opts: ProcessingOptions): Promise<VideoFacts> {
  return new MockActivityEnvironment().run(inspectActivities(ctx).inspectVideo, { item: item(), options: opts });
}

/** Writes a note for the video as a finished run would, with `model`. */
async function finishRun(
  ctx: ActivityContext,
  facts: VideoFacts,
  opts: ProcessingOptions,
  model: string,
): Promise<string> {
  const draftPath = path.join(root, `draft-${model}.md`);
  fs.writeFileSync(draftPath, `note by ${model}\n`);
  return (await writeActivities(ctx).writeOutput({ item: item(), facts, draftPath, options: opts, model })).outputPath;
}

test('the first run is not up to date; the facts come from the file itself', async () => {
  const facts = await inspect(newWorker(), options());
  expect(facts).toMatchObject({
    title: 'Stage lighting',
    source: video,
    mimeType: 'video/mp4',
    sizeBytes: fs.statSync(video).size,
  });
  expect(facts.contentHash).toMatch(/^[0-9a-f]{64}$/);
  expect(facts.durationSeconds).toBeGreaterThan(0);
  expect(facts.upToDate).toBeUndefined();
});

test('the same video, template, version and model again is up to date, unless forced', async () => {
  const ctx = newWorker();
  const opts = options();
  const outputPath = await finishRun(ctx, await inspect(ctx, opts), opts, 'gemini-3.5-flash-lite'); // a fallback model of the chain

  expect((await inspect(ctx, opts)).upToDate).toEqual({ outputPath });
  expect((await inspect(newWorker(), opts)).upToDate).toEqual({ outputPath }); // known from the manifest on disk
  expect((await inspect(ctx, options({ force: true }))).upToDate).toBeUndefined();
});

test('another template, another model, or changed content is not up to date', async () => {
  const ctx = newWorker();
  const opts = options();
  await finishRun(ctx, await inspect(ctx, opts), opts, 'gemini-3.5-flash');

  expect((await inspect(ctx, options({ template: 'quiz' }))).upToDate).toBeUndefined();
  expect((await inspect(ctx, options({ models: ['gemini-3.5-pro'] }))).upToDate).toBeUndefined();
  fs.copyFileSync(path.join(samples, 'color-theory-intro.mp4'), video); // same path, new recording
  expect((await inspect(ctx, opts)).upToDate).toBeUndefined();
});

test('a new version of the template is not up to date', async () => {
  const ctx = newWorker();
  await finishRun(ctx, await inspect(ctx, options()), options(), 'gemini-3.5-flash');

  // A user copy of summary_report with a higher version replaces the built-in one.
  const userDir = path.join(root, 'templates');
  fs.cpSync(path.join(__dirname, '..', '..', 'templates', 'summary_report'), path.join(userDir, 'summary_report'), {
    recursive: true,
  });
  const manifestFile = path.join(userDir, 'summary_report', 'manifest.json');
  fs.writeFileSync(
    manifestFile,
    JSON.stringify({ ...JSON.parse(fs.readFileSync(manifestFile, 'utf8')), version: '1.1.0' }),
  );
  // Jest's module loader bypasses the loader's zod fallback (which tsx uses); give the copy a zod to find.
  fs.symlinkSync(path.join(__dirname, '..', '..', 'node_modules'), path.join(userDir, 'node_modules'));
  expect(ctx.templates([userDir]).get('summary_report').manifest.version).toBe('1.1.0');
  expect((await inspect(ctx, options({ templateDirs: [userDir] }))).upToDate).toBeUndefined();
});

test('an output the person deleted is made again; an edited one still counts as done', async () => {
  const ctx = newWorker();
  const opts = options();
  const outputPath = await finishRun(ctx, await inspect(ctx, opts), opts, 'gemini-3.5-flash');

  fs.writeFileSync(outputPath, 'my edits');
  expect((await inspect(ctx, opts)).upToDate).toEqual({ outputPath });
  fs.rmSync(outputPath);
  expect((await inspect(ctx, opts)).upToDate).toBeUndefined();
});
