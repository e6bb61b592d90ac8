/**
 * Token and money arithmetic from the model catalog: what a video will cost before it is sent
 * (`--dry-run`, budget checks), what a finished call did cost, and how to send a long video so it
 * fits the model's context window. Pure functions; amounts keep full precision and are rounded
 * only for display (`formatUsd`) or storage (`roundUsd`).
 */
import { type MediaResolution, type TokenUsage } from '../types';
import { priceAt, type InputPrices, type Modality, type ModelInfo, type PriceTier } from './catalog';

/** Share of the context window a request may fill; the rest absorbs estimation error. */
export const CONTEXT_FILL_RATIO = 0.9;

/** Estimated text around the video: system instruction, template prompt and JSON schema. */
export const DEFAULT_PROMPT_TOKENS = 4_000;

const PER_MILLION = 1_000_000;

/**
 * Tokens one second of video costs as input at this resolution, by the model's own documentation:
 * frames per second × tokens per frame, plus the sound track (the catalog records which guide).
 */
export function videoTokensPerSecond(model: ModelInfo, resolution: MediaResolution): number {
  const media = model.mediaTokens;
  return media.framesPerSecond * media.tokensPerFrame[resolution] + media.audioTokensPerSecond;
}

/** Low resolution is worth choosing by itself only where it costs fewer tokens (not on Gemini 3 models). */
export function lowResolutionSaves(model: ModelInfo): boolean {
  return videoTokensPerSecond(model, 'low') < videoTokensPerSecond(model, 'default');
}

/** Tokens a video of this length costs as input, audio included (rounded up). */
export function estimateVideoTokens(model: ModelInfo, durationSeconds: number, resolution: MediaResolution): number {
  return Math.ceil(videoTokensPerSecond(model, resolution) * Math.max(0, durationSeconds));
}

/** The same tokens split into picture and sound, which some models price differently. */
export function splitVideoTokens(
  model: ModelInfo,
  durationSeconds: number,
  resolution: MediaResolution,
): { video: number; audio: number } {
  const total = estimateVideoTokens(model, durationSeconds, resolution);
  const audio = Math.min(total, Math.ceil(model.mediaTokens.audioTokensPerSecond * Math.max(0, durationSeconds)));
  return { video: total - audio, audio };
}

/** Token counts of one request: input by modality, and output (thinking included). */
export interface RequestTokens {
  input: Partial<Record<Modality, number>>;
  output: number;
}

export interface CostOptions {
  /** Batch mode: the model's `batchPriceFactor` (50 %) of the interactive price. */
  batch?: boolean;
}

/** USD for one request with these token counts, at the prices in effect on `date`. */
export function estimatePromptCost(
  model: ModelInfo,
  tokens: RequestTokens,
  date: Date,
  opts: CostOptions = {},
): number {
  const promptTokens = sum(Object.values(tokens.input));
  const tier = tierFor(model, date, promptTokens);
  let usd = tokens.output * tier.outputPerMillion;
  for (const [modality, count] of Object.entries(tokens.input) as Array<[Modality, number | undefined]>) {
    usd += (count ?? 0) * inputPrice(tier.inputPerMillion, modality);
  }
  return (usd / PER_MILLION) * (opts.batch ? model.batchPriceFactor : 1);
}

export interface UsageCostOptions extends CostOptions {
  /**
   * Prompt tokens by modality as the API reports them (`promptTokensDetails`). Without it, or for
   * tokens it does not cover, the model's default input price applies.
   */
  promptTokensByModality?: Partial<Record<Modality, number>>;
  /** Of those, the ones read from a context cache by modality (`cacheTokensDetails`). */
  cachedTokensByModality?: Partial<Record<Modality, number>>;
}

/**
 * USD a finished call cost. Thinking tokens are billed at the output price. Prompt tokens read from
 * a context cache (`usage.cachedTokens`, part of `promptTokens`) cost the cached input price.
 */
export function costOfUsage(model: ModelInfo, usage: TokenUsage, date: Date, opts: UsageCostOptions = {}): number {
  const tier = tierFor(model, date, usage.promptTokens);
  const byModality = opts.promptTokensByModality ?? {};
  let attributed = 0;
  let usd = 0;
  for (const [modality, count] of Object.entries(byModality) as Array<[Modality, number | undefined]>) {
    usd += (count ?? 0) * inputPrice(tier.inputPerMillion, modality);
    attributed += count ?? 0;
  }
  usd += Math.max(0, usage.promptTokens - attributed) * tier.inputPerMillion.default;
  usd += (usage.outputTokens + usage.thoughtsTokens) * tier.outputPerMillion;
  usd -= cacheDiscount(tier, usage.cachedTokens ?? 0, opts.cachedTokensByModality ?? {});
  return (usd / PER_MILLION) * (opts.batch ? model.batchPriceFactor : 1);
}

/** What cached tokens save against the input price (per million units); nothing for a model without cached prices. */
function cacheDiscount(tier: PriceTier, cached: number, byModality: Partial<Record<Modality, number>>): number {
  const cachedPrices = tier.cachedInputPerMillion;
  if (!cachedPrices || cached <= 0) return 0;
  const saving = (m: Modality | 'default') =>
    (m === 'default' ? tier.inputPerMillion.default : inputPrice(tier.inputPerMillion, m)) -
    (m === 'default' ? cachedPrices.default : inputPrice(cachedPrices, m));
  let attributed = 0;
  let usd = 0;
  for (const [modality, count] of Object.entries(byModality) as Array<[Modality, number | undefined]>) {
    usd += (count ?? 0) * saving(modality);
    attributed += count ?? 0;
  }
  return usd + Math.max(0, cached - attributed) * saving('default');
}

/** The prices of context caching at `date`, or undefined when the catalog gives the model none (it is then never cached). */
export function cachePricesAt(
  model: ModelInfo,
  date: Date,
): { cachedInput: InputPrices; input: InputPrices; storagePerMillionPerHour: number } | undefined {
  const period = priceAt(model, date);
  if (!period.cachedInputPerMillion || period.cacheStoragePerMillionPerHour === undefined) return undefined;
  return {
    cachedInput: period.cachedInputPerMillion,
    input: period.inputPerMillion,
    storagePerMillionPerHour: period.cacheStoragePerMillionPerHour,
  };
}

/** USD of keeping `tokens` in a context cache for `hours` (0 for a model without a storage price). */
export function cacheStorageCost(model: ModelInfo, tokens: number, hours: number, date: Date): number {
  const prices = cachePricesAt(model, date);
  if (!prices) return 0;
  return (tokens * Math.max(0, hours) * prices.storagePerMillionPerHour) / PER_MILLION;
}

export interface VideoCostEstimate {
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

export interface VideoCostOptions extends CostOptions {
  /** Text tokens sent with the video (default `DEFAULT_PROMPT_TOKENS`). */
  promptTokens?: number;
}

/** Estimated tokens and USD to analyse a video of this length in one request. */
export function estimateVideoCost(
  model: ModelInfo,
  durationSeconds: number,
  resolution: MediaResolution,
  expectedOutputTokens: number,
  date: Date,
  opts: VideoCostOptions = {},
): VideoCostEstimate {
  const { video, audio } = splitVideoTokens(model, durationSeconds, resolution);
  const text = opts.promptTokens ?? DEFAULT_PROMPT_TOKENS;
  const usd = estimatePromptCost(model, { input: { video, audio, text }, output: expectedOutputTokens }, date, opts);
  return { inputTokens: video + audio + text, outputTokens: expectedOutputTokens, usd };
}

export interface Clip {
  startSeconds: number;
  endSeconds: number;
}

export interface MediaPlan {
  resolution: MediaResolution;
  strategy: 'whole' | 'clips';
  /** Consecutive parts covering the video, each small enough for one request (strategy `clips`). */
  clips?: Clip[];
}

export interface MediaPlanOptions {
  /** Output the request asks for (the template's max output tokens). */
  expectedOutputTokens: number;
  /** Text sent with the video (default `DEFAULT_PROMPT_TOKENS`). */
  promptTokens?: number;
  /** A resolution the user chose; the plan then only decides between whole and clips. */
  resolution?: MediaResolution;
}

/**
 * How to send a video so each request fits the context window: whole at default resolution when it
 * fits in `CONTEXT_FILL_RATIO` of the window after prompt and output, else whole at low resolution
 * (only on models where low costs fewer tokens), else in equal clips at the cheaper resolution that
 * each fit. An unknown duration is sent whole (the API refuses a video that is too long, and the
 * caller can retry at low resolution).
 */
export function planMediaStrategy(
  model: ModelInfo,
  durationSeconds: number | undefined,
  opts: MediaPlanOptions,
): MediaPlan {
  const room = videoTokenRoom(model, opts);
  const saves = lowResolutionSaves(model);
  const choices: MediaResolution[] = opts.resolution ? [opts.resolution] : saves ? ['default', 'low'] : ['default'];
  if (durationSeconds === undefined) return { resolution: choices[0] ?? 'default', strategy: 'whole' };
  for (const resolution of choices) {
    if (estimateVideoTokens(model, durationSeconds, resolution) <= room) return { resolution, strategy: 'whole' };
  }
  const resolution = opts.resolution ?? (saves ? 'low' : 'default');
  const maxClipSeconds = Math.floor(room / videoTokensPerSecond(model, resolution));
  if (maxClipSeconds < 1) throw new RangeError(tooSmallMessage(model, opts));
  return { resolution, strategy: 'clips', clips: equalClips(durationSeconds, maxClipSeconds) };
}

/** Video tokens one request can carry: the filled share of the window minus prompt and output. */
export function videoTokenRoom(model: ModelInfo, opts: Omit<MediaPlanOptions, 'resolution'>): number {
  const room =
    Math.floor(model.contextWindowTokens * CONTEXT_FILL_RATIO) -
    opts.expectedOutputTokens -
    (opts.promptTokens ?? DEFAULT_PROMPT_TOKENS);
  if (room <= 0) throw new RangeError(tooSmallMessage(model, opts));
  return room;
}

/**
 * Splits [0, duration] into the fewest equal whole-second clips of at most `maxClipSeconds`. The
 * last clip ends at the duration rounded up, so no fraction of a second is lost.
 */
export function equalClips(durationSeconds: number, maxClipSeconds: number): Clip[] {
  const total = Math.max(1, Math.ceil(durationSeconds));
  return clipsByCount(durationSeconds, Math.ceil(total / maxClipSeconds));
}

/** Splits [0, duration] into `count` equal whole-second clips (the last ends at the duration rounded up). */
export function clipsByCount(durationSeconds: number, count: number): Clip[] {
  const total = Math.max(1, Math.ceil(durationSeconds));
  return Array.from({ length: count }, (_, i) => ({
    startSeconds: Math.floor((i * total) / count),
    endSeconds: i === count - 1 ? total : Math.floor(((i + 1) * total) / count),
  }));
}

/** Estimated tokens and USD for a whole plan: one request per clip, each with its own prompt and output. */
export function estimatePlanCost(
  model: ModelInfo,
  durationSeconds: number,
  plan: MediaPlan,
  expectedOutputTokens: number,
  date: Date,
  opts: VideoCostOptions = {},
): VideoCostEstimate {
  if (plan.strategy === 'whole' || !plan.clips)
    return estimateVideoCost(model, durationSeconds, plan.resolution, expectedOutputTokens, date, opts);
  // Each clip is budgeted at the full expected output: an upper bound, which is what a budget needs.
  return plan.clips
    .map((clip) =>
      estimateVideoCost(model, clip.endSeconds - clip.startSeconds, plan.resolution, expectedOutputTokens, date, opts),
    )
    .reduce((a, b) => ({
      inputTokens: a.inputTokens + b.inputTokens,
      outputTokens: a.outputTokens + b.outputTokens,
      usd: a.usd + b.usd,
    }));
}

/** Rounds for storage and sums in reports: to a millionth of a dollar, which drops float noise only. */
export function roundUsd(usd: number, decimals = 6): number {
  const factor = 10 ** decimals;
  return Math.round((usd + Number.EPSILON) * factor) / factor;
}

/**
 * For people: cents from $0.10 up (`$12.35`), two significant digits below (`$0.0042`), so a
 * cheap video never shows as `$0.00`.
 */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0.00';
  const sign = usd < 0 ? '-' : '';
  const amount = Math.abs(usd);
  if (amount >= 0.1) return `${sign}$${amount.toFixed(2)}`;
  if (amount < 0.000001) return `${sign}<$0.000001`;
  return `${sign}$${String(Number(amount.toPrecision(2)))}`;
}

/** Long prompts switch the whole request to the long-context prices, as Google bills them. */
function tierFor(model: ModelInfo, date: Date, promptTokens: number): PriceTier {
  const period = priceAt(model, date);
  return period.longContext && promptTokens > period.longContext.abovePromptTokens ? period.longContext : period;
}

const inputPrice = (prices: InputPrices, modality: Modality): number => prices[modality] ?? prices.default;

const sum = (values: Array<number | undefined>): number => values.reduce<number>((a, b) => a + (b ?? 0), 0);

function tooSmallMessage(model: ModelInfo, opts: Omit<MediaPlanOptions, 'resolution'>): string {
  return (
    `${model.id} has no room for video: its ${model.contextWindowTokens.toLocaleString('en-US')}-token context ` +
    `cannot hold ${opts.expectedOutputTokens.toLocaleString('en-US')} output tokens plus the prompt. Lower the template's max output tokens.`
  );
}
