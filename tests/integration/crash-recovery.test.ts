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
  spawnWorkerProcess,
  tempDir,
  temporalAddress,
  uniqueId,
  waitFor,
  workflowsWithCompletedActivity,
} from '../support/harness';

describe('workers killed with SIGKILL in the middle of a batch', () => {
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

  test('killed three times, fresh workers finish the batch and no completed analysis is paid for again', async () => {
    const taskQueue = uniqueId('crash');
    const env = {
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      GEMINI_API_KEY: 'crash-test-key-0123456789',
      GEMINI_BASE_URL: standin.url,
    };
    const count = 10;
    const videos = makeVideoFolder(count);
    const output = tempDir('out');
    const batchId = uniqueId('crash');
    const handle = await client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [batchInput(batchId, [videos], output, { concurrency: 3 })],
    });

    // Each worker is killed once more analyses have completed and others are in flight. After
    // each kill, the Gemini calls of every video whose analysis the history shows completed are
    // noted: none may come after. (An analysis that succeeded at Gemini on a worker killed before
    // reporting it was never completed for Temporal; it is rightly asked again.)
    const callsWhenCompleted = new Map<string, number>();
    const keyOf = (childId: string) => childId.slice(batchId.length + 1);
    for (const threshold of [2, 4, 6]) {
      const worker = spawnWorkerProcess(env);
      workers.push(worker);
      await waitFor(
        async () => (await workflowsWithCompletedActivity(client, batchId, 'analyzeVideo')).length >= threshold,
        120_000,
        `${threshold} completed analyses`,
      );
      worker.kill('SIGKILL');
      await new Promise((r) => worker.once('exit', r));
      const stats = standin.stats().byVideo;
      for (const id of await workflowsWithCompletedActivity(client, batchId, 'analyzeVideo')) {
        if (!callsWhenCompleted.has(id)) callsWhenCompleted.set(id, stats[keyOf(id)]?.generateCalls ?? 0);
      }
    }
    expect(callsWhenCompleted.size).toBeGreaterThanOrEqual(6);
    expect(callsWhenCompleted.size).toBeLessThan(count);

    const last = spawnWorkerProcess(env);
    workers.push(last);
    const summary = (await handle.result()) as BatchSummary;
    last.kill('SIGTERM');

    expect(summary).toMatchObject({ total: count, succeeded: count, failed: 0 });
    const stats = standin.stats().byVideo;
    for (const [childId, calls] of callsWhenCompleted) {
      expect(calls).toBeGreaterThanOrEqual(1);
      expect({ video: keyOf(childId), calls: stats[keyOf(childId)]?.generateCalls }).toEqual({
        video: keyOf(childId),
        calls,
      });
    }
    // At most one lost analysis per video in flight at each kill (3 at a time, 3 kills).
    const succeededAtGemini = Object.values(stats).reduce((n, v) => n + v.generateSucceeded, 0);
    expect(succeededAtGemini).toBeLessThanOrEqual(count + 9);
    const files = fs.readdirSync(path.join(output, 'comprehensive_lesson')).filter((f) => f.endsWith('.md'));
    expect(files).toHaveLength(count);
    for (const f of files) {
      const text = fs.readFileSync(path.join(output, 'comprehensive_lesson', f), 'utf8');
      expect(text.startsWith('---\n')).toBe(true);
      expect(text.trimEnd().length).toBeGreaterThan(200);
    }
  }, 600_000);
});
