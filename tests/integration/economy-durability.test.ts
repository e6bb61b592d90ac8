import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Client, Connection } from '@temporalio/client';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import type { BatchSummary } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import {
  batchInput,
  connectTestClient,
  makeVideoFolder,
  projectRoot,
  spawnWorkerProcess,
  tempDir,
  temporalAddress,
  uniqueId,
  waitFor,
} from '../support/harness';

/**
 * Economy mode with workers in processes of their own: one is SIGKILLed while the batch waits for
 * its Batch API job, and the enqueued-token limit of the catalog splits a batch into jobs.
 */
describe('economy mode across worker crashes and enqueued-token limits', () => {
  let standin: GeminiStandin;
  let client: Client;
  let connection: Connection;
  const workers: ChildProcess[] = [];
  const tuning = { gatherSeconds: 1, firstPollSeconds: 1, maxPollSeconds: 2 };

  beforeAll(async () => {
    standin = await startGeminiStandin({ processingMs: 20 });
    ({ client, connection } = await connectTestClient());
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await connection?.close();
    await standin?.close();
  });

  function worker(taskQueue: string, extra: Record<string, string> = {}): ChildProcess {
    const child = spawnWorkerProcess({
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      GEMINI_API_KEY: 'economy-crash-key-0123456789',
      GEMINI_BASE_URL: standin.url,
      ...extra,
    });
    workers.push(child);
    return child;
  }

  const jobsOf = async (batchId: string) =>
    (await standin.batches.jobs()).filter((j) => j.displayName?.includes(batchId));

  test('a worker killed while the batch waits for its job: a fresh worker goes on with the same job, and no second job is created', async () => {
    standin.batches.configure({ pendingMs: 600_000, runningMs: 100 });
    const taskQueue = uniqueId('econ-crash');
    const batchId = uniqueId('econ-crash');
    const output = tempDir('econ-crash-out');
    const handle = await client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [batchInput(batchId, [makeVideoFolder(3)], output, {}, { economy: true, economyTuning: tuning })],
    });
    const first = worker(taskQueue);
    await waitFor(async () => (await jobsOf(batchId)).length === 1, 120_000, 'the Batch API job');
    // Let the collector look at the job at least once, then kill the worker mid-wait.
    await new Promise((r) => setTimeout(r, 1500));
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    worker(taskQueue);
    await new Promise((r) => setTimeout(r, 3000));
    const [job] = await jobsOf(batchId);
    standin.batches.configure({ pendingMs: 100 });
    standin.batches.advance(job!.name, 'SUCCEEDED');
    const summary = (await handle.result()) as BatchSummary;
    expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => [j.state, j.requestCount])).toEqual([['BATCH_STATE_SUCCEEDED', 3]]);
  }, 300_000);

  test('the catalog’s enqueued-token limit per model: a batch goes as several jobs, one after another, none refused', async () => {
    standin.batches.configure({ pendingMs: 200, runningMs: 200, enqueuedTokenLimits: { 'gemini-3.8-flash': 5000 } });
    const catalog = JSON.parse(fs.readFileSync(path.join(projectRoot, 'catalog', 'models.json'), 'utf8')) as {
      models: Array<{ id: string; batchApi?: { enqueuedTokens: number } }>;
    };
    // One request of these samples is about 3k prompt tokens: one fits in 5k, two do not.
    for (const m of catalog.models) if (m.id === 'gemini-3.8-flash') m.batchApi!.enqueuedTokens = 5000;
    const catalogFile = path.join(tempDir('econ-catalog'), 'models.json');
    fs.writeFileSync(catalogFile, JSON.stringify(catalog));

    const taskQueue = uniqueId('econ-limit');
    const batchId = uniqueId('econ-limit');
    worker(taskQueue, { LESSON_FORGE_MODELS: catalogFile });
    const summary = (await client.workflow.execute(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [
        batchInput(
          batchId,
          [makeVideoFolder(3)],
          tempDir('econ-limit-out'),
          {},
          { economy: true, economyTuning: tuning },
        ),
      ],
    })) as BatchSummary;
    expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => j.requestCount)).toEqual([1, 1, 1]);
    for (const j of jobs) expect(j.enqueuedTokens).toBeLessThanOrEqual(5000);
    expect(standin.stats().byStatus['429']).toBeUndefined();
  }, 300_000);
});
