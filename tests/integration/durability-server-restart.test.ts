import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/port';
import type { BatchSummary } from '../../src/types';
import { createWorker, type WorkerGroup } from '../../src/worker';
import { BatchWorkflow } from '../../src/workflows';
import {
  batchInput,
  makeVideoFolder,
  quietRuntime,
  tempDir,
  testKeys,
  uniqueId,
  waitFor,
  workflowBundle,
  workflowsWithCompletedActivity,
} from '../support/harness';

/** The Temporal server itself dies (SIGKILL) mid-batch and comes back on the same port and SQLite file. */
describe('the Temporal dev server killed in the middle of a batch', () => {
  const taskQueue = uniqueId('server-restart');
  const dbFile = path.join(tempDir('server'), 'temporal.db');
  let port: number;
  let server: DevServer;
  let standin: GeminiStandin;
  let worker: WorkerGroup | undefined;
  let running: Promise<void> | undefined;
  let closeWorker: (() => Promise<void>) | undefined;

  const connectClient = async () => {
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    return { connection, client: new Client({ connection, namespace: 'default' }) };
  };

  beforeAll(async () => {
    port = await freePort();
    server = await startDevServer({ port, headless: true, dbFile });
    standin = await startGeminiStandin({ processingMs: 50, latencyMs: { min: 500, max: 800 } });
    quietRuntime();
    const address = `127.0.0.1:${port}`;
    const created = await createWorker({
      address,
      namespace: 'default',
      taskQueue,
      settings: {
        env: {
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: 'default',
          TEMPORAL_TASK_QUEUE: taskQueue,
          GEMINI_BASE_URL: standin.url,
        },
        // Workers write only inside their output roots; test folders are under the temp folder.
        file: { outputRoots: [os.tmpdir()] },
      },
      keys: testKeys(),
      workerOptions: { workflowBundle: await workflowBundle() },
      deps: { filePollMs: 100 },
    });
    worker = created.worker;
    closeWorker = created.close;
    running = worker.run();
  });

  afterAll(async () => {
    if (worker?.getState() === 'RUNNING') worker.shutdown();
    await running?.catch(() => undefined);
    await closeWorker?.();
    await standin?.close();
    await server?.stop();
    fs.rmSync(path.dirname(dbFile), { recursive: true, force: true });
  });

  test('the batch completes after the restart, outputs are whole and no succeeded analysis is paid for again', async () => {
    const videos = makeVideoFolder(8);
    const output = tempDir('out');
    const batchId = uniqueId('server-kill');
    const first = await connectClient();
    await first.client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [batchInput(batchId, [videos], output, { concurrency: 3 })],
    });
    await waitFor(
      async () => (await workflowsWithCompletedActivity(first.client, batchId, 'analyzeVideo')).length >= 2,
      90_000,
      'two completed analyses',
    );
    const completedBeforeKill = await workflowsWithCompletedActivity(first.client, batchId, 'analyzeVideo');
    await first.connection.close();

    await server.stop('SIGKILL');
    await new Promise((r) => setTimeout(r, 2000)); // the worker and in-flight activities meet a dead server
    server = await startDevServer({ port, headless: true, dbFile });

    const second = await connectClient();
    try {
      const summary = (await second.client.workflow.getHandle(batchId).result()) as BatchSummary;
      expect(summary).toMatchObject({ total: 8, succeeded: 8, failed: 0 });
      expect(completedBeforeKill.length).toBeLessThan(8); // the kill did land mid-batch

      const stats = standin.stats().byVideo;
      expect(Object.keys(stats)).toHaveLength(8);
      for (const childId of completedBeforeKill) {
        const key = childId.slice(batchId.length + 1);
        expect({ key, calls: stats[key]?.generateCalls, succeeded: stats[key]?.generateSucceeded }).toEqual({
          key,
          calls: 1,
          succeeded: 1,
        });
      }
      for (const [key, v] of Object.entries(stats))
        expect({ key, succeeded: v.generateSucceeded }).toEqual({ key, succeeded: 1 });
      const files = fs.readdirSync(path.join(output, 'comprehensive_lesson')).filter((f) => f.endsWith('.md'));
      expect(files).toHaveLength(8);
      for (const f of files) {
        const text = fs.readFileSync(path.join(output, 'comprehensive_lesson', f), 'utf8');
        expect(text).toMatch(/^---\n[\s\S]+\n---\n/);
        expect(text.trimEnd().length).toBeGreaterThan(200);
      }
    } finally {
      await second.connection.close();
    }
  }, 300_000);
});
