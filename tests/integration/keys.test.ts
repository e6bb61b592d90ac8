import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Client, Connection } from '@temporalio/client';
import type { ApiKey } from '../../src/config';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import type { BatchSummary } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import { keyPoolQuery, resetQuotasSignal } from '../../src/workflows/key-pool-workflow';
import { keyPoolWorkflowId } from '../../src/workflows/ids';
import { progressQuery } from '../../src/workflows/definitions';
import {
  batchInput,
  connectTestClient,
  makeVideoFolder,
  spawnWorkerProcess,
  startTestWorker,
  tempDir,
  temporalAddress,
  uniqueId,
  waitFor,
  type RunningWorker,
} from '../support/harness';

const model = 'gemini-3.8-flash';
const valueA = 'key-value-lab-a-0123456789';
const valueB = 'key-value-lab-b-0123456789';
const key = (alias: string, value: string, limits: ApiKey['limits'] = {}): ApiKey => ({
  alias,
  envVar: `KEY_${alias}`,
  value,
  limits,
});

/** Successful generate calls per key label, from the stand-in's request log. */
function okCallsByKey(standin: GeminiStandin): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of standin.stats().log)
    if (e.route === 'generate' && e.status === 200) out[e.key] = (out[e.key] ?? 0) + 1;
  return out;
}

describe('several Gemini keys', () => {
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

  async function setup(keys: ApiKey[], standinKeys: Parameters<typeof startGeminiStandin>[0]) {
    const standin = await startGeminiStandin({ processingMs: 20, ...standinKeys });
    const taskQueue = uniqueId('keys');
    const worker: RunningWorker = await startTestWorker(taskQueue, standin.url, keys);
    cleanups.push(async () => {
      await worker.shutdown();
      await standin.close();
    });
    return { standin, taskQueue };
  }

  test('a key whose daily quota runs out is parked; its videos move to the other key', async () => {
    const { standin, taskQueue } = await setup([key('lab-a', valueA), key('lab-b', valueB)], {
      keys: [
        { name: 'lab-a', value: valueA, limits: { '*': { rpd: 2 } } },
        { name: 'lab-b', value: valueB },
      ],
    });
    const batchId = uniqueId('daily');
    const summary: BatchSummary = await client.workflow.execute(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [
        batchInput(batchId, [makeVideoFolder(6)], tempDir('out'), { concurrency: 2, keyAliases: ['lab-a', 'lab-b'] }),
      ],
    });
    expect(summary).toMatchObject({ total: 6, succeeded: 6, failed: 0 });
    const ok = okCallsByKey(standin);
    expect(ok['lab-a'] ?? 0).toBeLessThanOrEqual(2);
    expect((ok['lab-a'] ?? 0) + (ok['lab-b'] ?? 0)).toBe(6);
    const pool = await client.workflow.getHandle(keyPoolWorkflowId(taskQueue)).query(keyPoolQuery);
    // Spread evenly, lab-a is asked a third time: its per-day 429 parks it until the reset.
    expect(standin.stats().count429).toBeGreaterThanOrEqual(1);
    expect(pool.keys['lab-a'].status).toBe('parked');
    expect(Date.parse(pool.keys['lab-a'].parkedUntil ?? '')).toBeGreaterThan(Date.now());
    expect(pool.keys['lab-b'].status).toBe('active');
  });

  test('a known daily limit is used to the full and never exceeded; the summary warns near it', async () => {
    const { standin, taskQueue } = await setup([key('lab-a', valueA, { '*': { rpd: 2 } }), key('lab-b', valueB)], {
      keys: [
        { name: 'lab-a', value: valueA, limits: { '*': { rpd: 2 } } },
        { name: 'lab-b', value: valueB },
      ],
    });
    const batchId = uniqueId('known');
    const summary: BatchSummary = await client.workflow.execute(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [
        batchInput(batchId, [makeVideoFolder(5)], tempDir('out'), { concurrency: 2, keyAliases: ['lab-a', 'lab-b'] }),
      ],
    });
    expect(summary).toMatchObject({ total: 5, succeeded: 5, failed: 0 });
    expect(standin.stats().count429).toBe(0);
    // Handed out evenly until lab-a's day is used up: exactly its 2, the rest on lab-b.
    expect(okCallsByKey(standin)).toEqual({ 'lab-a': 2, 'lab-b': 3 });
    expect(summary.warnings).toEqual([expect.stringContaining('key "lab-a" has used 2 of 2 daily requests')]);
    expect(JSON.stringify(summary)).not.toContain(valueA);
  });

  test('an invalid key is disabled and reported while the batch completes on the others', async () => {
    const { standin, taskQueue } = await setup([key('lab-a', valueA), key('lab-b', valueB)], {
      keys: [
        { name: 'lab-a', value: valueA, valid: false },
        { name: 'lab-b', value: valueB },
      ],
    });
    const batchId = uniqueId('invalid');
    const summary: BatchSummary = await client.workflow.execute(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [
        batchInput(batchId, [makeVideoFolder(4)], tempDir('out'), { concurrency: 2, keyAliases: ['lab-a', 'lab-b'] }),
      ],
    });
    expect(summary).toMatchObject({ total: 4, succeeded: 4, failed: 0 });
    expect(okCallsByKey(standin)['lab-b']).toBe(4);
    const pool = await client.workflow.getHandle(keyPoolWorkflowId(taskQueue)).query(keyPoolQuery);
    expect(pool.keys['lab-a'].status).toBe('disabled');
    expect(pool.keys['lab-a'].reason).toMatch(/lab-a/);
    expect(JSON.stringify(pool)).not.toContain(valueA);
  });

  test('with every key parked the batch waits, then resumes after the reset', async () => {
    const { standin, taskQueue } = await setup([key('lab-a', valueA), key('lab-b', valueB)], {
      keys: [
        { name: 'lab-a', value: valueA, limits: { '*': { rpd: 1 } } },
        { name: 'lab-b', value: valueB, limits: { '*': { rpd: 1 } } },
      ],
    });
    const batchId = uniqueId('parked');
    const handle = await client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [
        batchInput(
          batchId,
          [makeVideoFolder(3)],
          tempDir('out'),
          { concurrency: 3, keyAliases: ['lab-a', 'lab-b'] },
          { quotaRecheckSeconds: 1 },
        ),
      ],
    });
    const pool = client.workflow.getHandle(keyPoolWorkflowId(taskQueue));
    await waitFor(
      async () => {
        const p = await pool.query(keyPoolQuery).catch(() => undefined);
        return p !== undefined && Object.values(p.keys).every((k) => k.status === 'parked');
      },
      60_000,
      'both keys parked',
    );
    // Waiting, not failing and not spinning: one video left, still running, no new calls.
    const progress = await handle.query(progressQuery);
    expect(progress).toMatchObject({ succeeded: 2, failed: 0, running: 1 });
    const callsWhileParked = standin.stats().totals.generate;
    await new Promise((r) => setTimeout(r, 3000));
    expect(standin.stats().totals.generate).toBe(callsWhileParked);

    standin.advanceDay();
    await pool.signal(resetQuotasSignal);
    const summary = (await handle.result()) as BatchSummary;
    expect(summary).toMatchObject({ total: 3, succeeded: 3, failed: 0 });
  });

  test('per-minute limits hold across two worker processes sharing one key', async () => {
    // The config says 60 rpm: the server enforces 0.97 calls/s on the key's own task queue across
    // both workers (a token bucket: one extra call may pass at the very start). The stand-in
    // refuses more than 7 calls in any 5 s, which a burst of 12 unthrottled calls would exceed.
    const standin = await startGeminiStandin({
      processingMs: 0,
      minuteMs: 5000,
      keys: [{ name: 'lab-a', value: valueA, limits: { [model]: { rpm: 7 } } }],
    });
    const dir = tempDir('cfg');
    const config = path.join(dir, 'lesson-forge.config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        keys: [{ name: 'lab-a', env: 'GEMINI_KEY_LAB_A', limits: { [model]: { rpm: 60 } } }],
        outputRoots: [os.tmpdir()], // the worker writes only inside its output roots
      }),
    );
    const taskQueue = uniqueId('rpm');
    const env = {
      TEMPORAL_ADDRESS: temporalAddress(),
      TEMPORAL_TASK_QUEUE: taskQueue,
      GEMINI_KEY_LAB_A: valueA,
      GEMINI_BASE_URL: standin.url,
      LESSON_FORGE_CONFIG: config,
    };
    const workers: ChildProcess[] = [spawnWorkerProcess(env), spawnWorkerProcess(env)];
    cleanups.push(async () => {
      for (const w of workers) w.kill('SIGKILL');
      await standin.close();
    });
    const batchId = uniqueId('rpm');
    const summary: BatchSummary = await client.workflow.execute(BatchWorkflow, {
      workflowId: batchId,
      taskQueue,
      args: [
        batchInput(
          batchId,
          [makeVideoFolder(12)],
          tempDir('out'),
          { concurrency: 12, keyAliases: ['lab-a'] },
          { rateLimitedModels: { 'lab-a': [model] } },
        ),
      ],
    });
    expect(summary).toMatchObject({ total: 12, succeeded: 12, failed: 0 });
    expect(standin.stats().count429).toBe(0);
    const times = standin
      .stats()
      .log.filter((e) => e.route === 'generate')
      .map((e) => e.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(12);
    // After the start, calls come no faster than the configured ~1 per second, from both workers together.
    for (let i = 2; i + 5 < times.length; i++) expect(times[i + 5] - times[i]).toBeGreaterThanOrEqual(4500);
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(9000);
  });
});
