import path from 'node:path';
import { getModel, type ModelCatalog } from '../gemini/catalog';
import { assumedYouTubeSeconds, estimateForVideo } from '../gemini/estimate';
import { probeDuration } from '../media/probe';
import { TemplateRegistry } from '../templates';
import { sourceText } from '../sources/source-text';
import type { BatchRequest } from './batch-request';
import { ExitCode } from './exit-codes';
import { bold, dim, formatDuration, formatTokens, formatUsd, table } from './output';

export interface PlannedEstimate {
  key: string;
  title: string;
  source: string;
  durationSeconds?: number;
  durationKnown: boolean;
  resolution: string;
  strategy: string;
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

/** What each video would cost with the first model of the chain, from its duration. Spends nothing. */
export async function planBatch(
  request: BatchRequest,
  catalog: ModelCatalog,
  now = new Date(),
): Promise<PlannedEstimate[]> {
  const { options } = request.input;
  const model = getModel(catalog, options.models[0]);
  const template = TemplateRegistry.load(options.templateDirs).get(options.template);
  const plans: PlannedEstimate[] = [];
  for (const item of request.items) {
    const measured = item.source.kind === 'file' ? await probeDuration(item.source.path) : undefined;
    const est = estimateForVideo(model, template.manifest.model, measured, options.mediaResolution, now);
    plans.push({
      key: item.key,
      title: item.title,
      source: sourceText(item.source),
      durationSeconds: measured,
      durationKnown: measured !== undefined,
      resolution: est.resolution,
      strategy: est.strategy,
      inputTokens: est.inputTokens,
      outputTokens: est.outputTokens,
      usd: est.usd,
    });
  }
  return plans;
}

export async function printDryRun(request: BatchRequest, catalog: ModelCatalog, json: boolean): Promise<number> {
  const plans = await planBatch(request, catalog);
  const total = plans.reduce(
    (acc, p) => ({
      inputTokens: acc.inputTokens + p.inputTokens,
      outputTokens: acc.outputTokens + p.outputTokens,
      usd: acc.usd + p.usd,
    }),
    { inputTokens: 0, outputTokens: 0, usd: 0 },
  );
  const { input } = request;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ batchId: input.batchId, model: input.options.models[0], template: input.options.template, videos: plans, skipped: request.skipped, total }, null, 2)}\n`,
    );
    return ExitCode.ok;
  }
  const rows = plans.map((p) => [
    p.title,
    p.durationKnown ? formatDuration(p.durationSeconds ?? 0) : dim(`~${formatDuration(assumedYouTubeSeconds)}?`),
    `${p.resolution}${p.strategy === 'clips' ? ' (clips)' : ''}`,
    formatTokens(p.inputTokens + p.outputTokens),
    formatUsd(p.usd),
  ]);
  process.stdout.write(`${bold('Dry run')}: nothing is uploaded or analysed.\n`);
  process.stdout.write(
    `Batch ${input.batchId} · template ${input.options.template} · model ${input.options.models[0]} · output ${input.options.outputDir}\n\n`,
  );
  process.stdout.write(`${table(['Video', 'Length', 'Resolution', 'Tokens', 'Cost'], rows)}\n\n`);
  process.stdout.write(
    `${bold('Total')}: ${plans.length} videos, about ${formatTokens(total.inputTokens)} input + ${formatTokens(total.outputTokens)} output tokens, ${formatUsd(total.usd)}\n`,
  );
  if (plans.some((p) => !p.durationKnown))
    process.stdout.write(
      dim(`YouTube lengths are unknown before analysis; assumed ${assumedYouTubeSeconds / 60} min each.\n`),
    );
  for (const s of request.skipped) process.stdout.write(dim(`skipped ${path.basename(s.entry)}: ${s.reason}\n`));
  if (input.maxCostUsd !== undefined && total.usd > input.maxCostUsd) {
    process.stdout.write(
      `The estimate passes --max-cost ${formatUsd(input.maxCostUsd)}: the batch would stop starting videos near the limit.\n`,
    );
  }
  return ExitCode.ok;
}
