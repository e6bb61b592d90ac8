import fs from 'node:fs';
import os from 'node:os';
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
import { stretchedSample } from '../../bench/support/stretched-video';

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

  test('a worker killed between the clips of a video above its minute: the clips already answered are not asked again', async () => {
    // 240 s of gemini-3.8-flash (102 tokens/s) and ~2,400 of prompt are ~26,900 tokens: above
    // 20,000 a minute, so two clips of 120 s (~14,600 each), booked a (real) minute apart.
    const model = 'gemini-3.8-flash';
    const tpm = 20_000;
    const value = 'lab-key-value-0123456789';
    const clipStandin = await startGeminiStandin({
      processingMs: 50,
      keys: [{ name: 'lab-1', value, project: 'lab' }],
      projectLimits: { lab: { [model]: { tpm } } },
    });
    const taskQueue = uniqueId('crash-clips');
    const config = path.join(tempDir('worker-cfg'), 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        outputRoots: [os.tmpdir()],
        keys: [{ name: 'lab-1', env: 'KEY_LAB_1', project: 'lab', limits: { [model]: { tpm } } }],
      }),
    );
    const env = {
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      KEY_LAB_1: value,
      GEMINI_BASE_URL: clipStandin.url,
      LESSON_FORGE_CONFIG: config,
    };
    const videos = tempDir('long-lesson');
    fs.writeFileSync(path.join(videos, 'long-lesson.mp4'), stretchedSample(240));
    const batchId = uniqueId('crash-clips');
    const output = tempDir('out');
    try {
      const first = spawnWorkerProcess(env);
      workers.push(first);
      const handle = await client.workflow.start(BatchWorkflow, {
        workflowId: batchId,
        taskQueue,
        args: [
          batchInput(
            batchId,
            [videos],
            output,
            { concurrency: 1, keyAliases: ['lab-1'] },
            {
              models: [model],
              tokenLimitedModels: { 'lab-1': [model] },
              keyProjects: { 'lab-1': 'lab' },
            },
          ),
        ],
      });
      const answered = () => clipStandin.stats().log.filter((e) => e.route === 'generate' && e.status === 200);
      // Killed once the first clip's answer is kept in the work folder, while the second waits for
      // its moment. (Killed as soon as Gemini answers, the answer would be lost on its way to the
      // worker and rightly asked again.)
      const firstClipKept = () =>
        fs.readdirSync(output, { recursive: true, encoding: 'utf8' }).some((f) => /-clip1of2\.json$/.test(f));
      await waitFor(() => fs.existsSync(output) && firstClipKept(), 120_000, 'the first clip answered and kept');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      expect(answered()).toHaveLength(1);
      const second = spawnWorkerProcess(env);
      workers.push(second);
      const summary = (await handle.result()) as BatchSummary;
      second.kill('SIGTERM');
      expect(summary).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
      // Each clip was paid for once: the new worker's attempt took the first from the work folder.
      const calls = clipStandin.stats().log.filter((e) => e.route === 'generate');
      expect(answered()).toHaveLength(2);
      expect(calls.filter((e) => e.status === 429)).toEqual([]);
      const times = answered().map((e) => e.admittedAt ?? e.at);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(60_000);
    } finally {
      await clipStandin.close();
    }
  }, 600_000);
});
