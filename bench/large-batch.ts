/**
 * `npm run bench:batch -- --videos 10000 [--concurrency 40]`: one large batch end to end on this
 * machine. Starts its own Temporal dev server (SQLite, headless, free port), the Gemini stand-in
 * with no latency and an in-process worker; the videos are hard links of one small sample (each
 * is still hashed, uploaded and written as a file of its own). Prints throughput, the longest
 * history of any batch run (walking the continue-as-new chain), the number of runs and peak RSS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startGeminiStandin } from '../src/standin';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/port';
import type { BatchInput, BatchProgress, BatchSummary } from '../src/types';
import { createWorker } from '../src/worker';
import { BatchWorkflow } from '../src/workflows';
import { progressQuery } from '../src/workflows/definitions';

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} wants a positive whole number`);
  return value;
}

/** Follows each run's closing ContinuedAsNew event to the next run: the chain a person sees in the UI. */
async function walkRuns(client: Client, workflowId: string, firstRunId: string): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const events = history.events ?? [];
    lengths.push(events.length);
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}

async function main(): Promise<void> {
  const videos = argValue('videos', 10_000);
  const concurrency = argValue('concurrency', 40);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-bench-batch-'));
  const sample = path.resolve(__dirname, '..', 'samples', 'color-theory-intro.mp4');
  const videoDir = path.join(root, 'videos');
  fs.mkdirSync(videoDir);
  for (let i = 0; i < videos; i++) fs.linkSync(sample, path.join(videoDir, `clip-${String(i).padStart(5, '0')}.mp4`));

  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const port = await freePort();
  const server = await startDevServer({ port, headless: true, dbFile: path.join(root, 'temporal.db') });
  const standin = await startGeminiStandin({ processingMs: 0, latencyMs: 0, logLimit: 100 });
  const address = server.address;
  const taskQueue = 'bench-large-batch';
  const { worker, close } = await createWorker({
    address,
    namespace: 'default',
    taskQueue,
    settings: { env: { TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue, GEMINI_BASE_URL: standin.url }, file: {} },
    keys: [{ alias: 'default', envVar: 'GEMINI_API_KEY', value: 'bench-key-0123456789', limits: {} }],
    deps: { filePollMs: 50 },
  });
  const running = worker.run();
  // The worker runs in this process, so this process's RSS is the worker's (plus a small client).
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);

  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const batchId = `bench-${Date.now().toString(36)}`;
  const input: BatchInput = {
    batchId,
    label: `${videos} benchmark videos`,
    sources: { inputs: [videoDir], listFiles: [], recursive: false, include: [], exclude: [] },
    options: {
      template: 'summary_report',
      templateParams: {},
      models: ['gemini-3.5-flash-lite'],
      outputDir: path.join(root, 'out'),
      outputPattern: '{template}/{name}.md',
      templateDirs: [],
      force: false,
      keepUploads: false,
      failureGraceSeconds: 0,
    },
    concurrency,
    keyAliases: ['default'],
  };
  console.log(`${videos} videos, concurrency ${concurrency}, Temporal ${address}, work dir ${root}`);
  const started = Date.now();
  const handle = await client.workflow.start(BatchWorkflow, { workflowId: batchId, taskQueue, args: [input] });
  const firstRunId = handle.firstExecutionRunId;
  const ticker = setInterval(() => {
    handle
      .query(progressQuery)
      .then((p: BatchProgress) => {
        const done = p.succeeded + p.failed + p.skipped;
        const seconds = (Date.now() - started) / 1000;
        console.log(`${seconds.toFixed(0)}s: ${done}/${p.total} done, ${p.running} running, run ${p.generation}, ${(done / seconds).toFixed(1)} videos/s`);
      })
      .catch(() => undefined); // between runs a query may miss; the next tick will do
  }, 15_000);

  // A failed video's histories are worth reading: keep the work dir (and its server database) then.
  let keep = false;
  try {
    const summary = (await handle.result()) as BatchSummary;
    keep = summary.failed > 0;
    const seconds = (Date.now() - started) / 1000;
    clearInterval(ticker);
    const runs = await walkRuns(client, batchId, firstRunId);
    console.log(
      JSON.stringify(
        {
          videos,
          concurrency,
          succeeded: summary.succeeded,
          failed: summary.failed,
          skipped: summary.skipped,
          totalSeconds: Math.round(seconds),
          videosPerSecond: Number((videos / seconds).toFixed(2)),
          runs: runs.length,
          largestRunHistoryEvents: Math.max(...runs),
          runHistoryEvents: runs,
          workerPeakRssMiB: Math.round(peakRss / 2 ** 20),
          geminiGenerateCalls: standin.stats().totals.generate,
          // A benchmark with no faults should have no failures: say why, before the folder goes.
          failures: summary.failures.map((f) => `${f.title}: ${f.errorType ?? ''} ${f.reason}`),
        },
        null,
        2,
      ),
    );
  } finally {
    clearInterval(ticker);
    clearInterval(sampler);
    worker.shutdown();
    await running;
    await close();
    await connection.close();
    await standin.close();
    await server.stop();
    if (keep) console.log(`Kept ${root} for reading the failed videos' histories: temporal server start-dev --db-filename ${path.join(root, 'temporal.db')}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
