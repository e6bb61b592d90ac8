import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Client, Connection } from '@temporalio/client';
import { startGeminiStandin, type GeminiStandin } from '../../src/standin';
import type { BatchSummary } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import {
  batchInput,
  connectTestClient,
  makeVideoFolder,
  spawnWorkerProcess,
  tempDir,
  temporalAddress,
  uniqueId,
  waitFor,
  workflowsWithCompletedActivity,
} from '../support/harness';

describe('a worker killed with SIGKILL in the middle of a batch', () => {
  let standin: GeminiStandin;
  let client: Client;
  let connection: Connection;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    standin = await startGeminiStandin({ processingMs: 50, latencyMs: { min: 600, max: 900 } });
    ({ client, connection } = await connectTestClient());
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await connection?.close();
    await standin?.close();
  });

  test('a new worker finishes the batch and no completed analysis is paid for again', async () => {
    const taskQueue = uniqueId('crash');
    const env = {
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      GEMINI_API_KEY: 'crash-test-key-0123456789',
      GEMINI_BASE_URL: standin.url,
    };
    const videos = makeVideoFolder(8);
    const output = tempDir('out');
    const batchId = uniqueId('crash');
    const first = spawnWorkerProcess(env);
    workers.push(first);
    const handle = await client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [batchInput(batchId, [videos], output, { concurrency: 3 })],
    });

    // Kill once some analyses have completed and others are in flight.
    await waitFor(async () => (await workflowsWithCompletedActivity(client, batchId, 'analyzeVideo')).length >= 2, 90_000, 'two completed analyses');
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const completedBeforeKill = await workflowsWithCompletedActivity(client, batchId, 'analyzeVideo');
    expect(completedBeforeKill.length).toBeGreaterThanOrEqual(2);
    expect(completedBeforeKill.length).toBeLessThan(8);

    const second = spawnWorkerProcess(env);
    workers.push(second);
    const summary = (await handle.result()) as BatchSummary;
    second.kill('SIGTERM');

    expect(summary).toMatchObject({ total: 8, succeeded: 8, failed: 0 });
    const stats = standin.stats().byVideo;
    for (const childId of completedBeforeKill) {
      const key = childId.slice(batchId.length + 1);
      expect(stats[key]?.generateSucceeded).toBe(1);
      expect(stats[key]?.generateCalls).toBe(1);
    }
    const files = fs.readdirSync(path.join(output, 'comprehensive_lesson')).filter((f) => f.endsWith('.md'));
    expect(files).toHaveLength(8);
    for (const f of files) {
      const text = fs.readFileSync(path.join(output, 'comprehensive_lesson', f), 'utf8');
      expect(text.startsWith('---\n')).toBe(true);
      expect(text.trimEnd().length).toBeGreaterThan(200);
    }
  });
});
