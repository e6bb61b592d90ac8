/**
 * `npm run bench:batch -- --videos 10000 [--concurrency 40]`: one large batch end to end on this
 * machine. Starts its own Temporal dev server (SQLite, headless, free port), the Gemini stand-in
 * with no latency and an in-process worker; the videos are hard links of one small sample (each
 * is still hashed, uploaded and written as a file of its own). Prints throughput, the longest
 * history of any batch run (walking the continue-as-new chain), the number of runs and peak RSS.
 */
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { BatchInput, BatchProgress, BatchSummary } from '../src/types';
import { BatchWorkflow } from '../src/workflows';
import { progressQuery } from '../src/workflows/definitions';
import { processingOptions } from '../tests/support/processing-options';
import { linkSampleVideos, startLocalStack } from './support/local-stack';

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
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    lengths.push(events.length);
    runId = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}

async function main(): Promise<void> {
  const videos = argValue('videos', 10_000);
  const concurrency = argValue('concurrency', 40);
  const stack = await startLocalStack({
    name: 'batch',
    taskQueue: 'bench-large-batch',
    standin: { processingMs: 0, latencyMs: 0, logLimit: 100 },
    keys: [{ alias: 'default', envVar: 'GEMINI_API_KEY', value: 'bench-key-0123456789', limits: {} }],
  });
  const { client, standin, taskQueue, dir: root, address } = stack;
  const videoDir = linkSampleVideos(root, videos);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);

  const batchId = `bench-${Date.now().toString(36)}`;
  const input: BatchInput = {
    batchId,
    label: `${videos} benchmark videos`,
    sources: { inputs: [videoDir], listFiles: [], recursive: false, include: [], exclude: [] },
    options: processingOptions(path.join(root, 'out'), {
      template: 'summary_report',
      models: ['gemini-3.5-flash-lite'],
    }),
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
        console.log(
          `${seconds.toFixed(0)}s: ${done}/${p.total} done, ${p.running} running, run ${p.generation}, ${(done / seconds).toFixed(1)} videos/s`,
        );
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
    await stack.stop({ keepDir: keep });
    if (keep)
      console.log(
        `Kept ${root} for reading the failed videos' histories: temporal server start-dev --db-filename ${path.join(root, 'temporal.db')}`,
      );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
