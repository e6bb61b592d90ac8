import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { FailureType } from '../../src/failures';
import type { AnalysisResult, VideoInput, VideoOutcome } from '../../src/types';
import { VideoWorkflow } from '../../src/workflows';
import { retryUpdate, skipSignal, skipUpdate, videoStatusQuery } from '../../src/workflows/definitions';
import {
  connectTestClient,
  processingOptions,
  quietRuntime,
  temporalAddress,
  uniqueId,
  waitFor,
  timelineLabels,
  videoOutcome,
  workflowBundle,
} from '../support/harness';

/** The activities a VideoWorkflow with one key and no batch calls: the mocks below stand in for them, typed alike. */
type VideoActivities = Pick<
  Activities,
  'inspectVideo' | 'uploadVideo' | 'analyzeVideo' | 'formatDocument' | 'writeOutput' | 'deleteUpload'
>;
type AnalyzeInput = Parameters<Activities['analyzeVideo']>[0];

const fail = (type: string, message: string, details?: unknown) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });

/**
 * VideoWorkflow's recovery rules as workflows on a real server, with typed mock activities and
 * short timers: each test scripts what the activities answer and checks what the workflow did.
 */
describe('VideoWorkflow recovery rules (mock activities)', () => {
  const taskQueue = uniqueId('video-recovery');
  let analyze: (input: AnalyzeInput) => Promise<AnalysisResult>;
  let upload: () => Promise<void>;
  const calls: string[] = [];
  let worker: Worker;
  let running: Promise<void>;
  let connection: NativeConnection;
  let client: Awaited<ReturnType<typeof connectTestClient>>;

  const activities: VideoActivities = {
    async inspectVideo({ item }) {
      calls.push('inspect');
      return { title: item.title, source: `/videos/${item.key}.mp4`, mimeType: 'video/mp4', contentHash: 'abc' };
    },
    async uploadVideo({ keyAlias }) {
      calls.push('upload');
      await upload();
      return { name: `files/${calls.length}`, uri: 'https://files/x', mimeType: 'video/mp4', keyAlias };
    },
    async analyzeVideo(input) {
      calls.push(`analyze ${input.model}`);
      return analyze(input);
    },
    async formatDocument() {
      calls.push('format');
      return { draftPath: '/tmp/draft.md', bytes: 10 };
    },
    async writeOutput() {
      calls.push('write');
      return { outputPath: '/out/lesson.md' };
    },
    async deleteUpload() {
      calls.push('delete');
    },
  };

  const analysed = (model: string): AnalysisResult => ({
    analysisPath: '/tmp/a.json',
    model,
    keyAlias: 'default',
    usage: { promptTokens: 10, outputTokens: 5, thoughtsTokens: 0, totalTokens: 15 },
    costUsd: 0.001,
    finishReason: 'STOP',
    truncated: false,
    mediaResolution: 'default',
    strategy: 'whole',
    maxOutputTokens: 8192,
  });

  beforeAll(async () => {
    quietRuntime();
    connection = await NativeConnection.connect({ address: temporalAddress() });
    worker = await Worker.create({ connection, taskQueue, workflowBundle: await workflowBundle(), activities });
    running = worker.run();
    client = await connectTestClient();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await client.connection.close();
  });
  beforeEach(() => {
    calls.length = 0;
    analyze = async ({ model }) => analysed(model);
    upload = async () => undefined;
  });

  function start(
    name: string,
    options: Parameters<typeof processingOptions>[1] = {},
  ): Promise<WorkflowHandle<typeof VideoWorkflow>> {
    const input: VideoInput = {
      item: { key: name, title: name, source: { kind: 'file', path: `/videos/${name}.mp4` } },
      options: processingOptions('/out', options),
      keyAliases: ['default'],
    };
    return client.client.workflow.start(VideoWorkflow, { workflowId: uniqueId(name), taskQueue, args: [input] });
  }

  const timersOf = async (handle: WorkflowHandle) =>
    ((await handle.fetchHistory()).events ?? []).filter((e) => e.timerStartedEventAttributes).length;

  const waitingFor = (handle: WorkflowHandle, what: string) =>
    waitFor(async () => (await handle.query(videoStatusQuery)).status === 'needs-attention', 30_000, what);

  test('a retired model gives way to the next model of the chain', async () => {
    analyze = async ({ model }) => {
      if (model === 'gemini-3.8-flash') throw fail(FailureType.ModelUnavailable, 'model retired');
      return analysed(model);
    };
    const outcome: VideoOutcome = await (await start('fallback')).result();
    expect(outcome).toMatchObject({ status: 'succeeded', model: 'gemini-3.5-flash-lite' });
    expect(calls).toEqual([
      'inspect',
      'upload',
      'analyze gemini-3.8-flash',
      'analyze gemini-3.5-flash-lite',
      'format',
      'write',
      'delete',
    ]);
  });

  test('an expired file is uploaded again, then analysed; twice at most', async () => {
    let expired = 1;
    analyze = async ({ model }) => {
      if (expired-- > 0) throw fail(FailureType.FileUnavailable, 'file gone');
      return analysed(model);
    };
    expect(await (await start('reupload')).result()).toMatchObject({ status: 'succeeded' });
    expect(calls.filter((c) => c === 'upload')).toHaveLength(2);

    calls.length = 0;
    analyze = async () => {
      throw fail(FailureType.FileUnavailable, 'file gone for good');
    };
    const outcome = await videoOutcome(await start('reupload-gives-up'));
    expect(outcome).toMatchObject({ status: 'failed', errorType: FailureType.FileUnavailable });
    expect(calls.filter((c) => c === 'upload')).toHaveLength(3); // the first upload and two more
  });

  test("the only key's daily quota: the video waits durably for the reset, then goes on with the same key", async () => {
    let quota = 1;
    analyze = async ({ model }) => {
      // A reset 59.5 s ago: the wait (until the reset and a minute more) is half a second, so one second.
      if (quota-- > 0)
        throw fail(FailureType.QuotaPerDay, 'daily quota', { resetAt: new Date(Date.now() - 59_500).toISOString() });
      return analysed(model);
    };
    const handle = await start('daily-quota');
    await waitFor(
      async () => (await handle.query(videoStatusQuery)).status === 'waiting-for-quota',
      20_000,
      'the quota wait',
    );
    expect(await handle.result()).toMatchObject({ status: 'succeeded', keyAlias: 'default' });
    expect(await timersOf(handle)).toBe(1);
  });

  test('with a grace period nobody uses, a failed re-upload waits for a person once, shown at step upload', async () => {
    let expired = 1;
    analyze = async ({ model }) => {
      if (expired-- > 0) throw fail(FailureType.FileUnavailable, 'file gone');
      return analysed(model);
    };
    let uploads = 0;
    upload = async () => {
      if (uploads++ > 0) throw fail(FailureType.VideoRejected, 'the file cannot be read any more');
    };
    const handle = await start('grace-expiry', { failureGraceSeconds: 2 });
    await waitingFor(handle, 'the failed re-upload to wait');
    const waiting = await handle.query(videoStatusQuery);
    expect(waiting).toMatchObject({ step: 'upload', attention: { step: 'upload', until: expect.any(String) } });
    expect(Date.parse(waiting.attention!.until!) - Date.parse(waiting.attention!.since)).toBe(2000);
    const outcome = await videoOutcome(handle);
    expect(outcome).toMatchObject({ status: 'failed', errorType: FailureType.VideoRejected });
    expect(await timersOf(handle)).toBe(1); // not a second wait labelled "analyze"
    const labels = await timelineLabels(client.client, handle.workflowId);
    expect(labels).toContainEqual(
      expect.stringMatching(/^waiting for retry or skip until \d\d:\d\d UTC \(upload failed\)$/),
    );
    expect(labels).toContain(`upload grace-expiry.mp4 with key default`);
  });

  test('a person retries a refused analysis with another model; the Update says what it did', async () => {
    analyze = async ({ model }) => {
      if (model === 'gemini-3.8-flash') throw fail(FailureType.ContentBlocked, 'blocked: SAFETY');
      return analysed(model);
    };
    const handle = await start('retry-model', { failureGraceSeconds: 600 });
    await waitingFor(handle, 'the refused analysis to wait');
    const answer = await handle.executeUpdate(retryUpdate, { args: [{ model: 'gemini-2.5-flash-lite' }] });
    expect(answer).toEqual({ accepted: true, message: 'retrying analyze with gemini-2.5-flash-lite' });
    expect(await handle.result()).toMatchObject({ status: 'succeeded', model: 'gemini-2.5-flash-lite' });
    // After the retry the step is analyze again, not the upload inside it.
    expect(calls).toEqual([
      'inspect',
      'upload',
      'analyze gemini-3.8-flash',
      'analyze gemini-2.5-flash-lite',
      'format',
      'write',
      'delete',
    ]);
  });

  test('skip and retry are refused while a video runs; a skip while it waits ends it as skipped', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    analyze = async ({ model }) => {
      await gate;
      if (first) {
        first = false;
        throw fail(FailureType.ContentBlocked, 'blocked: SAFETY');
      }
      return analysed(model);
    };
    const handle = await start('skip-running', { failureGraceSeconds: 600 });
    await waitFor(async () => calls.some((c) => c.startsWith('analyze')), 20_000, 'analysis to start');
    await expect(handle.executeUpdate(skipUpdate, { args: [{ reason: 'too early' }] })).rejects.toThrow(
      WorkflowUpdateFailedError,
    );
    const refusal = await handle
      .executeUpdate(retryUpdate, { args: [{}] })
      .catch((err: WorkflowUpdateFailedError) => err.cause?.message);
    expect(refusal).toMatch(/not waiting for a person \(step analyze, running\)/);
    await handle.signal(skipSignal, { reason: 'ignored while running' }); // the old signal: taken silently, forgotten when the wait begins
    release();
    await waitingFor(handle, 'the refused analysis to wait');
    expect(await handle.executeUpdate(skipUpdate, { args: [{ reason: 'not this term' }] })).toEqual({
      accepted: true,
      message: 'skipped: not this term',
    });
    expect(await handle.result()).toMatchObject({ status: 'skipped', reason: 'not this term' });
  });
});
