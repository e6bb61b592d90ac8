/**
 * Benchmark (not a test): a batch over 3 keys whose per-minute limits the Gemini stand-in
 * enforces, with fast responses. Prints analyses per minute achieved against the sum of the
 * limits, and the share of requests answered 429. Target: >= 95 % of the summed limit, <= 1 % 429s.
 *
 *   npm run bench:keys -- [--rpm 60] [--minutes 3] [--concurrency 60]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startGeminiStandin } from '../src/standin';
import { startDevServer } from '../src/temporal/dev-server';
import { freePort } from '../src/temporal/port';
import { createWorker } from '../src/worker';
import { BatchWorkflow } from '../src/workflows';
import type { ApiKey } from '../src/config';
import type { BatchInput, BatchSummary } from '../src/types';

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
  Runtime.install({ logger: new DefaultLogger('ERROR') });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-bench-keys-'));
  const server = await startDevServer({ port: await freePort(), headless: true, dbFile: path.join(dir, 'temporal.db') });
  const standin = await startGeminiStandin({
    processingMs: 0,
    keys: aliases.map((name) => ({ name, value: `bench-${name}-0123456789`, limits: { [model]: { rpm } } })),
  });
  const keys: ApiKey[] = aliases.map((alias) => ({ alias, envVar: alias, value: `bench-${alias}-0123456789`, limits: { [model]: { rpm } } }));

  const videoDir = path.join(dir, 'videos');
  fs.mkdirSync(videoDir);
  const sample = path.resolve(__dirname, '..', 'samples', 'color-theory-intro.mp4');
  for (let i = 0; i < videos; i++) fs.copyFileSync(sample, path.join(videoDir, `v${String(i).padStart(5, '0')}.mp4`));

  const taskQueue = 'bench-keys';
  const { worker, close } = await createWorker({
    address: server.address,
    namespace: 'default',
    taskQueue,
    settings: { env: { TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: taskQueue, GEMINI_BASE_URL: standin.url }, file: {} },
    keys,
    deps: { filePollMs: 50 },
    workerOptions: { maxConcurrentActivityTaskExecutions: 100 },
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const input: BatchInput = {
    batchId: 'bench-keys',
    label: 'bench',
    sources: { inputs: [videoDir], listFiles: [], recursive: false, include: [], exclude: [] },
    options: {
      template: 'summary_report',
      templateParams: {},
      models: [model],
      outputDir: path.join(dir, 'out'),
      outputPattern: '{template}/{name}.md',
      templateDirs: [],
      force: false,
      keepUploads: false,
      failureGraceSeconds: 0,
      rateLimitedModels: Object.fromEntries(aliases.map((a) => [a, [model]])),
    },
    concurrency: arg('concurrency', 60),
    keyAliases: aliases,
  };
  console.log(`${videos} videos, 3 keys × ${rpm} rpm = ${rpm * 3} analyses/min allowed; expect about ${minutes} min ...`);
  const summary = (await client.workflow.execute(BatchWorkflow, { workflowId: 'bench-keys', taskQueue, args: [input] })) as BatchSummary;

  const calls = standin.stats().log.filter((e) => e.route === 'generate');
  const ok = calls.filter((e) => e.status === 200).map((e) => e.at).sort((a, b) => a - b);
  const minutesTaken = (ok[ok.length - 1] - ok[0]) / 60_000;
  const perMinute = (ok.length - 1) / minutesTaken;
  // Steady state: the middle 80 % of the run, without the start-up ramp and the tail.
  const lo = ok[Math.floor(ok.length * 0.1)];
  const hi = ok[Math.floor(ok.length * 0.9)];
  const steady = (Math.floor(ok.length * 0.9) - Math.floor(ok.length * 0.1)) / ((hi - lo) / 60_000);
  const share429 = calls.filter((e) => e.status === 429).length / calls.length;
  console.log(`succeeded ${summary.succeeded}/${summary.total}, failed ${summary.failed}`);
  console.log(`analyses per minute: ${perMinute.toFixed(1)} of ${rpm * 3} allowed = ${((perMinute / (rpm * 3)) * 100).toFixed(1)} %`);
  console.log(`steady state (middle 80 %): ${steady.toFixed(1)} per minute = ${((steady / (rpm * 3)) * 100).toFixed(1)} %`);
  console.log(`requests answered 429: ${calls.filter((e) => e.status === 429).length} of ${calls.length} = ${(share429 * 100).toFixed(2)} %`);
  for (const a of aliases) console.log(`  ${a}: ${calls.filter((e) => e.key === a && e.status === 200).length} analyses`);

  worker.shutdown();
  await running;
  await close();
  await connection.close();
  await standin.close();
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
