/**
 * The models lesson-forge can use, as data (`catalog/models.json`): Google retires models and
 * changes prices more often than this code changes, so ids, limits, prices and retirement dates
 * live in a file a user can edit. Everything is validated on load, so a typo fails at start-up
 * with the file and field named, not halfway through a batch.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '../config/errors';

/** The catalog file is wrong, or names a model that cannot be used. */
export class CatalogError extends ConfigurationError {}

export const DEFAULT_CATALOG_PATH = path.resolve(__dirname, '..', '..', 'catalog', 'models.json');

const isoDate = z.iso.date();
const perMillion = z.number().finite().nonnegative();

const inputPricesSchema = z.strictObject({
  /** Price for any modality not listed. */
  default: perMillion,
  text: perMillion.optional(),
  image: perMillion.optional(),
  video: perMillion.optional(),
  audio: perMillion.optional(),
});

const priceTierSchema = z.strictObject({
  inputPerMillion: inputPricesSchema,
  /** Output price; thinking tokens are billed as output. */
  outputPerMillion: perMillion,
  /** Input read from an explicit context cache (about a tenth of the input price); absent: the model is never cached. */
  cachedInputPerMillion: inputPricesSchema.optional(),
});

const pricePeriodSchema = priceTierSchema.extend({
  /** First day (00:00 UTC) the period applies; the first period has none. */
  from: isoDate.optional(),
  label: z.string().optional(),
  /** Higher prices for the whole request when the prompt is longer than `abovePromptTokens`. */
  longContext: priceTierSchema.extend({ abovePromptTokens: z.number().int().positive() }).optional(),
  /** Keeping tokens in an explicit context cache: USD per million tokens per hour. */
  cacheStoragePerMillionPerHour: perMillion.optional(),
});

const tokensPerFrame = z.number().positive();

const mediaTokensSchema = z.strictObject({
  /** Frames the API samples per second of video (1 unless a request sets its own fps). */
  framesPerSecond: z.number().positive(),
  /** Tokens of one frame at each media resolution; lesson-forge sends default or low, the others are for reference. */
  tokensPerFrame: z.strictObject({
    default: tokensPerFrame,
    low: tokensPerFrame,
    medium: tokensPerFrame.optional(),
    high: tokensPerFrame.optional(),
  }),
  /** The sound track, at any resolution (billed at the audio input price). */
  audioTokensPerSecond: z.number().nonnegative(),
  /** The page these figures come from, and the day they were checked there. */
  source: z.url(),
  checked: isoDate,
  note: z.string().optional(),
});

/** What economy mode needs to know about a model's Batch API: its price and its enqueued-token quota. */
const batchApiSchema = z.strictObject({
  /** Prompt tokens of a project's unfinished jobs for this model, at most (the usage tier named). */
  enqueuedTokens: z.number().int().positive(),
  tier: z.string(),
  /** Where the limit is published, and where the batch price (batchPriceFactor) is. */
  limitSource: z.url(),
  priceSource: z.url(),
  checked: isoDate,
  note: z.string().optional(),
});

/** Explicit context caching as the model's documentation states it. */
const contextCacheSchema = z.strictObject({
  /** Smallest cache the API accepts, in tokens. */
  minimumTokens: z.number().int().positive(),
  source: z.url(),
  checked: isoDate,
  note: z.string().optional(),
});

/** Output a template's answer usually takes before an output folder has history of its own. */
const typicalOutputSchema = z.strictObject({
  about: z.string().optional(),
  templates: z.record(z.string(), z.number().int().positive()),
  otherTemplates: z.number().int().positive(),
});

const modelSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'model ids are lowercase letters, digits, dots and hyphens'),
  displayName: z.string().min(1),
  status: z.enum(['stable', 'preview', 'deprecated', 'retired']),
  /** First day the model no longer answers. */
  retiresOn: isoDate.optional(),
  /** The model Google names as its successor. */
  replacement: z.string().optional(),
  contextWindowTokens: z.number().int().positive(),
  maxOutputTokens: z.number().int().positive(),
  /** How video input is counted, as this model's documentation says (guides disagree between model families). */
  mediaTokens: mediaTokensSchema,
  /** Batch mode price as a fraction of the interactive one. */
  batchPriceFactor: z.number().positive().max(1),
  /** The Batch API's facts for this model (economy mode), with where they come from. */
  batchApi: batchApiSchema.optional(),
  prices: z.array(pricePeriodSchema).min(1),
  /** Absent: the model is never put in a context cache. */
  contextCache: contextCacheSchema.optional(),
  notes: z.string().optional(),
});

const catalogSchema = z.strictObject({
  version: z.literal(1),
  updated: isoDate,
  about: z.string().optional(),
  defaultModel: z.string(),
  fallbackChain: z.array(z.string()),
  models: z.array(modelSchema).min(1),
  typicalOutputTokens: typicalOutputSchema.optional(),
});

export type Modality = 'text' | 'image' | 'video' | 'audio';
export type InputPrices = z.infer<typeof inputPricesSchema>;
export type PriceTier = z.infer<typeof priceTierSchema>;
export type PricePeriod = z.infer<typeof pricePeriodSchema>;
export type ModelInfo = z.infer<typeof modelSchema>;
export type MediaTokens = z.infer<typeof mediaTokensSchema>;
export type ContextCacheInfo = z.infer<typeof contextCacheSchema>;
export type TypicalOutput = z.infer<typeof typicalOutputSchema>;
export type ModelStatus = ModelInfo['status'];
export type ModelCatalog = z.infer<typeof catalogSchema> & {
  /** Where the catalog was read from (for messages). */
  source: string;
};

/**
 * Reads and validates the catalog: `filePath` if given, else the file `LESSON_FORGE_MODELS`
 * points to, else `catalog/models.json` in the repository.
 */
export function loadCatalog(filePath?: string, env: NodeJS.ProcessEnv = process.env): ModelCatalog {
  const file = path.resolve(filePath ?? (env.LESSON_FORGE_MODELS || DEFAULT_CATALOG_PATH));
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const hint = env.LESSON_FORGE_MODELS && !filePath ? ' (set by LESSON_FORGE_MODELS)' : '';
    throw new CatalogError(`cannot read the model catalog ${file}${hint}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CatalogError(`the model catalog ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseCatalog(data, file);
}

/** Validates catalog data already in memory; `source` names it in error messages. */
export function parseCatalog(data: unknown, source = 'the model catalog'): ModelCatalog {
  const parsed = catalogSchema.safeParse(data);
  if (!parsed.success)
    throw new CatalogError(`${source} is not a valid model catalog:\n${z.prettifyError(parsed.error)}`);
  const catalog = { ...parsed.data, source };
  const problems = crossCheck(catalog);
  if (problems.length > 0)
    throw new CatalogError(`${source} is not a valid model catalog:\n${problems.map((p) => `  ✖ ${p}`).join('\n')}`);
  return catalog;
}

/** Rules zod cannot see: references between models, and price periods in order. */
function crossCheck(catalog: ModelCatalog): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const model of catalog.models) {
    if (ids.has(model.id)) problems.push(`model ${model.id} is listed twice`);
    ids.add(model.id);
  }
  const known = (id: string, where: string): void => {
    if (!ids.has(id)) problems.push(`${where} names an unknown model "${id}"`);
  };
  known(catalog.defaultModel, 'defaultModel');
  catalog.fallbackChain.forEach((id) => known(id, 'fallbackChain'));
  for (const model of catalog.models) {
    if (model.replacement !== undefined) known(model.replacement, `${model.id}.replacement`);
    if (model.replacement === model.id) problems.push(`${model.id} names itself as its replacement`);
    if (model.prices[0]?.from !== undefined)
      problems.push(`${model.id}: the first price period must have no "from" date (it applies until the next one)`);
    model.prices.slice(1).forEach((period, i) => {
      const previous = model.prices[i]?.from;
      if (period.from === undefined) problems.push(`${model.id}: price period ${i + 2} needs a "from" date`);
      else if (previous !== undefined && period.from <= previous)
        problems.push(`${model.id}: price periods must be in date order (${period.from} after ${previous})`);
    });
    const { tokensPerFrame } = model.mediaTokens;
    if (tokensPerFrame.low > tokensPerFrame.default)
      problems.push(
        `${model.id}: mediaTokens.tokensPerFrame.low (${tokensPerFrame.low}) exceeds the default (${tokensPerFrame.default})`,
      );
  }
  return problems;
}

/** The model with this id; an unknown id lists the known ones, a retired one names its replacement. */
export function getModel(catalog: ModelCatalog, id: string, now?: Date): ModelInfo {
  const model = findModel(catalog, id);
  if (!model) {
    throw new CatalogError(
      `unknown model "${id}". Known models: ${catalog.models.map((m) => m.id).join(', ')}. ` +
        `A newer model can be added to ${catalog.source} (or a copy named by LESSON_FORGE_MODELS).`,
    );
  }
  if (isRetired(model, now)) {
    const instead = model.replacement ? `: use ${model.replacement} instead` : '';
    const when = model.retiresOn ? ` on ${model.retiresOn}` : '';
    throw new CatalogError(`model ${id} was retired${when} and no longer answers${instead}.`);
  }
  return model;
}

export const findModel = (catalog: ModelCatalog, id: string): ModelInfo | undefined =>
  catalog.models.find((m) => m.id === id);

/** Start of an ISO date in UTC, in ms. */
const dayStart = (isoDay: string): number => Date.parse(`${isoDay}T00:00:00Z`);

/** Retired by status, or by date when `now` is given and the retirement day has begun (UTC). */
export function isRetired(model: ModelInfo, now?: Date): boolean {
  if (model.status === 'retired') return true;
  return now !== undefined && model.retiresOn !== undefined && now.getTime() >= dayStart(model.retiresOn);
}

/** The price period in effect at `date` (the last one whose `from` has come). */
export function priceAt(model: ModelInfo, date: Date): PricePeriod {
  let current = model.prices[0] as PricePeriod;
  for (const period of model.prices) {
    if (period.from === undefined || date.getTime() >= dayStart(period.from)) current = period;
  }
  return current;
}

export interface ModelChain {
  /** Ids to try in order: usable, unique. */
  models: string[];
  /** What was replaced, dropped or retires soon, for the user to read. */
  warnings: string[];
}

/**
 * The models to try, in order: `preferred` (default: the catalog's `defaultModel`), then
 * `fallbacks` (default: the catalog's `fallbackChain`). A model retired at `now` is replaced by its
 * successor (following successors that are retired too) or dropped; one retiring later is kept with
 * a warning. Unknown ids throw: a typo must not silently fall through to another model.
 */
export function modelChain(
  catalog: ModelCatalog,
  preferred: string | undefined,
  fallbacks: readonly string[] | undefined,
  now: Date,
): ModelChain {
  const requested = [preferred ?? catalog.defaultModel, ...(fallbacks ?? catalog.fallbackChain)];
  const models: string[] = [];
  const warnings: string[] = [];
  for (const id of requested) {
    const model = findModel(catalog, id) ?? getModel(catalog, id);
    const usable = usableSuccessor(catalog, model, now);
    if (!usable) {
      warnings.push(`${id} ${retiredPhrase(model)} and has no usable replacement: it is left out.`);
      continue;
    }
    if (usable.id !== id) warnings.push(`${id} ${retiredPhrase(model)}: using its replacement ${usable.id}.`);
    else if (model.retiresOn !== undefined) {
      const instead = model.replacement ? `; switch to ${model.replacement}` : '';
      warnings.push(`${id} will be retired on ${model.retiresOn}${instead}.`);
    }
    if (!models.includes(usable.id)) models.push(usable.id);
  }
  if (models.length === 0) {
    throw new CatalogError(
      `none of the models asked for (${requested.join(', ')}) can be used any more: choose one of ${usableIds(catalog, now).join(', ')}.`,
    );
  }
  return { models, warnings };
}

/** The model itself if usable, else the first usable model along its replacement chain. */
function usableSuccessor(catalog: ModelCatalog, model: ModelInfo, now: Date): ModelInfo | undefined {
  const seen = new Set<string>();
  for (let current: ModelInfo | undefined = model; current && !seen.has(current.id);) {
    if (!isRetired(current, now)) return current;
    seen.add(current.id);
    current = current.replacement ? findModel(catalog, current.replacement) : undefined;
  }
  return undefined;
}

const retiredPhrase = (model: ModelInfo): string =>
  model.retiresOn ? `was retired on ${model.retiresOn}` : 'is retired';

const usableIds = (catalog: ModelCatalog, now: Date): string[] =>
  catalog.models.filter((m) => !isRetired(m, now)).map((m) => m.id);
