import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client, Connection } from '@temporalio/client';
import { createSchedule } from '../../src/cli/commands/schedule';
import { loadCatalog } from '../../src/gemini/catalog';
import {
  deleteSchedule,
  listSchedules,
  pauseSchedule,
  readSchedule,
  resumeSchedule,
  ScheduleMissingError,
  triggerSchedule,
} from '../../src/schedules/manage';
import type { RecentRunView, ScheduleView } from '../../src/schedules/view';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import { freePort } from '../../src/temporal/port';
import type { BatchSummary } from '../../src/types';
import {
  connectTestClient,
  makeVideoFolder,
  projectRoot,
  samplesDir,
  startTestWorker,
  tempDir,
  testSettings,
  uniqueId,
  waitFor,
  type RunningWorker,
  scheduleOptions,
} from '../support/harness';

/** Real dev server, real worker, real Gemini SDK to the stand-in; schedules created through the CLI's own functions. */
describe('scheduled batches', () => {
  const taskQueue = uniqueId('schedules');
  const catalog = loadCatalog();
  let standin: GeminiStandin;
  let worker: RunningWorker;
  let client: Client;
  let connection: Connection;
  const created: string[] = [];

  beforeAll(async () => {
    standin = await startGeminiStandin({ processingMs: 50 });
    worker = await startTestWorker(taskQueue, standin.url);
    ({ client, connection } = await connectTestClient());
  });

  afterAll(async () => {
    // A schedule left behind would keep starting batches on the shared server.
    for (const name of created) await deleteSchedule(client, name).catch(() => undefined);
    await worker?.shutdown();
    await connection?.close();
    await standin?.close();
  });

  async function viewWhen(
    name: string,
    ok: (v: ScheduleView) => boolean,
    what: string,
    timeoutMs = 120_000,
  ): Promise<ScheduleView> {
    let view: ScheduleView | undefined;
    await waitFor(async () => ok((view = await readSchedule(client, name))), timeoutMs, what);
    return view!;
  }

  const oldestFirst = (v: ScheduleView): RecentRunView[] => [...v.recentRuns].reverse();

  /**
   * The workers read a webhook's URL from an environment variable the batch names: the test's
   * worker runs in this process, so this process's environment is the workers'.
   */
  let hooks = 0;
  const hookVariable = (url: string): string => {
    const name = `LF_TEST_HOOK_${++hooks}`;
    process.env[name] = url;
    return name;
  };

  /** A local webhook receiver that records every JSON body it is sent. */
  async function startReceiver(): Promise<{ url: string; bodies: BatchSummary[]; close: () => Promise<void> }> {
    const bodies: BatchSummary[] = [];
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString('utf8')));
      req.on('end', () => {
        bodies.push(JSON.parse(text) as BatchSummary);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      url: `http://127.0.0.1:${port}/hook`,
      bodies,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }

  test('an interval schedule runs by itself; a later run processes only the file added in between, then says "nothing new"', async () => {
    const videos = makeVideoFolder(2);
    const output = tempDir('sched-out');
    const receiver = await startReceiver();
    const name = uniqueId('every');
    created.push(name);
    try {
      const { outcome } = await createSchedule(
        client,
        testSettings(taskQueue, standin.url),
        catalog,
        name,
        [videos],
        scheduleOptions(output, { every: '3s', webhookEnv: hookVariable(receiver.url) }),
      );
      expect(outcome).toBe('created');

      const first = await viewWhen(
        name,
        (v) => v.recentRuns.some((r) => r.status === 'COMPLETED'),
        'the first scheduled run',
      );
      const firstRun = oldestFirst(first).find((r) => r.status === 'COMPLETED')!;
      expect(firstRun.summary).toMatchObject({ total: 2, succeeded: 2, failed: 0, batchId: firstRun.batchId });

      // Added atomically (copy beside, then rename) so no run can see half a file.
      const staged = path.join(tempDir('staged'), 'lesson-03.webm');
      fs.copyFileSync(path.join(samplesDir, 'perspective-drawing.webm'), staged);
      fs.renameSync(staged, path.join(videos, 'lesson-03.webm'));

      const picked = (v: ScheduleView) => oldestFirst(v).findIndex((r) => r.summary?.succeeded === 1);
      const after = await viewWhen(
        name,
        (v) =>
          picked(v) >= 0 &&
          oldestFirst(v)
            .slice(picked(v) + 1)
            .some((r) => r.status === 'COMPLETED'),
        'the new file processed, then one more run',
      );
      await pauseSchedule(client, name, 'test done');

      const runs = oldestFirst(after).filter((r) => r.status === 'COMPLETED');
      const newFileRun = runs.find((r) => r.summary?.succeeded === 1)!;
      expect(newFileRun.summary).toMatchObject({ total: 3, succeeded: 1, skipped: 2, failed: 0 });
      expect(newFileRun.summary!.outputs.join()).toContain('lesson-03');
      const lastRun = runs.at(-1)!;
      expect(lastRun.nothingNew).toBe(true);
      expect(lastRun.result).toMatch(/^nothing new/);
      expect(lastRun.summary).toMatchObject({ total: 3, skipped: 3, succeeded: 0, costUsd: 0 });
      // The first completed run was started by the interval, not a trigger; more followed it.
      expect(runs.length).toBeGreaterThanOrEqual(3);

      // Every run is its own batch: "<name>-<time>", which BatchWorkflow takes as its batch id.
      const ids = runs.map((r) => r.batchId);
      expect(new Set(ids).size).toBe(ids.length);
      for (const r of runs) {
        expect(r.batchId.startsWith(`${name}-`)).toBe(true);
        expect(r.summary!.batchId).toBe(r.batchId);
      }

      // Each video was uploaded and analysed exactly once over all runs.
      const perVideo = Object.entries(standin.stats().byVideo);
      expect(perVideo.map(([v]) => v).join()).toMatch(/lesson-03/);
      expect(perVideo).toHaveLength(3);
      for (const [, v] of perVideo) expect([v.uploadsCompleted, v.generateCalls]).toEqual([1, 1]);

      // The webhook got each finished run's summary.
      await waitFor(
        () => ids.every((id) => receiver.bodies.some((b) => b.batchId === id)),
        30_000,
        'a webhook per run',
      );
      const hook = receiver.bodies.find((b) => b.batchId === newFileRun.batchId) as BatchSummary & { event?: string };
      expect(hook).toMatchObject({ event: 'batch.finished', total: 3, succeeded: 1, skipped: 2 });
    } finally {
      await receiver.close();
    }
  });

  test('create/update, pause, resume, trigger and delete do what they say; a failed run shows; a webhook that is down fails nothing', async () => {
    const videos = makeVideoFolder(1);
    const output = tempDir('sched-out');
    const deadPort = await freePort(); // nothing listens there
    const name = uniqueId('nightly');
    created.push(name);
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: testSettings(taskQueue, standin.url).env.TEMPORAL_ADDRESS,
      TEMPORAL_TASK_QUEUE: taskQueue,
      NO_COLOR: '1',
    };
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'cli.ts'), ...args], {
        cwd: projectRoot,
        env,
      });

    // Through the real command line: the options reach the schedule.
    await cli(
      'schedule',
      'create',
      name,
      videos,
      '--cron',
      '0 3 * * *',
      '--timezone',
      'Europe/Paris',
      '--model',
      'gemini-3.8-flash',
      '-o',
      output,
      '--no-wait-on-failure',
      '--webhook-env',
      hookVariable(`http://127.0.0.1:${deadPort}/hook`),
    );
    const shown = JSON.parse((await cli('schedule', 'show', name, '--json')).stdout) as ScheduleView;
    expect(shown).toMatchObject({
      name,
      spec: 'cron "0 3 * * *" (Europe/Paris)',
      overlap: 'skip',
      paused: false,
      webhook: true,
      outputDir: output,
      inputs: [videos],
    });

    // Creating it again updates it, and says so.
    const again = await createSchedule(
      client,
      testSettings(taskQueue, standin.url),
      catalog,
      name,
      [videos],
      scheduleOptions(output, {
        cron: '0 2 * * *',
        timezone: 'Europe/Paris',
        webhookEnv: hookVariable(`http://127.0.0.1:${deadPort}/hook`),
      }),
    );
    expect(again.outcome).toBe('updated');
    let view = await readSchedule(client, name);
    expect(view.spec).toBe('cron "0 2 * * *" (Europe/Paris)');
    const parisTime = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(view.nextRuns.length).toBeGreaterThan(1);
    for (const t of view.nextRuns) expect(parisTime.format(new Date(t))).toBe('02:00');

    await pauseSchedule(client, name, 'exams week');
    view = await readSchedule(client, name);
    expect(view).toMatchObject({ paused: true, note: 'exams week', nextRuns: [] });
    await waitFor(
      async () => (await listSchedules(client)).some((r) => r.name === name && r.paused),
      30_000,
      'the paused schedule in the list',
    );

    await resumeSchedule(client, name);
    view = await readSchedule(client, name);
    expect(view.paused).toBe(false);
    expect(view.nextRuns.length).toBeGreaterThan(0);

    // Trigger starts a run now; the dead webhook is retried, then given up on, and the batch completes.
    const runId = await triggerSchedule(client, name);
    expect(runId?.startsWith(`${name}-`)).toBe(true);
    view = await viewWhen(
      name,
      (v) => v.recentRuns.some((r) => r.batchId === runId && r.status !== 'RUNNING'),
      'the triggered run to end',
    );
    expect(view.recentRuns.find((r) => r.batchId === runId)).toMatchObject({
      status: 'COMPLETED',
      summary: { succeeded: 1, failed: 0 },
    });
    // ... and the webhook really was tried: its activity failed for good after its retries.
    const history = await client.workflow.getHandle(runId!).fetchHistory();
    const webhookEvent = history.events?.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyWebhook',
    );
    const webhookFailure = history.events?.find(
      (e) => String(e.activityTaskFailedEventAttributes?.scheduledEventId) === String(webhookEvent?.eventId),
    );
    expect(webhookFailure?.activityTaskFailedEventAttributes?.failure?.message).toMatch(/fetch failed|ECONNREFUSED/i);
    // The webhook is named in the history, never its URL (a URL often carries a token).
    expect(JSON.stringify(history)).not.toContain(`${deadPort}/hook`);

    // A run whose folder has gone fails, and the schedule shows it with the reason.
    fs.rmSync(videos, { recursive: true, force: true });
    const failedId = await triggerSchedule(client, name);
    expect(failedId).toBeDefined();
    view = await viewWhen(
      name,
      (v) => v.recentRuns.some((r) => r.batchId === failedId && r.status !== 'RUNNING'),
      'the failing run to end',
    );
    const failed = view.recentRuns.find((r) => r.batchId === failedId)!;
    expect(failed.status).toBe('FAILED');
    expect(failed.result).toContain(path.basename(videos));

    await deleteSchedule(client, name);
    await expect(readSchedule(client, name)).rejects.toBeInstanceOf(ScheduleMissingError);
    await waitFor(
      async () => !(await listSchedules(client)).some((r) => r.name === name),
      30_000,
      'the schedule gone from the list',
    );
  });
});
