/**
 * Benchmark (not a test): what 100 videos × 3 templates are billed, three ways, against the Gemini
 * stand-in. The bill is the stand-in's own count (generate usage, cached reads, caches' creation
 * and token-hours, Batch API requests at their price factor) priced with the catalog, never the
 * project's estimate:
 *
 *   (a) three interactive batches, one template each (each uploads and sends every video);
 *   (b) one interactive batch with the three templates (one upload, the video in a context cache);
 *   (c) one economy batch with the three templates — only when `start-batch --economy` exists.
 *
 * Batches are built as the command line builds them (`buildBatchRequest`). The files are the 12-s
 * samples (fast to hash and upload); the stand-in bills each as a lesson of `--minutes` (default 10)
 * so video input weighs as it does in a real lesson (`--minutes 0`: the files' own length).
 *
 *   npm run bench:cost -- [--videos 100] [--minutes 10] [--concurrency 16] [--model gemini-3.8-flash]
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildProgram } from '../src/cli';
import { buildBatchRequest, type BatchCliOptions } from '../src/cli/batch-request';
import { readEnv } from '../src/config/env';
import { loadCatalog } from '../src/gemini/catalog';
import { formatUsd } from '../src/gemini/cost';
import { discoverVideos } from '../src/sources/discover';
import type { BatchSummary } from '../src/types';
import { BatchWorkflow } from '../src/workflows';
import { billOf, type StandinBill } from '../tests/support/standin-bill';
import { startLocalStack, type LocalStack } from './support/local-stack';

const templates = ['comprehensive_lesson', 'quiz', 'summary_report'];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

/** Whether the command line has this option on start-batch (economy mode arrives on its own branch). */
function startBatchHas(option: string): boolean {
  const cmd = buildProgram().commands.find((c) => c.name() === 'start-batch');
  return Boolean(cmd?.options.some((o) => o.long === option));
}

/** One way of making the notes: the batches it runs, each with the command line's options. */
interface Way {
  id: string;
  label: string;
  batches: Array<Partial<BatchCliOptions> & Record<string, unknown>>;
}

interface Measured {
  way: Way;
  bill: StandinBill;
  uploads: number;
  generates: number;
  notes: number;
  projectCostUsd: number;
  seconds: number;
}

async function runWay(stack: LocalStack, way: Way, videos: string, common: BatchCliOptions): Promise<Measured> {
  const catalog = loadCatalog();
  const settings = { env: readEnv({}), file: {} };
  const out = path.join(stack.dir, `out-${way.id}`);
  // Each way is billed on its own: counters reset, and caches and jobs of earlier ways left out.
  stack.standin.resetStats();
  const earlierCaches = new Set(stack.standin.caches.caches().map((c) => c.name));
  const earlierJobs = new Set((await stack.standin.batches.jobs()).map((j) => j.name));
  const started = Date.now();
  let projectCostUsd = 0;
  for (const [i, extra] of way.batches.entries()) {
    const request = await buildBatchRequest(
      [videos],
      { ...common, output: out, batchId: `bench-cost-${way.id}-${i + 1}`, ...extra } as BatchCliOptions,
      settings,
      catalog,
      ['default'],
    );
    const summary = (await stack.client.workflow.execute(BatchWorkflow, {
      workflowId: request.input.batchId,
      taskQueue: stack.taskQueue,
      args: [request.input],
    })) as BatchSummary;
    if (summary.failed > 0)
      throw new Error(`${way.label}: ${summary.failed} videos failed: ${summary.failures[0]?.reason}`);
    projectCostUsd += summary.costUsd;
  }
  // Counted on disk: the summary's list of outputs is capped.
  const notes = notesUnder(out);
  const stats = stack.standin.stats();
  return {
    way,
    bill: await billOf(stack.standin, catalog, new Date(), { earlierCaches, earlierJobs }),
    uploads: stats.totals['upload.start'],
    generates: stats.totals.generate,
    notes,
    projectCostUsd,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Markdown notes under the output folder (not its `.lesson-forge` records). */
function notesUnder(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md') && !f.split(path.sep).includes('.lesson-forge')).length;
}

async function main(): Promise<void> {
  const count = Number(arg('videos', '100'));
  const minutes = Number(arg('minutes', '10'));
  const concurrency = arg('concurrency', '16');
  const model = arg('model', 'gemini-3.8-flash');
  const keys = [{ alias: 'default', envVar: 'GEMINI_API_KEY', value: 'bench-cost-three-ways-0123456789', limits: {} }];
  const stack = await startLocalStack({
    name: 'cost',
    taskQueue: 'bench-cost',
    standin: { processingMs: 0, keys: [{ name: 'default', value: keys[0]!.value }] },
    keys,
    filePollMs: 10,
  });
  const results: Measured[] = [];
  try {
    // Short files, each its own video (hashed, uploaded and named apart).
    const videos = path.join(stack.dir, 'videos');
    fs.mkdirSync(videos);
    const sample = path.resolve(__dirname, '..', 'samples', 'color-theory-intro.mp4');
    for (let i = 0; i < count; i++)
      fs.copyFileSync(sample, path.join(videos, `lesson-${String(i + 1).padStart(3, '0')}.mp4`));
    if (minutes > 0) {
      // The stand-in knows an upload by its display name, the video's key.
      const found = await discoverVideos({ inputs: [videos], listFiles: [] });
      for (const item of found.items) stack.standin.setVideoDuration(item.key, minutes * 60);
    }
    stack.standin.batches.configure({ pendingMs: 10, runningMs: 10 });
    const common: BatchCliOptions = {
      model,
      concurrency,
      include: [],
      exclude: [],
      list: [],
      param: [],
      templatesDir: [],
    };
    const ways: Way[] = [
      {
        id: 'a',
        label: '(a) three interactive batches, one template each',
        batches: templates.map((t) => ({ template: t })),
      },
      {
        id: 'b',
        label: '(b) one interactive batch, three templates, context cache',
        batches: [{ template: templates }],
      },
    ];
    // (c) needs economy mode; once `start-batch --economy` exists, this runs it with the same templates.
    if (startBatchHas('--economy'))
      ways.push({
        id: 'c',
        label: '(c) one economy batch, three templates',
        // Requests gathered for a second and jobs looked at every second or two: the stand-in answers in 300 ms.
        batches: [{ template: templates, economy: true, economyPoll: '1s' }],
      });
    for (const way of ways) {
      console.error(`${way.label} ...`);
      results.push(await runWay(stack, way, videos, common));
    }
  } finally {
    await stack.stop();
  }

  const header = [
    'way',
    'notes',
    'uploads',
    'generate calls',
    'caches',
    'billed',
    'of it: caches',
    'project says',
    'time',
  ];
  const rows = results.map((r) => [
    r.way.label,
    String(r.notes),
    String(r.uploads),
    String(r.generates),
    String(r.bill.caches),
    formatUsd(r.bill.usd),
    formatUsd(r.bill.cacheCreateUsd + r.bill.storageUsd),
    formatUsd(r.projectCostUsd),
    `${Math.round(r.seconds)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const length = minutes > 0 ? `billed as ${minutes}-minute lessons` : 'billed at their own length';
  console.log(`${count} videos × ${templates.length} templates · ${model} · ${length} · stand-in bill, catalog prices`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const [a, b] = results;
  if (a && b) console.log(`(b) against (a): ${Math.round((1 - b.bill.usd / a.bill.usd) * 1000) / 10} % less`);
  const c = results[2];
  if (a && c) console.log(`(c) against (a): ${Math.round((1 - c.bill.usd / a.bill.usd) * 1000) / 10} % less`);
  if (results.length < 3) console.log('(c) not run: start-batch has no --economy option on this branch.');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
