import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ApplicationFailure } from '@temporalio/common';
import { ActivityContext } from '../../src/activities/context';
import { formatActivities } from '../../src/activities/format';
import { writeActivities } from '../../src/activities/write';
import { FailureType } from '../../src/failures';
import { manifestPath } from '../../src/output/manifest';
import type { ModelCatalog } from '../../src/gemini/catalog';
import type { GeminiGateway } from '../../src/gemini/gateway';
import type { AnalysisResult, ProcessingOptions, VideoFacts, VideoItem } from '../../src/types';
import { processingOptions } from '../support/processing-options';

/** The format activity called directly: stored analysis → complete note, with the real built-in templates. */

const fixture = path.join(__dirname, 'fixtures', 'templates', 'summary_report.json');
const ctx = new ActivityContext({
  gemini: {} as GeminiGateway,
  catalog: {} as ModelCatalog,
  now: () => new Date('2026-11-22T05:30:00.000Z'),
});
const { formatDocument } = formatActivities(ctx);

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-format-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function options(templateParams: Record<string, string> = {}): ProcessingOptions {
  return processingOptions(path.join(root, 'out'), {
    template: 'summary_report',
    templateParams,
    models: ['gemini-3.5-flash'],
  });
}

function analysis(): AnalysisResult {
  const analysisPath = path.join(root, 'analysis.json');
  fs.writeFileSync(
    analysisPath,
    JSON.stringify({ analysedAt: '2026-11-21T18:00:00.000Z', data: JSON.parse(fs.readFileSync(fixture, 'utf8')) }),
  );
  return {
    analysisPath,
    model: 'gemini-3.5-flash',
    keyAlias: 'default',
    usage: { promptTokens: 1000, outputTokens: 200, thoughtsTokens: 0, totalTokens: 1200 },
    costUsd: 0.0123,
    finishReason: 'STOP',
    truncated: false,
    mediaResolution: 'default',
    strategy: 'whole',
    maxOutputTokens: 16384,
  };
}

const localVideo = '/home/teacher/Videos/Art class (2026)/perspective drawing.mp4';
const fileItem: VideoItem = {
  key: 'perspective-a1b2c3',
  title: 'Perspective drawing',
  source: { kind: 'file', path: localVideo },
};
const fileFacts: VideoFacts = {
  title: 'Perspective drawing',
  source: localVideo,
  mimeType: 'video/mp4',
  durationSeconds: 3300,
  contentHash: 'ab'.repeat(32),
};
const ytItem: VideoItem = {
  key: 'yt-dQw4w9WgXcQ',
  title: 'dQw4w9WgXcQ',
  source: { kind: 'youtube', url: 'https://youtu.be/dQw4w9WgXcQ', videoId: 'dQw4w9WgXcQ' },
};
const ytFacts: VideoFacts = {
  title: 'dQw4w9WgXcQ',
  source: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  mimeType: 'video/*',
  contentHash: 'youtube:dQw4w9WgXcQ',
};

async function format(item: VideoItem, facts: VideoFacts, params: Record<string, string> = {}) {
  const input = {
    workflowId: `batch/${item.key}`,
    item,
    facts,
    analysis: analysis(),
    options: options(params),
    usage: analysis().usage,
    costUsd: 0.0123,
  };
  const draft = await formatDocument(input);
  return { ...draft, input, markdown: fs.readFileSync(draft.draftPath, 'utf8') };
}

function frontmatter(markdown: string): Record<string, unknown> {
  const [, yaml] = /^---\n([\s\S]*?)\n---\n/.exec(markdown) ?? [];
  return YAML.parse(yaml) as Record<string, unknown>;
}

test('the draft is a complete note in the work folder, with Obsidian frontmatter', async () => {
  const { draftPath, bytes, markdown } = await format(fileItem, fileFacts);
  expect(draftPath.startsWith(path.join(root, 'out', '.lesson-forge', 'work'))).toBe(true);
  expect(bytes).toBe(Buffer.byteLength(markdown));
  expect(frontmatter(markdown)).toMatchObject({
    title: 'Perspective drawing',
    source: localVideo,
    source_kind: 'file',
    duration: 3300,
    template: 'summary_report',
    template_version: '1.0.0',
    model: 'gemini-3.5-flash',
    created: '2026-11-21T18:00:00.000Z', // when the answer came, not when the note was rendered
    tags: ['summary', 'lesson-forge'],
  });
  expect(markdown).toContain('# Perspective drawing: summary');
});

test('local timestamps link to file:///…#t=N (Media Extended), percent-encoded', async () => {
  const { markdown } = await format(fileItem, fileFacts);
  // 95 s in a 55-minute video: MM:SS labels; the path's spaces and parentheses are encoded.
  expect(markdown).toContain(
    '[01:35](file:///home/teacher/Videos/Art%20class%20%282026%29/perspective%20drawing.mp4#t=95)',
  );
});

test('YouTube timestamps link to watch?v=ID&t=Ns', async () => {
  const { markdown } = await format(ytItem, ytFacts);
  expect(markdown).toContain('(https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=540s)');
  expect(frontmatter(markdown)).toMatchObject({
    source_kind: 'youtube',
    source: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  });
});

test('--param values reach the rendered document (defaults otherwise)', async () => {
  const withFocus = await format(fileItem, fileFacts, {
    focus_areas: 'vanishing points, common mistakes',
    max_length: '150',
  });
  expect(withFocus.markdown).toContain('> **Focus:** vanishing points, common mistakes');
  const withDefaults = await format(fileItem, fileFacts);
  expect(withDefaults.markdown).not.toContain('**Focus:**'); // the default focus list is empty
});

test.each([
  ['an undeclared parameter', { tone: 'formal' }, /no parameter "tone".*It accepts: max_length, focus_areas/],
  ['a value out of range', { max_length: '5' }, /"max_length" got "5", but it must be a whole number from 50 to 2000/],
])('%s is a TemplateError that is not retried', async (_why, params, message) => {
  const failure = await format(fileItem, fileFacts, params).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: FailureType.TemplateError, nonRetryable: true });
  expect((failure as Error).message).toMatch(message);
});

test('format then write: the note on disk is exactly the draft', async () => {
  const { draftPath, input, markdown } = await format(fileItem, fileFacts, { focus_areas: 'colour' });
  const written = await writeActivities(ctx).writeOutput({
    item: fileItem,
    facts: fileFacts,
    draftPath,
    options: input.options,
    model: 'gemini-3.5-flash',
  });
  expect(written.outputPath).toBe(path.join(root, 'out', 'summary_report', 'perspective drawing.md'));
  expect(fs.readFileSync(written.outputPath, 'utf8')).toBe(markdown);
});

test('format and write run again after a crash (local activities) leave one note, under the same name', async () => {
  // The first worker renamed the note into place and died before recording it in the manifest:
  // on the next worker, with a later clock, the workflow runs both local activities again.
  const first = await format(fileItem, fileFacts);
  const write = (draftPath: string, worker: ActivityContext) =>
    writeActivities(worker).writeOutput({
      item: fileItem,
      facts: fileFacts,
      draftPath,
      options: first.input.options,
      model: 'gemini-3.5-flash',
    });
  const written = await write(first.draftPath, ctx);
  fs.rmSync(manifestPath(path.join(root, 'out')));
  const later = new ActivityContext({
    gemini: {} as GeminiGateway,
    catalog: {} as ModelCatalog,
    now: () => new Date('2026-11-23T09:00:00.000Z'),
  });
  const again = await formatActivities(later).formatDocument(first.input);
  expect(fs.readFileSync(again.draftPath, 'utf8')).toBe(first.markdown);
  const rewritten = await write(again.draftPath, later);
  expect(rewritten).toEqual(written);
  expect(fs.readdirSync(path.join(root, 'out', 'summary_report'))).toEqual(['perspective drawing.md']);
  expect(
    fs
      .readFileSync(manifestPath(path.join(root, 'out')), 'utf8')
      .trim()
      .split('\n'),
  ).toHaveLength(1);
});
