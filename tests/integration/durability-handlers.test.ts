import fs from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { BatchProgress, BatchSummary } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import { cancelBatchSignal, progressQuery, retrySignal, skipSignal } from '../../src/workflows/definitions';
import {
  batchInput,
  historiesThatDoNotReplay,
  makeVideoFolder,
  tempDir,
  temporalAddress,
  uniqueId,
  waitFor,
  useWorkerRig,
} from '../support/harness';
import { runCli } from '../support/run-cli';

/** What a person does to a batch through its handlers: retry, skip, cancel; and a child terminated behind its back. */
describe('a batch driven through its handlers', () => {
  const rig = useWorkerRig('durability-handlers', { processingMs: 50 });
  const { taskQueue } = rig;

  const progressOf = (handle: WorkflowHandle) => handle.query(progressQuery) as Promise<BatchProgress>;
  const childIdOf = (ids: string[], name: string) => {
    const id = ids.find((i) => i.includes(name));
    if (!id) throw new Error(`no child for ${name} among ${ids.join(', ')}`);
    return id;
  };

  async function needingAttention(batchId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const wf of rig.client.workflow.list({
      query: `BatchId = "${batchId}" AND VideoStatus = "NeedsAttention"`,
    }))
      ids.push(wf.workflowId);
    return ids.sort();
  }

  /** A batch with a grace period whose lesson-01 and lesson-02 are refused once, so both wait for a person. */
  async function startWithTwoRefused(prefix: string, count: number) {
    const videos = makeVideoFolder(count);
    const output = tempDir('out');
    for (const video of ['lesson-01', 'lesson-02'])
      rig.standin.addFault({
        route: 'generate',
        match: { video },
        times: 1,
        action: { type: 'finish', reason: 'SAFETY' },
      });
    const batchId = uniqueId(prefix);
    const handle = await rig.client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [batchInput(batchId, [videos], output, {}, { failureGraceSeconds: 600 })],
    });
    return { batchId, handle, output };
  }

  test('a video that failed for good waits for a person: retry makes it succeed, skip records it as skipped', async () => {
    const { batchId, handle, output } = await startWithTwoRefused('attention', 3);

    let waiting: string[] = [];
    await waitFor(
      async () => (waiting = await needingAttention(batchId)).length === 2,
      90_000,
      'two videos needing attention in visibility',
    );
    await waitFor(
      async () => (await progressOf(handle)).waiting === 2,
      30_000,
      'the batch counting two waiting videos',
    );
    const progress = await progressOf(handle);
    expect(progress).toMatchObject({ total: 3, waiting: 2 });
    expect(progress.running).toBeLessThanOrEqual(1); // waiting videos are not counted as running

    await rig.client.workflow.getHandle(childIdOf(waiting, 'lesson-01')).signal(retrySignal);
    await rig.client.workflow
      .getHandle(childIdOf(waiting, 'lesson-02'))
      .signal(skipSignal, { reason: 'not needed this term' });
    const summary = (await handle.result()) as BatchSummary;

    expect(summary).toMatchObject({ total: 3, succeeded: 2, skipped: 1, failed: 0 });
    expect(summary.skippedVideos).toEqual([
      expect.objectContaining({ title: expect.stringMatching(/lesson 02/i), reason: 'not needed this term' }),
    ]);
    expect(fs.existsSync(path.join(output, 'comprehensive_lesson', 'lesson-01.md'))).toBe(true);
    expect(fs.existsSync(path.join(output, 'comprehensive_lesson', 'lesson-02.md'))).toBe(false);
    const byVideo = Object.entries(rig.standin.stats().byVideo);
    const calls = (name: string) => byVideo.find(([k]) => k.includes(name))?.[1];
    // The retry asked Gemini again exactly once; the skipped video was never asked again.
    expect(calls('lesson-01')).toMatchObject({ generateCalls: 2, generateSucceeded: 1 });
    expect(calls('lesson-02')).toMatchObject({ generateCalls: 1, generateSucceeded: 0 });
    expect(await needingAttention(batchId)).toEqual([]);
    // Signals arriving mid-wait replay to the same decisions.
    const replay = await historiesThatDoNotReplay(rig.client, `WorkflowId = "${batchId}" OR BatchId = "${batchId}"`);
    expect(replay).toEqual({ replayed: 4, failures: [] });
  });

  test('the CLI sends skip and retry as Updates and says what each video did, refusals included', async () => {
    const { batchId, handle } = await startWithTwoRefused('cli-decide', 2);
    await waitFor(async () => (await needingAttention(batchId)).length === 2, 90_000, 'two videos waiting');
    const saved = { address: process.env.TEMPORAL_ADDRESS, queue: process.env.TEMPORAL_TASK_QUEUE };
    process.env.TEMPORAL_ADDRESS = temporalAddress();
    process.env.TEMPORAL_TASK_QUEUE = taskQueue;
    try {
      const skipped = await runCli('skip', batchId, 'lesson-02', '--reason', 'not this term');
      expect(skipped).toMatchObject({ code: 0, stdout: expect.stringMatching(/lesson-02.*: skipped: not this term/) });
      await waitFor(async () => (await needingAttention(batchId)).length === 1, 30_000, 'one video waiting');

      const retried = await runCli('retry-failed', batchId, '--model', 'gemini-3.5-flash-lite');
      expect(retried.code).toBe(0);
      expect(retried.stdout).toMatch(
        /Retried 1 of 1 waiting video\(s\):\n {2}lesson-01-\w+: retrying analyze with gemini-3.5-flash-lite/,
      );

      // The retried video is no longer waiting: a skip now is refused by the video itself (or finds nothing waiting).
      const late = await runCli('skip', batchId, 'lesson-01');
      expect(late.code).toBe(2);
      expect(late.stderr).toMatch(/not waiting for a person|No waiting video/);
    } finally {
      process.env.TEMPORAL_ADDRESS = saved.address;
      process.env.TEMPORAL_TASK_QUEUE = saved.queue;
    }
    const summary = (await handle.result()) as BatchSummary;
    expect(summary).toMatchObject({ succeeded: 1, skipped: 1, failed: 0 });
    expect(
      rig.standin.stats().byVideo[Object.keys(rig.standin.stats().byVideo).find((k) => k.includes('lesson-01'))!],
    ).toMatchObject({
      lastModel: 'gemini-3.5-flash-lite',
    });
  });

  test('with a short grace period and nobody acting, the video ends failed', async () => {
    const videos = makeVideoFolder(1);
    const output = tempDir('out');
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-01' },
      times: 1,
      action: { type: 'finish', reason: 'SAFETY' },
    });
    const batchId = uniqueId('grace');
    const started = Date.now();
    const summary = await rig.runBatch(batchInput(batchId, [videos], output, {}, { failureGraceSeconds: 3 }));
    expect(summary).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
    expect(summary.failures[0]).toMatchObject({
      errorType: 'GeminiContentBlocked',
      reason: expect.stringMatching(/SAFETY/),
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000); // it did wait out the grace period
    expect(Object.values(rig.standin.stats().byVideo)[0]?.generateCalls).toBe(1);
  });

  test('cancel stops new videos; those in flight finish; the summary says so', async () => {
    const videos = makeVideoFolder(8);
    const output = tempDir('out');
    rig.standin.addFault({ route: 'generate', action: { type: 'delay', ms: 2000 } });
    const batchId = uniqueId('cancel');
    const handle = await rig.client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [batchInput(batchId, [videos], output, { concurrency: 2 })],
    });
    await waitFor(async () => (await progressOf(handle)).started >= 2, 60_000, 'two videos started');
    await handle.signal(cancelBatchSignal, { reason: 'end of term' });
    const summary = (await handle.result()) as BatchSummary;

    expect(summary.stoppedEarly).toBe('cancelled: end of term');
    expect(summary.notStarted).toBeGreaterThan(0);
    expect(summary.succeeded + summary.failed + summary.skipped + (summary.notStarted ?? 0)).toBe(8);
    // Those already started were not abandoned: each finished and wrote its lesson plan.
    expect(summary.failed).toBe(0);
    expect(summary.succeeded).toBe(8 - (summary.notStarted ?? 0));
    const written = fs.readdirSync(path.join(output, 'comprehensive_lesson')).filter((f) => f.endsWith('.md'));
    expect(written).toHaveLength(summary.succeeded);
    expect(Object.keys(rig.standin.stats().byVideo)).toHaveLength(summary.succeeded);
    const report = fs.readFileSync(summary.reportPath!, 'utf8');
    expect(report).toContain(`${summary.notStarted} videos not started`);
  });

  test('a child terminated after the batch continued as new is recorded as failed, not waited for', async () => {
    const videos = makeVideoFolder(3);
    const output = tempDir('out');
    // lesson-01 stays in its analysis long enough to be carried over and terminated.
    rig.standin.addFault({ route: 'generate', match: { video: 'lesson-01' }, action: { type: 'delay', ms: 20_000 } });
    const batchId = uniqueId('reconcile');
    const handle = await rig.client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [
        {
          ...batchInput(batchId, [videos], output, { concurrency: 2 }),
          tuning: { maxStartsPerRun: 2, reconcileEverySeconds: 2 },
        },
      ],
    });
    await waitFor(async () => (await progressOf(handle)).generation >= 2, 60_000, 'the batch to continue as new');
    let key: string | undefined;
    await waitFor(
      async () => (key = (await childKeys(batchId)).find((k) => k.includes('lesson-01'))) !== undefined,
      30_000,
      'lesson-01 in visibility',
    );
    const stuck = `${batchId}/${key}`;
    await rig.client.workflow.getHandle(stuck).terminate('terminated from the UI');
    const summary = (await handle.result()) as BatchSummary;

    expect(summary).toMatchObject({ total: 3, succeeded: 2, failed: 1 });
    expect(summary.failures[0]).toMatchObject({
      title: expect.stringMatching(/lesson 01/i),
      errorType: 'VideoWorkflowClosed',
    });
    expect(summary.failures[0].reason).toContain('TERMINATED');
  });

  async function childKeys(batchId: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const wf of rig.client.workflow.list({ query: `BatchId = "${batchId}"` }))
      keys.push(wf.workflowId.slice(batchId.length + 1));
    return keys;
  }
});
