/**
 * Benchmark (not a test): tokens per minute kept before the call. Two projects with two keys each
 * share one tokens-per-minute limit per project; the Gemini stand-in enforces it per project from
 * its own arithmetic (each second of video at the model's documented rate, plus the text), and two
 * worker processes (this one and a child) run one batch of videos of varied lengths. After
 * --minutes of calls, prints per minute the input tokens each project sent against its limit and
 * the share of calls answered 429. Target: >= 90 % of tpm used, <= 1 % 429s.
 *
 *   npm run bench:tpm -- [--minutes 5] [--tpm 1000000] [--concurrency 48]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { ApiKey } from '../src/config';
import type { BatchInput } from '../src/types';
import { BatchWorkflow } from '../src/workflows';
import { keyPoolWorkflowId } from '../src/workflows/ids';
import { minuteUsageQuery } from '../src/workflows/key-pool-workflow';
import type { RequestLogEntry } from '../standin/types';
import { processingOptions } from '../tests/support/processing-options';
import { startLocalStack } from './support/local-stack';
import { stretchedSample } from './support/stretched-video';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!(value > 0)) throw new Error(`--${name} wants a positive number`);
  return value;
}

const minutes = arg('minutes', 5);
const tpm = arg('tpm', 1_000_000);
const concurrency = arg('concurrency', 48);
/** A model on which low resolution saves tokens (258 tokens per frame, 66 at low; audio 32/s). */
const model = 'gemini-2.5-flash';
const minuteMs = 60_000;
const projects = { north: ['north-1', 'north-2'], south: ['south-1', 'south-2'] };
/** Lengths from 1 to 10 minutes, mixed: about 290 tokens a second at the default resolution. */
const durations = [90, 600, 240, 45, 420, 150, 330, 60, 510, 200];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function writeVideos(dir: string, count: number): string {
  const videoDir = path.join(dir, 'videos');
  fs.mkdirSync(videoDir);
  for (let i = 0; i < count; i++) {
    const seconds = durations[i % durations.length];
    fs.writeFileSync(path.join(videoDir, `v${String(i).padStart(4, '0')}-${seconds}s.mp4`), stretchedSample(seconds));
  }
  return videoDir;
}

/** The second worker: a process of its own with the same config (projects, limits) and key values. */
function spawnWorker(env: Record<string, string>): ChildProcess {
  const root = path.resolve(__dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'worker.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

function report(calls: RequestLogEntry[], start: number): { used: number; share429: number } {
  const generate = calls.filter((e) => e.route === 'generate' && (e.admittedAt ?? e.at) >= start);
  const names = Object.keys(projects);
  const rows: string[] = [];
  let usedSum = 0;
  for (let m = 0; m < minutes; m++) {
    const from = start + m * minuteMs;
    const inMinute = generate.filter((e) => (e.admittedAt ?? e.at) >= from && (e.admittedAt ?? e.at) < from + minuteMs);
    const cells = names.map((p) => {
      const tokens = inMinute
        .filter((e) => e.project === p && e.status === 200)
        .reduce((s, e) => s + (e.promptTokens ?? 0), 0);
      usedSum += tokens;
      return `${p} ${String(tokens).padStart(9)} / ${tpm} = ${((tokens / tpm) * 100).toFixed(1).padStart(5)} %`;
    });
    const refused = inMinute.filter((e) => e.status === 429).length;
    rows.push(`  minute ${m + 1}: ${cells.join('   ')}   calls ${inMinute.length}, 429 ${refused}`);
  }
  console.log(rows.join('\n'));
  const share429 = generate.filter((e) => e.status === 429).length / Math.max(1, generate.length);
  return { used: usedSum / (minutes * names.length * tpm), share429 };
}

/** Booked moments by video workflow id, read from every run of the key pool's history. */
async function bookings(client: Client, taskQueue: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for await (const run of client.workflow.list({ query: `WorkflowId = "${keyPoolWorkflowId(taskQueue)}"` })) {
    const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const data = e.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads?.[0]?.data;
      if (!data) continue;
      const r = JSON.parse(Buffer.from(data).toString('utf8')) as { id?: string; startAt?: number };
      if (r.id && r.startAt) out.set(r.id.slice(0, r.id.lastIndexOf('/')), r.startAt);
    }
  }
  return out;
}

/**
 * How late calls reached Gemini after their booked moment (a late call overlaps the call booked a
 * minute after it), and what each 429 found in its project's minute.
 */
async function printLateness(client: Client, taskQueue: string, log: RequestLogEntry[], start: number): Promise<void> {
  const booked = await bookings(client, taskQueue);
  const calls = log.filter((e) => e.route === 'generate' && e.admittedAt !== undefined && e.admittedAt >= start);
  const late: number[] = [];
  for (const c of calls) {
    const id = [...booked.keys()].find((k) => c.video && k.includes(c.video.replace(/\.mp4$/, '')));
    if (id) late.push((c.admittedAt as number) - (booked.get(id) as number));
  }
  late.sort((a, b) => a - b);
  const at = (q: number) => late[Math.min(late.length - 1, Math.floor(q * late.length))] ?? 0;
  console.log(
    `  calls' delay after their booked moment (ms): median ${at(0.5)}, p90 ${at(0.9)}, max ${at(1)} (${late.length} calls)`,
  );
  for (const c of calls.filter((e) => e.status === 429)) {
    const t = c.admittedAt as number;
    const inWindow = calls.filter(
      (e) =>
        e.project === c.project &&
        e.status === 200 &&
        (e.admittedAt as number) > t - minuteMs &&
        (e.admittedAt as number) <= t,
    );
    console.log(
      `  429 at +${Math.round((t - start) / 1000)} s for ${c.video} (${c.project}): the minute held ${inWindow.reduce((s, e) => s + (e.promptTokens ?? 0), 0)} tokens in ${inWindow.length} calls`,
    );
  }
}

async function main(): Promise<void> {
  const limits = { [model]: { tpm } };
  const keys: ApiKey[] = Object.entries(projects).flatMap(([project, aliases]) =>
    aliases.map((alias) => ({
      alias,
      envVar: `BENCH_KEY_${alias.replace('-', '_').toUpperCase()}`,
      value: `bench-${alias}-0123456789`,
      project,
      limits,
    })),
  );
  const stack = await startLocalStack({
    name: 'tpm',
    taskQueue: 'bench-tpm',
    standin: {
      processingMs: 500,
      latencyMs: { generate: { min: 2000, max: 4000 }, default: 0 },
      keys: keys.map((k) => ({ name: k.alias, value: k.value, project: k.project })),
      projectLimits: Object.fromEntries(Object.keys(projects).map((p) => [p, limits])),
      logLimit: 100_000,
    },
    keys,
    workerOptions: { maxConcurrentActivityTaskExecutions: 100 },
  });
  const { client, standin, taskQueue } = stack;
  const config = path.join(stack.dir, 'lesson-forge.config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      keys: keys.map((k) => ({ name: k.alias, env: k.envVar, project: k.project, limits: k.limits })),
      outputRoots: [os.tmpdir()],
    }),
  );
  const child = spawnWorker({
    TEMPORAL_ADDRESS: stack.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    GEMINI_BASE_URL: standin.url,
    LESSON_FORGE_CONFIG: config,
    ...Object.fromEntries(keys.map((k) => [k.envVar, k.value])),
  });
  const meanTokens = (durations.reduce((a, b) => a + b, 0) / durations.length) * 290;
  // Enough work that both projects stay busy for the whole run, with some to spare.
  const videos = Math.ceil(((minutes + 1) * 2 * tpm * 1.2) / meanTokens);
  const videoDir = writeVideos(stack.dir, videos);
  const aliases = keys.map((k) => k.alias);
  const input: BatchInput = {
    batchId: 'bench-tpm',
    label: 'bench',
    sources: { inputs: [videoDir], listFiles: [], recursive: false, include: [], exclude: [] },
    options: processingOptions(path.join(stack.dir, 'out'), {
      template: 'summary_report',
      models: [model],
      tokenLimitedModels: Object.fromEntries(aliases.map((a) => [a, [model]])),
      keyProjects: Object.fromEntries(keys.map((k) => [k.alias, k.project as string])),
    }),
    concurrency,
    keyAliases: aliases,
  };
  console.log(
    `${videos} videos of ${Math.min(...durations)}-${Math.max(...durations)} s (~${Math.round(meanTokens)} video tokens each, plus the prompt), ` +
      `2 projects × 2 keys, ${tpm} tokens/min per project, 2 worker processes; measuring ${minutes} min ...`,
  );
  const handle = await client.workflow.start(BatchWorkflow, { workflowId: 'bench-tpm', taskQueue, args: [input] });
  // The clock starts at the first call Gemini admits (uploads come first).
  let start: number | undefined;
  while (start === undefined) {
    await sleep(1000);
    start = standin.stats().log.find((e) => e.route === 'generate')?.admittedAt;
  }
  await sleep(start + minutes * minuteMs - Date.now() + 5000);
  const { used, share429 } = report(standin.stats().log, start);
  const keyCalls = standin.stats().log.filter((e) => e.route === 'generate' && e.status === 200);
  console.log(
    `  calls per key: ${aliases.map((a) => `${a} ${keyCalls.filter((e) => e.key === a).length}`).join(', ')}`,
  );
  console.log(`tokens per minute used: ${(used * 100).toFixed(1)} % of the limit (target >= 90 %)`);
  console.log(`calls answered 429: ${(share429 * 100).toFixed(2)} % (target <= 1 %)`);
  const minute = await client.workflow.getHandle(keyPoolWorkflowId(taskQueue)).query(minuteUsageQuery);
  console.log(
    `  actual / expected input tokens (the pool's learned ratio): ${minute.map((m) => `${m.project} ${m.ratio}`).join(', ')}`,
  );
  await printLateness(client, taskQueue, standin.stats().log, start);
  console.log(
    `  load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );
  await handle.terminate('benchmark over').catch(() => undefined);
  child.kill('SIGTERM');
  await stack.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
