import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import { freePort } from '../../src/temporal/port';
import type { BatchSummary } from '../../src/types';
import {
  makeVideoFolder,
  spawnWorkerProcess,
  tempDir,
  uniqueId,
  waitFor,
  workflowsWithCompletedActivity,
} from '../support/harness';
import { runCommand, startPlainServer, watchOutput, type PlainServer } from '../support/foreign-server';

/** TaskQueueType of Temporal's API. */
const WORKFLOW_QUEUE = 1;

/** A user's folder with `videos/` in it, where commands run with relative paths. */
function userFolder(videoCount: number): string {
  const dir = tempDir('user');
  fs.renameSync(makeVideoFolder(videoCount), path.join(dir, 'videos'));
  return dir;
}

/**
 * Against a server started as anyone would (`temporal server start-dev`, none of the project's
 * settings): the installed command, run from a user's folder in its own process, and workers in
 * processes of their own.
 */
describe('a Temporal server this project did not start', () => {
  let server: PlainServer;
  let standin: GeminiStandin;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    [server, standin] = await Promise.all([
      startPlainServer(),
      startGeminiStandin({ processingMs: 50, latencyMs: { min: 600, max: 900 } }),
    ]);
  });

  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    await standin?.close();
    await server?.stop();
  });

  const customAttributes = async () =>
    Object.keys(
      (await server.connection.operatorService.listSearchAttributes({ namespace: 'default' })).customAttributes ?? {},
    );

  test('Temporal problems are one message that says what to do, with exit code 3, never a stack trace', async () => {
    const cwd = userFolder(1);
    const [unreachable, noNamespace] = await Promise.all([
      runCommand(['start-batch', 'videos', '--wait'], {
        cwd,
        env: { TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}` },
      }),
      runCommand(['status', 'some-batch'], {
        cwd,
        env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'no-such-ns' },
      }),
    ]);
    expect(unreachable).toMatchObject({ code: 3 });
    expect(unreachable.stderr).toMatch(/Cannot reach the Temporal server at 127\.0\.0\.1:\d+ \(TEMPORAL_ADDRESS\)/);
    expect(noNamespace).toMatchObject({ code: 3 });
    expect(noNamespace.stderr).toContain('Namespace no-such-ns does not exist');
    expect(noNamespace.stderr).toContain('temporal operator namespace create');
    for (const run of [unreachable, noNamespace]) {
      expect(run.stderr).not.toMatch(/\n\s+at |unexpected error/);
    }
  });

  test('start-batch from a user folder registers the search attributes and is only a client; two workers share the batch, one is SIGKILLed, and no finished analysis is asked again', async () => {
    expect(await customAttributes()).not.toContain('BatchId');
    const cwd = userFolder(6);
    const taskQueue = uniqueId('foreign');
    // No Gemini key: a client needs none.
    const started = await runCommand(['start-batch', 'videos', '--no-wait', '--json', '-o', 'notes', '-c', '3'], {
      cwd,
      env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: taskQueue },
    });
    expect(started.stderr).not.toMatch(/\n\s+at /);
    expect(started.code).toBe(0);
    expect(started.stderr).toContain(`No worker polls task queue ${taskQueue}`);
    const { batchId } = JSON.parse(started.stdout) as { batchId: string };
    expect(await customAttributes()).toEqual(expect.arrayContaining(['BatchId', 'VideoStatus', 'Template', 'Model']));
    // The CLI ran no worker: nobody has polled the batch's queue yet.
    const polled = await server.connection.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
      taskQueueType: WORKFLOW_QUEUE,
    });
    expect(polled.pollers ?? []).toHaveLength(0);
    const handle = server.client.workflow.getHandle(batchId);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const env = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      GEMINI_API_KEY: 'foreign-test-key-0123456789',
      GEMINI_BASE_URL: standin.url,
    };
    const [first, second] = [spawnWorkerProcess(env), spawnWorkerProcess(env)];
    workers.push(first, second);
    // Both workers take part before one is killed (each worker's identity is "<pid>@<host>").
    const identities = async () => {
      const seen = new Set<string>();
      for await (const wf of server.client.workflow.list({ query: `BatchId = "${batchId}"` })) {
        const history = await server.client.workflow.getHandle(wf.workflowId).fetchHistory();
        for (const e of history.events ?? []) {
          const identity = e.activityTaskStartedEventAttributes?.identity;
          if (identity) seen.add(identity.split('@')[0]);
        }
      }
      return seen;
    };
    await waitFor(
      async () =>
        (await identities()).size >= 2 &&
        (await workflowsWithCompletedActivity(server.client, batchId, 'analyzeVideo')).length >= 2,
      240_000,
      'both workers at work and 2 completed analyses',
    );
    expect([...(await identities())].sort()).toEqual([String(first.pid), String(second.pid)].sort());

    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const keyOf = (childId: string) => childId.slice(batchId.length + 1);
    // The completed analyses first, then the stand-in's counts: the other worker may complete one in
    // between, and its call must be in the count it is held to (a call comes before its completion).
    const completed = await workflowsWithCompletedActivity(server.client, batchId, 'analyzeVideo');
    const stats = standin.stats().byVideo;
    const callsWhenCompleted = new Map<string, number>();
    for (const id of completed) callsWhenCompleted.set(id, stats[keyOf(id)]?.generateCalls ?? 0);

    const summary = (await handle.result()) as BatchSummary;
    expect(summary).toMatchObject({ total: 6, succeeded: 6, failed: 0 });
    const after = standin.stats().byVideo;
    for (const [childId, calls] of callsWhenCompleted)
      expect({ video: keyOf(childId), calls: after[keyOf(childId)]?.generateCalls }).toEqual({
        video: keyOf(childId),
        calls,
      });
    // Paths were the user's folder's: videos/ and notes/ under it.
    const written = fs.readdirSync(path.join(cwd, 'notes', 'comprehensive_lesson')).filter((f) => f.endsWith('.md'));
    expect(written).toHaveLength(6);
    second.kill('SIGTERM');
  }, 600_000);

  test('a key with a per-minute limit on default partitions: the worker names the dynamic config to set, and keys status shows it', async () => {
    const cwd = tempDir('user');
    const taskQueue = uniqueId('partitions');
    const keyQueue = `${taskQueue}.gemini.lab-a.gemini-3.8-flash`;
    const config = path.join(cwd, 'lesson-forge.config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({ keys: [{ name: 'lab-a', env: 'LAB_A_KEY', limits: { 'gemini-3.8-flash': { rpm: 30 } } }] }),
    );
    const env = {
      TEMPORAL_ADDRESS: server.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      LESSON_FORGE_CONFIG: config,
      LAB_A_KEY: 'partition-test-key-0123456789',
      GEMINI_BASE_URL: standin.url,
    };
    const worker = spawnWorkerProcess(env);
    workers.push(worker);
    const output = watchOutput(worker);
    await output.waitFor(/matching\.numTaskqueueReadPartitions=1/, 240_000);
    expect(output.text()).toContain(`taskQueueName: "${keyQueue}"`);
    expect(output.text()).toMatch(/matching\.numTaskqueueWritePartitions:\n\s+- value: 1/);

    const status = await runCommand(['keys', 'status', '--json'], {
      cwd,
      env: { ...env, LESSON_FORGE_CONFIG: 'lesson-forge.config.json' },
    });
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as {
      splitKeyQueues: Array<{ queue: string; partitions: number }>;
      warnings: string[];
    };
    expect(report.splitKeyQueues).toEqual([{ queue: keyQueue, partitions: expect.any(Number) }]);
    expect(report.splitKeyQueues[0].partitions).toBeGreaterThan(1);
    expect(report.warnings.join('\n')).toContain('matching.numTaskqueueReadPartitions');
    worker.kill('SIGTERM');
  }, 400_000);
});
