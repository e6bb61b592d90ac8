import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  batchInput,
  historiesText,
  makeVideoFolder,
  samplesDir,
  tempDir,
  testKeys,
  uniqueId,
  useWorkerRig,
} from '../support/harness';
import { resetToFirstWorkflowTask } from '../../src/temporal/reset';
import type { VideoOutcome } from '../../src/types';
import { videoWorkflowId } from '../../src/workflows/ids';

/** Real Temporal dev server, real worker, real @google/genai SDK over HTTP to the stand-in. */
describe('a batch end to end', () => {
  const keyValue = `AIzaFAKE-${uniqueId('key')}-do-not-leak`;
  const rig = useWorkerRig('batch-e2e', { processingMs: 50 }, testKeys(keyValue));

  function frontmatterOf(file: string): Record<string, unknown> {
    const text = fs.readFileSync(file, 'utf8');
    const match = /^---\n([\s\S]*?)\n---\n/.exec(text);
    if (!match) throw new Error(`${file} has no frontmatter`);
    return parseYaml(match[1]) as Record<string, unknown>;
  }

  test('several real videos become one Markdown file each; each uploaded once and analysed once', async () => {
    const videos = makeVideoFolder(5, {
      'notes.txt': 'not a video',
      'cover.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    });
    const output = tempDir('out');
    const batchId = uniqueId('five');
    const summary = await rig.runBatch(batchInput(batchId, [videos], output));

    expect(summary.total).toBe(5);
    expect(summary.succeeded).toBe(5);
    expect(summary.failed).toBe(0);
    expect(summary.notVideos.map((n) => path.basename(n.entry)).sort()).toEqual(['cover.png', 'notes.txt']);
    expect(summary.usage.totalTokens).toBeGreaterThan(0);
    expect(summary.outputs).toHaveLength(5);

    const files = fs
      .readdirSync(path.join(output, 'comprehensive_lesson'))
      .filter((f) => f.endsWith('.md'))
      .sort();
    expect(files).toEqual(['lesson-01.md', 'lesson-02.md', 'lesson-03.md', 'lesson-04.md', 'lesson-05.md']);
    for (const file of files) {
      const fm = frontmatterOf(path.join(output, 'comprehensive_lesson', file));
      expect(fm.title).toEqual(expect.any(String));
      expect(String(fm.source)).toContain(path.join(videos, file.replace('.md', '')));
      expect(fm.template).toBe('comprehensive_lesson');
      expect(fm.model).toBe('gemini-3.8-flash');
      expect(fm.created).toEqual(expect.any(String));
      expect(fm.tokens).toBeTruthy();
    }

    const stats = rig.standin.stats();
    const perVideo = Object.values(stats.byVideo);
    expect(perVideo).toHaveLength(5);
    for (const v of perVideo) {
      expect(v.uploadsCompleted).toBe(1);
      expect(v.generateCalls).toBe(1);
      expect(v.generateSucceeded).toBe(1);
      expect(v.deletes).toBe(1);
    }

    // Inspect, format, write, clean-up and the report entry run as local activities, inside workflow
    // tasks: a video's history schedules only its upload and its analysis through the server, and
    // each local step still carries its label for the Web UI's timeline.
    const batchEvents = (await rig.client.workflow.getHandle(batchId).fetchHistory()).events ?? [];
    const childId = batchEvents.find((e) => e.childWorkflowExecutionStartedEventAttributes)
      ?.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    const childEvents = (await rig.client.workflow.getHandle(childId!).fetchHistory()).events ?? [];
    const scheduled = childEvents
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    expect(scheduled).toEqual(['uploadVideo', 'analyzeVideo']);
    const localSteps = childEvents
      .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
      .map((e) => JSON.parse(Buffer.from(e.userMetadata?.summary?.data ?? '""').toString('utf8')) as string);
    expect(localSteps).toEqual([
      expect.stringMatching(/^inspect lesson-0\d\.mp4$/),
      expect.stringMatching(/^format the comprehensive_lesson note of lesson-0\d\.mp4$/),
      expect.stringMatching(/^write the comprehensive_lesson note of lesson-0\d\.mp4 into /),
      expect.stringMatching(/^delete the upload files\/\S+ of lesson-0\d\.mp4$/),
      expect.stringMatching(/^record succeeded: .* in the batch report$/),
    ]);

    // The batch starts the video as running; the video writes its own attributes once, at the end
    // (each write is a server round trip and a visibility update). Patches' TemporalChangeVersion aside.
    const ownWrites = childEvents
      .map((e) => e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields)
      .filter((fields) => fields && !('TemporalChangeVersion' in fields))
      .map((fields) => Object.keys(fields!).sort());
    expect(ownWrites).toEqual([['Model', 'VideoStatus']]);
    const described = await rig.client.workflow.getHandle(childId!).describe();
    expect(described.searchAttributes.VideoStatus).toEqual(['Succeeded']);
    expect(described.searchAttributes.Model).toEqual(['gemini-3.8-flash']);
  });

  test('a video whose analysis fails for good ends as failed with its reason; the others succeed', async () => {
    const videos = makeVideoFolder(3);
    const output = tempDir('out');
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-02' },
      action: { type: 'finish', reason: 'SAFETY' },
    });
    const batchId = uniqueId('one-bad');
    const summary = await rig.runBatch(batchInput(batchId, [videos], output));
    expect(summary.succeeded).toBe(2);
    expect(summary.failed).toBe(1);
    expect(summary.failures[0]).toMatchObject({
      title: expect.stringMatching(/lesson 02/i),
      errorType: 'GeminiContentBlocked',
    });
    expect(summary.failures[0].reason).toMatch(/SAFETY/);
    // not retried: a withheld answer stays withheld
    const bad = Object.entries(rig.standin.stats().byVideo).find(([name]) => name.includes('lesson-02'));
    expect(bad?.[1].generateCalls).toBe(1);
    expect(fs.existsSync(path.join(output, 'comprehensive_lesson', 'lesson-02.md'))).toBe(false);
    expect(fs.existsSync(path.join(output, 'comprehensive_lesson', 'lesson-01.md'))).toBe(true);
  });

  test('the API key value appears in no workflow history', async () => {
    const videos = makeVideoFolder(2);
    const output = tempDir('out');
    // An invalid-key answer is the likeliest place for a key to leak into an error message.
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-02' },
      action: { type: 'http', status: 400, kind: 'invalid-key' },
    });
    const batchId = uniqueId('secret');
    const summary = await rig.runBatch(batchInput(batchId, [videos], output));
    expect(summary.failures[0]?.errorType).toBe('GeminiInvalidApiKey');
    expect(summary.failures[0]?.reason).toContain('"default"');
    const text = await historiesText(rig.client, batchId);
    expect(text.length).toBeGreaterThan(1000);
    expect(text).toContain('lesson-01'); // the search does see decoded payloads
    expect(text).not.toContain(keyValue);
  });

  test('the same batch started again (same ids, as the same command the same day): a changed video and --force are asked about again, not answered from the earlier run', async () => {
    const videos = tempDir('videos');
    const video = path.join(videos, 'lesson.mp4');
    fs.copyFileSync(path.join(samplesDir, 'color-theory-intro.mp4'), video);
    const output = tempDir('out');
    const batchId = uniqueId('again');
    const calls = () =>
      Object.entries(rig.standin.stats().byVideo)
        .filter(([name]) => name.startsWith('lesson-'))
        .reduce((n, [, v]) => n + v.generateCalls, 0);
    const note = path.join(output, 'comprehensive_lesson', 'lesson.md');

    // With --force, so that the reset below is not skipped as up to date.
    const forcedFirst = batchInput(batchId, [videos], output, {}, { force: true });
    expect(await rig.runBatch(forcedFirst)).toMatchObject({ succeeded: 1 });
    expect(calls()).toBe(1);
    const first = frontmatterOf(note);

    // A Reset (the Web UI's button, retry-failed) runs the same chain again: the kept answer is
    // reused, and the note comes out the same.
    const [videoKey] = Object.keys(rig.standin.stats().byVideo).filter((name) => name.startsWith('lesson-'));
    const runId = await resetToFirstWorkflowTask(rig.client, {
      workflowId: videoWorkflowId(batchId, videoKey),
      reason: 'test: the same chain again',
    });
    const reset = (await rig.client.workflow
      .getHandle(videoWorkflowId(batchId, videoKey), runId)
      .result()) as VideoOutcome;
    expect(reset).toMatchObject({ status: 'succeeded', outputPath: note });
    expect(calls()).toBe(1);
    expect(frontmatterOf(note)).toEqual(first);

    // The person replaces the video: its note must be about the new content.
    fs.copyFileSync(path.join(samplesDir, 'stage-lighting-basics.mp4'), video);
    expect(await rig.runBatch(batchInput(batchId, [videos], output))).toMatchObject({ succeeded: 1 });
    expect(calls()).toBe(2);
    const second = frontmatterOf(note);
    expect(second.content_sha256).not.toBe(first.content_sha256);
    expect(second.created).not.toBe(first.created);

    // Up to date: skipped, nothing asked.
    expect(await rig.runBatch(batchInput(batchId, [videos], output))).toMatchObject({ skipped: 1 });
    expect(calls()).toBe(2);

    // --force: a new answer, not the one the earlier run kept in the work folder.
    const forced = await rig.runBatch(batchInput(batchId, [videos], output, {}, { force: true }));
    expect(forced).toMatchObject({ succeeded: 1 });
    expect(calls()).toBe(3);
    expect(frontmatterOf(note).created).not.toBe(second.created);
  });
});
