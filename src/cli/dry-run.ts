import path from 'node:path';
import { getModel, type ModelCatalog } from '../gemini/catalog';
import { probeDurationCached } from '../gemini/duration-cache';
import { assumedYouTubeSeconds, describeBasis, type TokenFigures } from '../gemini/estimate';
import { estimateForTemplates } from '../gemini/estimate-templates';
import { templatesText } from '../workflows/labels';
import { readOutputHistory } from '../gemini/output-history';
import { TemplateRegistry } from '../templates';
import { sourceText } from '../sources/source-text';
import type { BatchRequest } from './batch-request';
import { bothPrices, bothPricesLine } from './dry-run-prices';
import { ExitCode } from './exit-codes';
import { bold, dim, formatDuration, formatTokens, formatUsd, printable, table } from './output';

export interface PlannedEstimate {
  key: string;
  title: string;
  source: string;
  durationSeconds?: number;
  durationKnown: boolean;
  resolution: string;
  strategy: string;
  /** The most likely figures. */
  expected: TokenFigures;
  /** Every answer at its output limit. */
  ceiling: TokenFigures;
  /** What the expected figure is built on, in words. */
  basis: string;
  /** Earlier answers of the same template and model the expected output comes from (0: typical size). */
  historyVideos: number;
  /** Several templates: the video in a context cache (tokens held, and what that saves), or why not. */
  cache?: { tokens: number; savedUsd: number };
  noCacheReason?: string;
}

/** What each video would cost with the first model of the chain, from its duration. Spends nothing. */
export async function planBatch(
  request: BatchRequest,
  catalog: ModelCatalog,
  now = new Date(),
): Promise<PlannedEstimate[]> {
  const { options } = request.input;
  const model = getModel(catalog, options.models[0]);
  // A dry run executes no code of a user's template folder (README "Security").
  const registry = TemplateRegistry.load(options.templateDirs);
  const templates = (options.templates ?? [options.template]).map((t) => registry.forEstimate(t));
  const history = await readOutputHistory(options.outputDir);
  const plans: PlannedEstimate[] = [];
  for (const item of request.items) {
    const measured = item.source.kind === 'file' ? await probeDurationCached(item.source.path) : undefined;
    const source = item.source.kind === 'file' ? item.source.path : item.source.url;
    const est = estimateForTemplates(
      {
        model,
        templateParams: options.templateParams,
        video: { title: item.title, source, sourceKind: item.source.kind, durationSeconds: measured },
        forcedResolution: options.mediaResolution,
        now,
        history,
        typical: catalog.typicalOutputTokens,
      },
      templates,
      !options.economy,
    );
    plans.push({
      key: item.key,
      title: item.title,
      source: sourceText(item.source),
      durationSeconds: measured,
      durationKnown: measured !== undefined,
      resolution: est.resolution,
      strategy: est.strategy,
      expected: est.expected,
      ceiling: est.ceiling,
      basis: describeBasis(est),
      historyVideos: est.outputBasis.kind === 'history' ? est.outputBasis.videos : 0,
      ...(est.cache ? { cache: est.cache } : {}),
      ...(est.noCacheReason ? { noCacheReason: est.noCacheReason } : {}),
    });
  }
  return plans;
}

/**
 * How many videos, taken in the batch's order, a budget covers: by their expected cost (where the
 * batch should stop), and at worst, when every answer costs its ceiling.
 */
export function budgetCoverage(
  plans: Array<Pick<PlannedEstimate, 'expected' | 'ceiling'>>,
  maxCostUsd: number,
): { expected: number; atCeiling: number } {
  const covered = (cost: (p: Pick<PlannedEstimate, 'expected' | 'ceiling'>) => number): number => {
    let spent = 0;
    let n = 0;
    for (const p of plans) {
      if (spent + cost(p) > maxCostUsd) break;
      spent += cost(p);
      n++;
    }
    return n;
  };
  return { expected: covered((p) => p.expected.usd), atCeiling: covered((p) => p.ceiling.usd) };
}

const sumFigures = (list: TokenFigures[]): TokenFigures =>
  list.reduce(
    (a, b) => ({
      inputTokens: a.inputTokens + b.inputTokens,
      outputTokens: a.outputTokens + b.outputTokens,
      usd: a.usd + b.usd,
    }),
    { inputTokens: 0, outputTokens: 0, usd: 0 },
  );

export async function printDryRun(request: BatchRequest, catalog: ModelCatalog, json: boolean): Promise<number> {
  const plans = await planBatch(request, catalog);
  const expected = sumFigures(plans.map((p) => p.expected));
  const ceiling = sumFigures(plans.map((p) => p.ceiling));
  const { input } = request;
  const coverage = input.maxCostUsd !== undefined ? budgetCoverage(plans, input.maxCostUsd) : undefined;
  const fromHistory = plans.filter((p) => p.historyVideos > 0);
  const basis =
    fromHistory.length > 0
      ? `expected output: mean of ${fromHistory[0]?.historyVideos} earlier ${fromHistory[0]?.historyVideos === 1 ? 'video' : 'videos'} of this template and model in ${input.options.outputDir}`
      : 'expected output: typical size for the template, no history yet';
  const prices = bothPrices(
    catalog,
    input.options.models[0]!,
    { expectedUsd: expected.usd, ceilingUsd: ceiling.usd },
    Boolean(input.options.economy),
  );
  if (json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          batchId: input.batchId,
          model: input.options.models[0],
          template: input.options.template,
          ...(input.options.templates ? { templates: input.options.templates } : {}),
          videos: plans,
          skipped: request.skipped,
          total: { expected, ceiling, basis },
          prices,
          ...(coverage && input.maxCostUsd !== undefined
            ? {
                budget: {
                  maxCostUsd: input.maxCostUsd,
                  expectedVideos: coverage.expected,
                  videosAtCeiling: coverage.atCeiling,
                },
              }
            : {}),
        },
        null,
        2,
      )}\n`,
    );
    return ExitCode.ok;
  }
  const rows = plans.map((p) => [
    p.title,
    p.durationKnown ? formatDuration(p.durationSeconds ?? 0) : dim(`~${formatDuration(assumedYouTubeSeconds)}?`),
    `${p.resolution}${p.strategy === 'clips' ? ' (clips)' : ''}`,
    formatTokens(p.expected.inputTokens + p.expected.outputTokens),
    formatUsd(p.expected.usd),
    formatUsd(p.ceiling.usd),
  ]);
  process.stdout.write(`${bold('Dry run')}: nothing is uploaded or analysed.\n`);
  process.stdout.write(
    `Batch ${input.batchId} · ${input.options.templates ? 'templates' : 'template'} ${templatesText(input.options)} · model ${input.options.models[0]} · output ${input.options.outputDir}\n\n`,
  );
  process.stdout.write(`${table(['Video', 'Length', 'Resolution', 'Tokens', 'Expected', 'Ceiling'], rows)}\n\n`);
  process.stdout.write(
    `${bold('Expected')}: ${plans.length} ${plans.length === 1 ? 'video' : 'videos'}, about ${formatTokens(expected.inputTokens)} input + ${formatTokens(expected.outputTokens)} output tokens, ${formatUsd(expected.usd)}\n`,
  );
  process.stdout.write(
    `${bold('Ceiling')}:  ${formatUsd(ceiling.usd)} if every answer used its ${formatTokens(plans[0] ? ceiling.outputTokens / Math.max(1, plans.length) : 0)}-token output limit\n`,
  );
  process.stdout.write(`${bothPricesLine(prices)}\n`);
  process.stdout.write(
    dim(`Based on: ${plans[0] ? plans[0].basis.replace(/; output:.*$/, '') : 'no videos'}; ${basis}.\n`),
  );
  if (input.options.templates) process.stdout.write(`${cacheLine(plans, input.options.templates.length)}\n`);
  if (plans.some((p) => !p.durationKnown))
    process.stdout.write(
      dim(`YouTube lengths are unknown before analysis; assumed ${assumedYouTubeSeconds / 60} min each.\n`),
    );
  for (const s of request.skipped)
    process.stdout.write(dim(`skipped ${printable(path.basename(s.entry))}: ${printable(s.reason)}\n`));
  if (coverage && input.maxCostUsd !== undefined) {
    const all = coverage.expected >= plans.length;
    process.stdout.write(
      all
        ? `--max-cost ${formatUsd(input.maxCostUsd)} is expected to cover all ${plans.length} videos` +
            (coverage.atCeiling < plans.length
              ? ` (${coverage.atCeiling} if every answer reached its ceiling).\n`
              : '.\n')
        : `--max-cost ${formatUsd(input.maxCostUsd)} is expected to cover ${coverage.expected} of ${plans.length} videos (${coverage.atCeiling} if every answer reached its ceiling); the batch stops starting videos there.\n`,
    );
  }
  return ExitCode.ok;
}

/** Several templates: which videos go into a context cache, and what that saves on the expected figure. */
export function cacheLine(plans: PlannedEstimate[], templates: number): string {
  const cached = plans.filter((p) => p.cache);
  const saved = cached.reduce((a, p) => a + (p.cache?.savedUsd ?? 0), 0);
  const why = plans.find((p) => !p.cache)?.noCacheReason;
  const head = `${templates} notes per video from one upload`;
  if (cached.length === 0) return `${head}; no context cache${why ? ` (${why})` : ''}.`;
  const rest =
    cached.length < plans.length
      ? `; the other ${plans.length - cached.length} not (${why ?? 'it would not pay'})`
      : '';
  return `${head}; ${cached.length} of ${plans.length} ${plans.length === 1 ? 'video' : 'videos'} read from a context cache (included above: saves about ${formatUsd(saved)})${rest}.`;
}
