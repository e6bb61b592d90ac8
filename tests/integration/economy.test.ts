import fs from 'node:fs';
import path from 'node:path';
import { createSchedule } from '../../src/cli/commands/schedule';
import { loadCatalog } from '../../src/gemini/catalog';
import { deleteSchedule, triggerSchedule } from '../../src/schedules/manage';
import type { BatchInput, BatchSummary } from '../../src/types';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { videoStatusQuery } from '../../src/workflows/definitions';
import { runCli } from '../support/run-cli';
import { economyCollectorId, economyStatusQuery } from '../../src/workflows/economy/definitions';
import {
  batchInput,
  makeVideoFolder,
  temporalAddress,
  tempDir,
  testSettings,
  timelineLabels,
  uniqueId,
  useWorkerRig,
  waitFor,
  scheduleOptions,
} from '../support/harness';

/** Economy mode end to end: real server, real worker, the real SDK's Batch API against the stand-in. */
describe('economy mode (Gemini Batch API)', () => {
  const rig = useWorkerRig('economy', { processingMs: 20 });
  const tuning = { gatherSeconds: 1, firstPollSeconds: 1, maxPollSeconds: 2 };

  beforeEach(() => {
    rig.standin.batches.clearOutcomes();
    rig.standin.batches.configure({
      pendingMs: 100,
      runningMs: 200,
      expireAfterMs: 48 * 3600 * 1000,
      enqueuedTokenLimits: {},
    });
  });

  function economyBatch(count: number, overrides: Partial<BatchInput> = {}) {
    const videos = makeVideoFolder(count);
    const output = tempDir('econ-out');
    const batchId = uniqueId('econ');
    return {
      batchId,
      output,
      input: batchInput(batchId, [videos], output, overrides, { economy: true, economyTuning: tuning }),
    };
  }

  test('a batch goes through one Batch API job at half price', async () => {
    const { batchId, input } = economyBatch(3);
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
    const jobs = await rig.standin.batches.jobs();
    const ours = jobs.filter((j) => j.displayName?.includes(batchId));
    expect(ours.length).toBeGreaterThanOrEqual(1);
    expect(ours.flatMap((j) => j.bills).every((b) => b.priceFactor === 0.5)).toBe(true);
    expect(rig.standin.stats().tokensByModel).toEqual({});
    for (const out of summary.outputs) expect(fs.existsSync(out)).toBe(true);
    const status = await rig.client.workflow.getHandle(economyCollectorId(batchId)).query(economyStatusQuery);
    expect(status.answered).toBe(3);
    const labels = await timelineLabels(rig.client, economyCollectorId(batchId));
    expect(labels.some((l) => l.startsWith('create Batch API job'))).toBe(true);
  });

  test('several templates from one upload: a request per note, no context cache', async () => {
    const videos = makeVideoFolder(2);
    const batchId = uniqueId('econ-notes');
    const summary = await rig.runBatch(
      batchInput(
        batchId,
        [videos],
        tempDir('econ-out'),
        {},
        {
          template: 'comprehensive_lesson',
          templates: ['comprehensive_lesson', 'quiz'],
          economy: true,
          economyTuning: tuning,
        },
      ),
    );
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    const jobs = await jobsOf(batchId);
    // The notes of a video are made one after another: a template's request goes in a later job than the one before.
    expect(jobs.reduce((n, j) => n + j.requestCount, 0)).toBe(4);
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(summary.outputs.filter((o) => o.includes('/quiz/'))).toHaveLength(2);
    expect(summary.outputs.filter((o) => o.includes('/comprehensive_lesson/'))).toHaveLength(2);
    expect(Object.values(rig.standin.stats().byVideo).reduce((n, v) => n + v.uploadsCompleted, 0)).toBe(2);
    expect((await rig.standin.caches.caches()).length).toBe(0);
  });

  test('above the inline limit, the requests go as a JSONL file and the answers come back as a results file', async () => {
    const videos = makeVideoFolder(2);
    const batchId = uniqueId('econ-file');
    const input = batchInput(
      batchId,
      [videos],
      tempDir('econ-out'),
      {},
      {
        economy: true,
        economyTuning: { ...tuning, inlineLimitBytes: 1 },
      },
    );
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs).toHaveLength(1);
    // File input: the bills carry the JSONL keys, which name each video's request.
    expect(jobs[0]!.bills.map((b) => b.key.replace(/-[a-z0-9]+#[0-9a-f]{8}-1~0$/, '')).sort()).toEqual([
      `${batchId}/lesson-01`,
      `${batchId}/lesson-02`,
    ]);
  });

  test('videos cancelled while they wait withdraw their requests, and the job nobody waits for is cancelled', async () => {
    rig.standin.batches.configure({ pendingMs: 600_000 });
    const { batchId, input } = economyBatch(2);
    const run = rig.runBatch(input);
    await waitFor(async () => (await jobsOf(batchId)).length === 1, 60_000, 'the job');
    for await (const wf of rig.client.workflow.list({ query: `WorkflowId STARTS_WITH "${batchId}/"` }))
      await rig.client.workflow.getHandle(wf.workflowId).cancel();
    const summary = await run;
    expect(summary).toMatchObject({ succeeded: 0, failed: 2 });
    expect(summary.failures.map((f) => f.errorType)).toEqual(['Cancelled', 'Cancelled']);
    await waitFor(
      async () => (await jobsOf(batchId))[0]?.state === 'BATCH_STATE_CANCELLED',
      30_000,
      'the job cancelled',
    );
    expect((await jobsOf(batchId)).map((j) => [j.requestCount, j.bills.length])).toEqual([[2, 0]]);
  });

  test('a collector terminated by hand: its waiting videos ask again, a new collector answers them', async () => {
    rig.standin.batches.configure({ pendingMs: 600_000 });
    const videos = makeVideoFolder(2);
    const batchId = uniqueId('econ-term');
    const input = batchInput(
      batchId,
      [videos],
      tempDir('econ-out'),
      {},
      {
        economy: true,
        economyTuning: { ...tuning, resendAfterSeconds: 3 },
      },
    );
    const run = rig.runBatch(input);
    await waitFor(async () => (await jobsOf(batchId)).length === 1, 60_000, 'the first job');
    rig.standin.batches.configure({ pendingMs: 100 });
    await rig.client.workflow.getHandle(economyCollectorId(batchId)).terminate('test: terminated by hand');
    const summary = await run;
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    // The first job (never collected) and one more from the new collector: every answer billed once.
    const jobs = await jobsOf(batchId);
    expect(jobs).toHaveLength(2);
    expect(jobs[1]!.bills).toHaveLength(2);
    const labels = await timelineLabels(rig.client, `${batchId}/lesson-01`);
    expect(labels.filter((l) => l.startsWith('send the analysis of'))).toHaveLength(2);
  });

  describe('from the command line', () => {
    const saved = { ...process.env };
    beforeAll(() => {
      // The CLI as a client of the test server; the rig's worker (same task queue) runs the batch.
      process.env.TEMPORAL_ADDRESS = temporalAddress();
      process.env.TEMPORAL_TASK_QUEUE = rig.taskQueue;
      process.env.NO_COLOR = '1';
    });
    afterAll(() => {
      for (const name of ['TEMPORAL_ADDRESS', 'TEMPORAL_TASK_QUEUE', 'NO_COLOR'])
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
    });

    test('--dry-run shows both prices; start-batch --economy runs a nightly batch through the Batch API; status shows its job', async () => {
      const videos = makeVideoFolder(3);
      const output = tempDir('econ-cli-out');
      const plain = await runCli('start-batch', videos, '-o', output, '--dry-run');
      expect(plain.code).toBe(0);
      expect(plain.stdout).toMatch(/Prices: interactive \$[\d.]+ .*← this batch; economy \$[\d.]+ .*with --economy/);
      const dry = await runCli('start-batch', videos, '-o', output, '--dry-run', '--economy', '--json');
      const plan = JSON.parse(dry.stdout) as {
        prices: { mode: string; interactive: { expectedUsd: number }; economy: { expectedUsd: number } };
      };
      expect(plan.prices.mode).toBe('economy');
      expect(plan.prices.economy.expectedUsd).toBeCloseTo(plan.prices.interactive.expectedUsd * 0.5, 9);

      const batchId = uniqueId('econ-cli');
      const run = await runCli(
        'start-batch',
        videos,
        '-o',
        output,
        '--economy',
        '--economy-poll',
        '1s',
        '--batch-id',
        batchId,
        '--json',
      );
      expect(run.code).toBe(0);
      const summary = JSON.parse(run.stdout) as BatchSummary;
      expect(summary).toMatchObject({ batchId, succeeded: 3, failed: 0 });
      const jobs = await jobsOf(batchId);
      expect(jobs.map((j) => [j.state, j.requestCount])).toEqual([['BATCH_STATE_SUCCEEDED', 3]]);
      // Each video's cost is at the batch price: half of what the same tokens cost interactively.
      const model = loadCatalog().models.find((m) => m.id === 'gemini-3.8-flash')!;
      const price = model.prices[0]!;
      const billed = jobs[0]!.bills;
      const atFullPrice =
        billed.reduce(
          (usd, b) =>
            usd +
            b.promptTokens * price.inputPerMillion.default +
            (b.candidatesTokens + b.thoughtsTokens) * price.outputPerMillion,
          0,
        ) / 1e6;
      expect(summary.costUsd).toBeCloseTo(atFullPrice * 0.5, 6);

      const status = await runCli('status', batchId, '--json');
      expect(JSON.parse(status.stdout)).toMatchObject({
        economy: { answered: 3, jobs: [{ name: jobs[0]!.name, state: 'SUCCEEDED', requests: 3, answered: 3 }] },
      });
      // The video's history names the job it waited for; the collector's, what it did.
      const labels = await timelineLabels(rig.client, economyCollectorId(batchId));
      expect(labels).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^create Batch API job ".*#1": 3 requests, gemini-3.8-flash, key default/),
          expect.stringMatching(/^look at Batch API job batches\/\w+ \((PENDING|RUNNING)/),
          expect.stringMatching(/^collect the answers of Batch API job batches\/\w+ \(3 requests\)/),
        ]),
      );
    });

    test('a schedule created with --economy, triggered once, runs its batch through the Batch API', async () => {
      const name = uniqueId('econ-sched');
      const output = tempDir('econ-sched-out');
      const { outcome } = await createSchedule(
        rig.client,
        testSettings(rig.taskQueue, rig.standin.url),
        loadCatalog(),
        name,
        [makeVideoFolder(2)],
        scheduleOptions(output, { every: '24h', economy: true, economyPoll: '1s' }),
      );
      try {
        expect(outcome).toBe('created');
        const batchId = await triggerSchedule(rig.client, name);
        const summary = (await rig.client.workflow.getHandle(batchId!).result()) as BatchSummary;
        expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
        expect((await jobsOf(batchId!)).map((j) => j.requestCount)).toEqual([2]);
      } finally {
        await deleteSchedule(rig.client, name);
      }
    });
  });

  /** This batch's jobs at the stand-in, oldest first, with their bills. */
  async function jobsOf(batchId: string) {
    return (await rig.standin.batches.jobs()).filter((j) => j.displayName?.includes(batchId));
  }
  test('some requests fail: a retryable one goes into a later job, a refused one fails its video as interactively; answered ones are never sent again', async () => {
    const { batchId, input } = economyBatch(3);
    rig.standin.addFault({
      route: 'batch.request',
      match: { video: 'lesson-02' },
      times: 1,
      action: { type: 'http', kind: 'internal' },
    });
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-03' },
      action: { type: 'finish', reason: 'SAFETY' },
    });
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 2, failed: 1 });
    expect(summary.failures[0]).toMatchObject({ errorType: 'GeminiContentBlocked' });
    expect(summary.failures[0]?.reason).toMatch(/refused this video.*Batch API job batches\//);
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => j.requestCount)).toEqual([3, 1]);
    expect(jobs[0]?.bills.map((b) => [b.ok, b.errorCode])).toContainEqual([false, 13]);
    // Answered once each (lesson-03's refusal is an answer too): the second job re-sent only lesson-02.
    expect(jobs.flatMap((j) => j.bills).filter((b) => b.ok)).toHaveLength(3);
    expect(summary.outputs.join()).toContain('lesson-02');
  });

  test('a request no job answered, as many times as allowed, is asked interactively', async () => {
    const videos = makeVideoFolder(2);
    const batchId = uniqueId('econ-fallback');
    rig.standin.addFault({
      route: 'batch.request',
      match: { video: 'lesson-01' },
      times: 1,
      action: { type: 'http', kind: 'unavailable' },
    });
    const summary = await rig.runBatch(
      batchInput(
        batchId,
        [videos],
        tempDir('econ-out'),
        {},
        {
          economy: true,
          economyTuning: { ...tuning, maxJobsPerRequest: 1 },
        },
      ),
    );
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    expect((await jobsOf(batchId)).map((j) => j.requestCount)).toEqual([2]);
    // One interactive generate call, for lesson-01 only.
    const interactive = Object.entries(rig.standin.stats().byVideo).filter(([, v]) => v.generateCalls > 0);
    expect(interactive.map(([name]) => name.slice(0, 9))).toEqual(['lesson-01']);
    expect(rig.standin.stats().tokensByModel['gemini-3.8-flash']).toBeDefined();
  });

  test('a job that expires: its requests go into a new job, and nothing is billed twice', async () => {
    const { batchId, input } = economyBatch(2);
    rig.standin.batches.addOutcome({ match: { displayName: batchId }, times: 1, state: 'EXPIRED' });
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => [j.state, j.requestCount, j.bills.length])).toEqual([
      ['BATCH_STATE_EXPIRED', 2, 0],
      ['BATCH_STATE_SUCCEEDED', 2, 2],
    ]);
    // The half price is what the videos record.
    const billedTokens = jobs[1]!.bills.reduce((n, b) => n + b.promptTokens + b.candidatesTokens + b.thoughtsTokens, 0);
    expect(summary.usage.totalTokens).toBe(billedTokens);
  });

  test('an upload that expired before its request ran is uploaded again and sent in a new job', async () => {
    rig.standin.batches.configure({ pendingMs: 600_000 });
    const { batchId, input, output } = economyBatch(1);
    const run = rig.runBatch(input);
    await waitFor(async () => (await jobsOf(batchId)).length === 1, 60_000, 'the first job');
    // The video says which job it waits for (its status query, and its details in the Web UI).
    const [job] = await jobsOf(batchId);
    let video: WorkflowExecutionInfo | undefined;
    for await (const wf of rig.client.workflow.list({ query: `WorkflowId STARTS_WITH "${batchId}/"` })) video = wf;
    const videoHandle = rig.client.workflow.getHandle(video!.workflowId);
    await waitFor(
      async () => (await videoHandle.query(videoStatusQuery)).note?.includes(job!.name) ?? false,
      30_000,
      'the video naming its job',
    );
    expect((await videoHandle.query(videoStatusQuery)).note).toMatch(
      new RegExp(`^waiting for Batch API job ${job!.name} \\((PENDING|RUNNING), 0/1\\)$`),
    );
    const prepared = findFiles(output, /^economy-.*[^r]\.json$/).filter((f) => !f.includes('.answer.'));
    const fileName = (JSON.parse(fs.readFileSync(prepared[0]!, 'utf8')) as { analyzeInput: { file: { name: string } } })
      .analyzeInput.file.name;
    rig.standin.expireFile(fileName);
    rig.standin.batches.configure({ pendingMs: 100 });
    rig.standin.batches.advance((await jobsOf(batchId))[0]!.name, 'SUCCEEDED');
    const summary = await run;
    expect(summary).toMatchObject({ succeeded: 1, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => j.bills.map((b) => b.errorCode ?? 'ok'))).toEqual([[7], ['ok']]);
    const uploads = Object.entries(rig.standin.stats().byVideo).filter(([name]) => name.startsWith('lesson-01'));
    expect(uploads.map(([, v]) => v.uploadsCompleted)).toEqual([2]);
  });
});

function findFiles(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(full, pattern));
    else if (pattern.test(entry.name)) out.push(full);
  }
  return out;
}
