/**
 * Benchmark (not a test): are the expected figures good enough to plan with? Runs two batches of
 * similar videos (copies of the samples under other names) into one output folder against the
 * Gemini stand-in, which bills by each video's real length from its own token arithmetic. The first
 * run has no history (typical template sizes); the second expects from the first one's answers.
 * Prints expected against actual for both runs. Goal: the second run's expected cost within 15 %.
 *
 *   npm run bench:estimates -- [--videos 12] [--template comprehensive_lesson] [--model gemini-3.8-flash]
 */
import path from 'node:path';
import { formatUsd } from '../src/gemini/cost';
import { deviation } from '../src/gemini/estimate-report';
import type { BatchInput, BatchSummary } from '../src/types';
import { BatchWorkflow } from '../src/workflows';
import { processingOptions } from '../tests/support/processing-options';
import { sampleVideoFolder, startLocalStack } from './support/local-stack';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const videos = Number(arg('videos', '12'));
  const template = arg('template', 'comprehensive_lesson');
  const model = arg('model', 'gemini-3.8-flash');
  const keys = [{ alias: 'default', envVar: 'GEMINI_API_KEY', value: 'bench-estimates-0123456789', limits: {} }];
  const stack = await startLocalStack({
    name: 'estimates',
    taskQueue: 'bench-estimates',
    standin: { processingMs: 20, keys: [{ name: 'default', value: keys[0]!.value }] },
    keys,
  });
  const out = path.join(stack.dir, 'out');
  const rows: string[][] = [];
  let secondDeviation = Number.NaN;
  try {
    for (const [run, name] of [
      [1, 'week-1'],
      [2, 'week-2'],
    ] as const) {
      const dir = sampleVideoFolder(stack.dir, name, videos);
      const input: BatchInput = {
        batchId: `bench-estimates-${name}`,
        label: name,
        sources: { inputs: [dir], listFiles: [], recursive: false, include: [], exclude: [] },
        options: processingOptions(out, { template, models: [model] }),
        concurrency: 4,
        keyAliases: ['default'],
      };
      const summary = (await stack.client.workflow.execute(BatchWorkflow, {
        workflowId: input.batchId,
        taskQueue: stack.taskQueue,
        args: [input],
      })) as BatchSummary;
      const e = summary.expected;
      if (!e) throw new Error(`run ${run}: the summary has no expected figures`);
      const u = e.actualUsage;
      const basis = e.fromHistory === e.videos ? 'earlier answers' : e.fromHistory === 0 ? 'typical sizes' : 'mixed';
      rows.push([
        String(run),
        `${summary.succeeded}/${summary.total}`,
        basis,
        `${e.inputTokens} / ${u.promptTokens}`,
        `${e.outputTokens} / ${u.outputTokens + u.thoughtsTokens}`,
        `${formatUsd(e.costUsd)} / ${formatUsd(e.actualCostUsd)}`,
        deviation(e.costUsd, e.actualCostUsd),
        formatUsd(e.ceilingUsd),
      ]);
      if (run === 2) secondDeviation = Math.abs(e.actualCostUsd - e.costUsd) / e.costUsd;
    }
  } finally {
    await stack.stop();
  }
  const header = [
    'run',
    'videos',
    'output basis',
    'input exp / act',
    'output exp / act',
    'cost exp / act',
    'act vs exp',
    'ceiling',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(`${videos} videos per run · ${template} · ${model} · stand-in billing by each video's real length`);
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  const ok = secondDeviation <= 0.15;
  console.log(
    `second run: expected cost within ${Math.round(secondDeviation * 1000) / 10} % of the actual (goal: 15 %) — ${ok ? 'met' : 'NOT met'}`,
  );
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
