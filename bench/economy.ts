/**
 * Benchmark (not a test): one folder of videos processed twice against the Gemini stand-in, once
 * interactively and once in economy mode (the Batch API). Prints, for each, what the stand-in
 * billed (its own token counts, priced with the catalog: the Batch API's requests at their price
 * factor), what the batch recorded, the Batch API jobs and the wall time. Goal: economy billed at
 * half, and recorded as billed.
 *
 *   npm run bench:economy -- [--videos 20] [--template comprehensive_lesson] [--model gemini-3.8-flash]
 */
import path from 'node:path';
import { getModel, loadCatalog, priceAt } from '../src/gemini/catalog';
import type { BatchInput, BatchSummary } from '../src/types';
import { BatchWorkflow } from '../src/workflows';
import { processingOptions } from '../tests/support/processing-options';
import { sampleVideoFolder, startLocalStack } from './support/local-stack';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const videos = Number(arg('videos', '20'));
  const template = arg('template', 'comprehensive_lesson');
  const modelId = arg('model', 'gemini-3.8-flash');
  const model = getModel(loadCatalog(), modelId);
  const price = priceAt(model, new Date());
  const usd = (prompt: number, output: number) =>
    (prompt * price.inputPerMillion.default + output * price.outputPerMillion) / 1e6;
  const keys = [{ alias: 'default', envVar: 'GEMINI_API_KEY', value: 'bench-economy-0123456789', limits: {} }];
  const stack = await startLocalStack({
    name: 'economy',
    taskQueue: 'bench-economy',
    standin: { processingMs: 20, keys: [{ name: 'default', value: keys[0]!.value }] },
    keys,
  });
  stack.standin.batches.configure({ pendingMs: 200, runningMs: 500 });
  const dir = sampleVideoFolder(stack.dir, 'videos', videos, 'lesson');
  const rows: string[][] = [];
  const billedBy: number[] = [];
  try {
    for (const economy of [false, true]) {
      const mode = economy ? 'economy' : 'interactive';
      stack.standin.resetStats();
      const input: BatchInput = {
        batchId: `bench-economy-${mode}`,
        label: mode,
        sources: { inputs: [dir], listFiles: [], recursive: false, include: [], exclude: [] },
        options: processingOptions(path.join(stack.dir, `out-${mode}`), {
          template,
          models: [modelId],
          ...(economy
            ? { economy: true, economyTuning: { gatherSeconds: 2, firstPollSeconds: 1, maxPollSeconds: 2 } }
            : {}),
        }),
        concurrency: 4,
        keyAliases: ['default'],
      };
      const started = Date.now();
      const summary = (await stack.client.workflow.execute(BatchWorkflow, {
        workflowId: input.batchId,
        taskQueue: stack.taskQueue,
        args: [input],
      })) as BatchSummary;
      const seconds = (Date.now() - started) / 1000;
      const interactive = stack.standin.stats().tokensByModel[modelId];
      const jobs = (await stack.standin.batches.jobs()).filter((j) => j.displayName?.includes(input.batchId));
      const billedInteractive = interactive
        ? usd(interactive.prompt, interactive.candidates + interactive.thoughts)
        : 0;
      const billedBatch = jobs
        .flatMap((j) => j.bills)
        .reduce((sum, b) => sum + usd(b.promptTokens, b.candidatesTokens + b.thoughtsTokens) * b.priceFactor, 0);
      const billed = billedInteractive + billedBatch;
      billedBy.push(billed);
      rows.push([
        mode,
        `${summary.succeeded}/${summary.total}`,
        `$${billed.toFixed(4)}`,
        `$${summary.costUsd.toFixed(4)}`,
        String(jobs.length),
        `${seconds.toFixed(1)} s`,
      ]);
    }
  } finally {
    await stack.stop();
  }
  const widths = rows[0]!.map((_, i) => Math.max(...[header, ...rows].map((r) => r[i]!.length)));
  for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
  const [interactive, economy] = billedBy;
  console.log(
    `\neconomy billed ${((economy! / interactive!) * 100).toFixed(1)} % of interactive (${videos} videos, ${template}, ${modelId})`,
  );
}

const header = ['mode', 'ok', 'billed (stand-in)', 'recorded', 'Batch API jobs', 'wall time'];

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
