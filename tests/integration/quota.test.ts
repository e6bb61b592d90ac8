import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import type { ApiKey } from '../../src/config';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import type { RequestLogEntry } from '../../standin/types';
import type { BatchSummary, ProcessingOptions } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import { videoStatusQuery } from '../../src/workflows/definitions';
import { keyPoolWorkflowId } from '../../src/workflows/ids';
import { minuteUsageQuery } from '../../src/workflows/key-pool-workflow';
import { FailureType } from '../../src/failures';
import { startStackWorker } from '../support/stack';
import {
  batchInput,
  connectTestClient,
  historiesThatDoNotReplay,
  timelineLabels,
  waitFor,
  makeVideoFolder,
  tempDir,
  temporalAddress,
  uniqueId,
  type RunningWorker,
} from '../support/harness';
import { runCli } from '../support/run-cli';
import { renderSummary } from '../../src/cli/progress';
import { stretchedSample } from '../../bench/support/stretched-video';

const model = 'gemini-2.5-flash';
/** A short quota "minute" for the stand-in and the ledger alike, so the test waits seconds, not minutes. */
const minuteMs = 10_000;

/** Largest sum of input tokens a project sent in any sliding minute, as the stand-in counted them. */
function peakMinuteTokens(calls: RequestLogEntry[], project: string): number {
  const ok = calls.filter((e) => e.project === project && e.promptTokens !== undefined);
  let peak = 0;
  for (const end of ok) {
    const at = end.admittedAt ?? end.at;
    const sum = ok
      .filter((e) => (e.admittedAt ?? e.at) > at - minuteMs && (e.admittedAt ?? e.at) <= at)
      .reduce((s, e) => s + (e.promptTokens ?? 0), 0);
    peak = Math.max(peak, sum);
  }
  return peak;
}

describe('quotas per project: tokens per minute booked before the call', () => {
  let client: Client;
  let connection: Connection;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    ({ client, connection } = await connectTestClient());
  });
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await connection?.close();
  });

  /** Two keys of project "lab" sharing `tpm` for `forModel`; the worker and the stand-in know the project. */
  async function setup(
    tpm: number,
    forModel = model,
  ): Promise<{ standin: GeminiStandin; taskQueue: string; keys: ApiKey[] }> {
    const limits = { [forModel]: { tpm } };
    const keys: ApiKey[] = ['lab-1', 'lab-2'].map((alias) => ({
      alias,
      envVar: `KEY_${alias}`,
      value: `value-${alias}-0123456789`,
      project: 'lab',
      limits,
    }));
    const standin = await startGeminiStandin({
      processingMs: 20,
      minuteMs,
      keys: keys.map((k) => ({ name: k.alias, value: k.value, project: 'lab' })),
      projectLimits: { lab: limits },
    });
    const taskQueue = uniqueId('quota');
    const worker: RunningWorker = await startStackWorker(temporalAddress(), standin.url, {
      taskQueue,
      keys,
      quotaMinuteMs: minuteMs,
    });
    cleanups.push(async () => {
      await worker.shutdown();
      await standin.close();
    });
    return { standin, taskQueue, keys };
  }

  const options = {
    models: [model],
    tokenLimitedModels: { 'lab-1': [model], 'lab-2': [model] },
    keyProjects: { 'lab-1': 'lab', 'lab-2': 'lab' },
  };

  /** Starts a batch of these folders over the lab's two keys; `result` is its summary. */
  function startLabBatch(
    taskQueue: string,
    batchId: string,
    folders: string[],
    concurrency: number,
    processing: Partial<ProcessingOptions> = options,
  ): Promise<BatchSummary> {
    return client.workflow.execute(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [batchInput(batchId, folders, tempDir('out'), { concurrency, keyAliases: ['lab-1', 'lab-2'] }, processing)],
    }) as Promise<BatchSummary>;
  }

  test("two keys of one project share its minute: no 429s, the project's tpm holds, keys status shows the project", async () => {
    // A 12 s sample is about 3,500 video tokens plus 2,400 of prompt and schema: two fit in the minute.
    const tpm = 12_000;
    const { standin, taskQueue } = await setup(tpm);
    const batchId = uniqueId('shared');
    const summary: BatchSummary = await startLabBatch(taskQueue, batchId, [makeVideoFolder(5)], 5, options);
    expect(summary).toMatchObject({ total: 5, succeeded: 5, failed: 0 });
    // The summary says what went through each key and each project.
    expect(summary.projects).toEqual([
      expect.objectContaining({
        project: 'lab',
        keys: ['lab-1', 'lab-2'],
        videos: 5,
        promptTokens: expect.any(Number),
      }),
    ]);
    expect(summary.keys?.map((k) => k.project)).toEqual(['lab', 'lab']);
    expect(renderSummary(summary)).toMatch(/by project: lab \[lab-1, lab-2\] 5 videos/);
    expect(fs.readFileSync(summary.reportPath!, 'utf8')).toMatch(/\| project lab \(lab-1, lab-2\) \| 5 \|/);
    const calls = standin.stats().log.filter((e) => e.route === 'generate');
    // Booked ahead, nothing was refused; the project's minute was never overfilled by its two keys together.
    expect(calls.filter((e) => e.status === 429)).toEqual([]);
    expect(new Set(calls.map((e) => e.key))).toEqual(new Set(['lab-1', 'lab-2']));
    expect(peakMinuteTokens(calls, 'lab')).toBeLessThanOrEqual(tpm);
    // Five videos of ~6,000 tokens under 12,000 a minute cannot all go at once: some waited.
    const times = calls.map((e) => e.admittedAt ?? e.at).sort((a, b) => a - b);
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(minuteMs);

    const pool = client.workflow.getHandle(keyPoolWorkflowId(taskQueue));
    const minute = await pool.query(minuteUsageQuery);
    expect(minute).toEqual([expect.objectContaining({ project: 'lab', model })]);
    // Each call settled its booking with the tokens it really sent.
    const poolHistory = await pool.fetchHistory();
    const settled = (poolHistory.events ?? [])
      .map((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data)
      .filter((data): data is Uint8Array => !!data)
      .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as { type: string; tokens: number })
      .filter((event) => event.type === 'settle');
    expect(settled).toHaveLength(5);
    for (const s of settled) expect(s.tokens).toBeGreaterThan(0);
    // The Web UI's timeline says what each call booked and why a video waited.
    const labels = await timelineLabels(client, `${batchId}/`);
    expect(labels).toEqual(expect.arrayContaining([expect.stringMatching(/^book the input tokens of the call to/)]));
    expect(labels).toEqual(
      expect.arrayContaining([expect.stringMatching(/^wait \d+ s: project lab has no room for \d+ more input tokens/)]),
    );
    // The new commands replay: the videos, the batch and the key pool with its bookings.
    await waitFor(
      async () => (await historiesThatDoNotReplay(client, `BatchId = "${batchId}"`)).replayed >= 5,
      30_000,
      'videos visible',
    );
    const replay = await historiesThatDoNotReplay(
      client,
      `WorkflowId = "${batchId}" OR BatchId = "${batchId}" OR WorkflowId = "${keyPoolWorkflowId(taskQueue)}"`,
    );
    expect(replay.failures).toEqual([]);
    expect(replay.replayed).toBeGreaterThanOrEqual(7);

    // keys status reads the same pool: the project, its keys, and usage per project and per key.
    const dir = tempDir('cfg');
    const config = path.join(dir, 'lesson-forge.config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        keys: [
          { name: 'lab-1', env: 'KEY_LAB_1', project: 'lab', limits: { [model]: { tpm } } },
          { name: 'lab-2', env: 'KEY_LAB_2', project: 'lab' },
        ],
      }),
    );
    const saved = {
      address: process.env.TEMPORAL_ADDRESS,
      queue: process.env.TEMPORAL_TASK_QUEUE,
      config: process.env.LESSON_FORGE_CONFIG,
    };
    process.env.TEMPORAL_ADDRESS = temporalAddress();
    process.env.TEMPORAL_TASK_QUEUE = taskQueue;
    process.env.LESSON_FORGE_CONFIG = config;
    try {
      const json = await runCli('keys', 'status', '--json');
      expect(json.code).toBe(0);
      const status = JSON.parse(json.stdout);
      expect(status.projects).toEqual([
        expect.objectContaining({
          project: 'lab',
          keys: ['lab-1', 'lab-2'],
          limits: { [model]: { tpm } },
          today: { [model]: { requests: 5, tokens: expect.any(Number) } },
        }),
      ]);
      expect(status.pool.keys['lab-1']).toMatchObject({ project: 'lab', status: 'active' });
      const human = await runCli('keys', 'status');
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/Projects[\s\S]*lab\s+lab-1, lab-2\s+gemini-2\.5-flash: 5 req/);
      expect(human.stdout).toMatch(/lab-1\s+lab\s+active/);
      expect(human.stdout).not.toContain('value-lab-1');
    } finally {
      process.env.TEMPORAL_ADDRESS = saved.address;
      process.env.TEMPORAL_TASK_QUEUE = saved.queue;
      if (saved.config === undefined) delete process.env.LESSON_FORGE_CONFIG;
      else process.env.LESSON_FORGE_CONFIG = saved.config;
    }
  });

  test('a video above the whole minute goes at low resolution where that saves tokens, else it is refused', async () => {
    // At the default resolution (~290 tokens/s) the 12 s sample and its prompt (~5,900 tokens) do
    // not fit in 5,000 tokens a minute; at low (~98 tokens/s, ~3,600 in all) they do.
    const { standin, taskQueue } = await setup(5_000);
    const lowId = uniqueId('low');
    const low: BatchSummary = await startLabBatch(taskQueue, lowId, [makeVideoFolder(1)], 1, options);
    expect(low).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
    const sent = standin.stats().log.filter((e) => e.route === 'generate' && e.status === 200);
    expect(sent).toHaveLength(1);
    expect(sent[0].promptTokens).toBeLessThanOrEqual(5_000);

    // Forced to the default resolution, it cannot fit: refused for good, with what to do.
    const refusedId = uniqueId('refused');
    const refused: BatchSummary = await startLabBatch(taskQueue, refusedId, [makeVideoFolder(1)], 1, {
      ...options,
      mediaResolution: 'default',
    });
    expect(refused).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
    expect(refused.failures[0]).toMatchObject({
      errorType: FailureType.OverTokenBudget,
      reason: expect.stringMatching(/more than the 5000 tokens per minute of project "lab".*Raise the tpm limit/),
    });
    expect(standin.stats().log.filter((e) => e.route === 'generate')).toHaveLength(1);
  });

  describe('a video above the whole minute, on a model where low resolution saves nothing', () => {
    /** Gemini 3 models cost 70 tokens a frame at low and default alike (102 tokens a second with the sound). */
    const flash38 = 'gemini-3.8-flash';
    const clipOptions = {
      models: [flash38],
      tokenLimitedModels: { 'lab-1': [flash38], 'lab-2': [flash38] },
      keyProjects: { 'lab-1': 'lab', 'lab-2': 'lab' },
    };
    /** A folder with one lesson of `seconds` (the sample stretched: inspect and the stand-in both see that length). */
    function lessonOf(seconds: number): string {
      const dir = tempDir('long-lesson');
      fs.writeFileSync(path.join(dir, 'long-lesson.mp4'), stretchedSample(seconds));
      return dir;
    }

    test('goes in clips, each booked in a minute with room for it: no 429, every minute within tpm, one merged note', async () => {
      // 180 s × 102 = 18,360 video tokens and ~2,400 of prompt: far above 12,000 a minute. Clips of
      // 60 s (~8,500 each) fit one at a time, so the three go a (short) minute apart.
      const tpm = 12_000;
      const { standin, taskQueue } = await setup(tpm, flash38);
      const batchId = uniqueId('clips');
      const output = tempDir('out');
      const batch = await client.workflow.start(BatchWorkflow, {
        workflowId: batchId,
        taskQueue,
        args: [
          batchInput(batchId, [lessonOf(180)], output, { concurrency: 1, keyAliases: ['lab-1', 'lab-2'] }, clipOptions),
        ],
      });
      // While its clips go, the video's details say how many and over how long.
      const notes = new Set<string>();
      await waitFor(
        async () => {
          for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${batchId}/"` })) {
            const note = (
              await client.workflow
                .getHandle(wf.workflowId)
                .query(videoStatusQuery)
                .catch(() => undefined)
            )?.note;
            if (note) notes.add(note);
          }
          return [...notes].some((n) =>
            /^In 3 clips booked over \d+ s: .*project lab's 12000 tokens per minute/.test(n),
          );
        },
        30_000,
        'the note on the clips',
      );
      const summary = (await batch.result()) as BatchSummary;
      expect(summary).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
      const calls = standin.stats().log.filter((e) => e.route === 'generate');
      expect(calls.filter((e) => e.status === 429)).toEqual([]);
      const sent = calls.filter((e) => e.status === 200 && e.mediaParts === 1);
      expect(sent).toHaveLength(3);
      for (const call of sent) expect(call.promptTokens).toBeLessThan(tpm * 0.97);
      // The stand-in's own count: no sliding minute of the project held more than its tpm.
      expect(peakMinuteTokens(calls, 'lab')).toBeLessThanOrEqual(tpm);
      const times = sent.map((e) => e.admittedAt ?? e.at).sort((a, b) => a - b);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(minuteMs);
      expect(times[2] - times[1]).toBeGreaterThanOrEqual(minuteMs);
      // One note, merged from the three answers, that says it was made in clips.
      expect(summary.outputs).toHaveLength(1);
      expect(fs.readFileSync(summary.outputs[0], 'utf8')).toMatch(/analysed_in: clips/);

      // Every clip settled its own booking with what it really sent, and nothing waits in the pool.
      const pool = client.workflow.getHandle(keyPoolWorkflowId(taskQueue));
      const minute = await pool.query(minuteUsageQuery);
      expect(minute).toEqual([expect.objectContaining({ project: 'lab', model: flash38, waiting: 0, booked: 0 })]);
      const poolHistory = await pool.fetchHistory();
      const settled = (poolHistory.events ?? [])
        .map((e) => e.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0]?.data)
        .filter((data): data is Uint8Array => !!data)
        .map((data) => JSON.parse(Buffer.from(data).toString('utf8')) as { type: string; id: string; tokens: number })
        .filter((event) => event.type === 'settle');
      expect(settled.map((e) => e.id.replace(/^.*#/, '#'))).toEqual(['#clip1', '#clip2', '#clip3']);
      expect(settled.map((e) => e.tokens).sort()).toEqual(sent.map((e) => e.promptTokens).sort());
      // The Web UI says the video goes in clips.
      const labels = await timelineLabels(client, `${batchId}/`);
      expect(labels).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^analyze .* in 3 clips booked one by one in the project's minute/),
        ]),
      );
      // The new commands replay.
      await waitFor(
        async () => (await historiesThatDoNotReplay(client, `BatchId = "${batchId}"`)).replayed >= 1,
        30_000,
        'video visible',
      );
      const replay = await historiesThatDoNotReplay(client, `WorkflowId = "${batchId}" OR BatchId = "${batchId}"`);
      expect(replay.failures).toEqual([]);
    });

    test('an attempt that fails between clips is retried without asking again for the clips already answered', async () => {
      const tpm = 12_000;
      const { standin, taskQueue } = await setup(tpm, flash38);
      const batchId = uniqueId('clips-retry');
      const run = startLabBatch(taskQueue, batchId, [lessonOf(180)], 1, clipOptions);
      const answered = () => standin.stats().log.filter((e) => e.route === 'generate' && e.status === 200);
      // Once the first clip is answered, the second fails (a server error: the attempt is retried).
      await waitFor(() => answered().length >= 1, 60_000, 'the first clip answered');
      standin.addFault({
        route: 'generate',
        match: { withVideo: true },
        times: 1,
        action: { type: 'http', status: 500 },
      });
      const summary: BatchSummary = await run;
      expect(summary).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
      const calls = standin.stats().log.filter((e) => e.route === 'generate');
      // Three clips answered, each once: the retry reused the stored first answer and asked for the other two.
      expect(calls.filter((e) => e.status === 500)).toHaveLength(1);
      expect(answered()).toHaveLength(3);
      // The clips left kept their spacing after the retry: still no 429 and no overfilled minute.
      expect(calls.filter((e) => e.status === 429)).toEqual([]);
      expect(peakMinuteTokens(calls, 'lab')).toBeLessThanOrEqual(tpm);
      const minute = await client.workflow.getHandle(keyPoolWorkflowId(taskQueue)).query(minuteUsageQuery);
      expect(minute).toEqual([expect.objectContaining({ waiting: 0, booked: 0 })]);
    });

    test('a minute too small for even a short clip fails the video at once, naming the project and what to change', async () => {
      // 2,400 tokens of prompt and 30 s of video (3,060) are more than 90 % of 4,000 × 97 %.
      const { standin, taskQueue } = await setup(4_000, flash38);
      const batchId = uniqueId('too-small');
      const summary: BatchSummary = await startLabBatch(taskQueue, batchId, [lessonOf(180)], 1, clipOptions);
      expect(summary).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
      expect(summary.failures[0]).toMatchObject({
        errorType: FailureType.OverTokenBudget,
        reason: expect.stringMatching(
          /more than the 4000 tokens per minute of project "lab".*even a clip of 30 s needs about \d+.*low resolution saves no tokens on gemini-3\.8-flash.*Raise the tpm limit/,
        ),
      });
      expect(standin.stats().log.filter((e) => e.route === 'generate')).toHaveLength(0);
    });
  });
});
