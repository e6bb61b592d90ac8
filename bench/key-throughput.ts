/**
 * Benchmark (not a test): a batch over 3 keys whose per-minute limits the Gemini stand-in
 * enforces, with fast responses. Prints analyses per minute achieved against the sum of the
 * limits, and the share of requests answered 429. Target: >= 95 % of the summed limit, <= 1 % 429s.
 *
 *   npm run bench:keys -- [--rpm 60] [--minutes 3] [--concurrency 60] [--default-partitions]
 *
 * --default-partitions runs it on a server with Temporal's default settings (four partitions per
 * task queue) instead of the project's (one), to measure what a cluster left as it is gives.
 */
import path from 'node:path';
import type { ApiKey } from '../src/config';
import type { BatchInput, BatchSummary } from '../src/types';
import { BatchWorkflow } from '../src/workflows';
import { processingOptions } from '../tests/support/processing-options';
import { linkSampleVideos, startLocalStack } from './support/local-stack';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const rpm = arg('rpm', 60);
  const minutes = arg('minutes', 3);
  const model = 'gemini-3.8-flash';
  const aliases = ['lab-a', 'lab-b', 'lab-c'];
  const videos = Math.ceil(rpm * aliases.length * minutes);
  const keys: ApiKey[] = aliases.map((alias) => ({
    alias,
    envVar: alias,
    value: `bench-${alias}-0123456789`,
    limits: { [model]: { rpm } },
  }));
  const stack = await startLocalStack({
    name: 'keys',
    taskQueue: 'bench-keys',
    standin: {
      processingMs: 0,
      keys: keys.map((k) => ({ name: k.alias, value: k.value, limits: { [model]: { rpm } } })),
    },
    keys,
    workerOptions: { maxConcurrentActivityTaskExecutions: 100 },
    projectServerSettings: !process.argv.includes('--default-partitions'),
  });
  const { client, standin, taskQueue } = stack;
  const videoDir = linkSampleVideos(stack.dir, videos, 'v');
  const input: BatchInput = {
    batchId: 'bench-keys',
    label: 'bench',
    sources: { inputs: [videoDir], listFiles: [], recursive: false, include: [], exclude: [] },
    options: processingOptions(path.join(stack.dir, 'out'), {
      template: 'summary_report',
      models: [model],
      rateLimitedModels: Object.fromEntries(aliases.map((a) => [a, [model]])),
    }),
    concurrency: arg('concurrency', 60),
    keyAliases: aliases,
  };
  console.log(
    `${videos} videos, 3 keys × ${rpm} rpm = ${rpm * 3} analyses/min allowed; expect about ${minutes} min ...`,
  );
  const summary = (await client.workflow.execute(BatchWorkflow, {
    workflowId: 'bench-keys',
    taskQueue,
    args: [input],
  })) as BatchSummary;

  const calls = standin.stats().log.filter((e) => e.route === 'generate');
  const ok = calls
    .filter((e) => e.status === 200)
    .map((e) => e.at)
    .sort((a, b) => a - b);
  const minutesTaken = (ok[ok.length - 1] - ok[0]) / 60_000;
  const perMinute = (ok.length - 1) / minutesTaken;
  // Steady state: the middle 80 % of the run, without the start-up ramp and the tail.
  const lo = ok[Math.floor(ok.length * 0.1)];
  const hi = ok[Math.floor(ok.length * 0.9)];
  const steady = (Math.floor(ok.length * 0.9) - Math.floor(ok.length * 0.1)) / ((hi - lo) / 60_000);
  const share429 = calls.filter((e) => e.status === 429).length / calls.length;
  console.log(`succeeded ${summary.succeeded}/${summary.total}, failed ${summary.failed}`);
  console.log(
    `analyses per minute: ${perMinute.toFixed(1)} of ${rpm * 3} allowed = ${((perMinute / (rpm * 3)) * 100).toFixed(1)} %`,
  );
  console.log(
    `steady state (middle 80 %): ${steady.toFixed(1)} per minute = ${((steady / (rpm * 3)) * 100).toFixed(1)} %`,
  );
  console.log(
    `requests answered 429: ${calls.filter((e) => e.status === 429).length} of ${calls.length} = ${(share429 * 100).toFixed(2)} %`,
  );
  for (const a of aliases)
    console.log(`  ${a}: ${calls.filter((e) => e.key === a && e.status === 200).length} analyses`);

  await stack.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
