import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  batchInput,
  historiesText,
  makeVideoFolder,
  tempDir,
  testKeys,
  uniqueId,
  useWorkerRig,
} from '../support/harness';

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
});
