/**
 * The two figures a person plans with, for one video: the *expected* cost (what it will most likely
 * cost) and the *ceiling* (what it can cost at most in one analysis). Both count the input the same
 * way: the prompt, the system instruction and the response schema as text, plus the video at the
 * model's documented token rate for the resolution the plan picks. The expected output is the mean
 * of what earlier answers of the same template and model really used in this output folder, or the
 * template's typical size until there are some; the ceiling prices every answer at its output limit.
 */
import type { LoadedTemplate } from '../templates';
import { renderPrompt, resolveParams } from '../templates';
import type { MediaResolution } from '../types';
import type { ModelCatalog, ModelInfo } from './catalog';
import { estimatePromptCost, planMediaStrategy, splitVideoTokens, videoTokensPerSecond } from './cost';
import { historyKey, type HistoryByWork } from './output-history';

/** Assumed length of a YouTube video before analysis (its length is known only once Gemini reads it). */
export const assumedYouTubeSeconds = 600;
/** Output limit of a template that sets none. */
export const defaultMaxOutputTokens = 8192;
/** Typical answer size when neither history nor the catalog says anything about the template. */
const fallbackTypicalOutput = 2000;
/** "About 4 characters per token" (ai.google.dev/gemini-api/docs/tokens). */
const charsPerToken = 4;

export interface TokenFigures {
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

/** Where the expected output comes from. */
export type OutputBasis = { kind: 'history'; videos: number } | { kind: 'typical'; source: 'catalog' | 'fallback' };

export interface VideoEstimate {
  resolution: MediaResolution;
  strategy: 'whole' | 'clips';
  /** Requests the plan makes (clips of a long video each cost a prompt and an answer). */
  requests: number;
  expected: TokenFigures;
  ceiling: TokenFigures;
  /** Input by part, the same for both figures. */
  input: { media: number; text: number; tokensPerSecond: number };
  outputBasis: OutputBasis;
  /** The output limit each request is sent with. */
  maxOutputTokens: number;
}

export interface EstimateRequest {
  model: ModelInfo;
  template: LoadedTemplate;
  templateParams?: Record<string, string>;
  video: { title: string; source: string; sourceKind: 'file' | 'youtube'; durationSeconds?: number };
  /** A resolution the user forced (else the template's, else the plan's choice). */
  forcedResolution?: MediaResolution;
  now: Date;
  /** Earlier answers in the output folder (`readOutputHistory`). */
  history?: HistoryByWork;
  /** The catalog's typical output sizes per template. */
  typical?: ModelCatalog['typicalOutputTokens'];
}

/** Tokens of text: characters / 4, rounded up, as the API's guide estimates. */
export const textTokens = (text: string): number => Math.ceil(text.length / charsPerToken);

/** The output limit a request uses: the template's (or the default), never above the model's. */
export function outputLimit(model: ModelInfo | undefined, template: LoadedTemplate): number {
  return Math.min(
    template.manifest.model?.maxOutputTokens ?? defaultMaxOutputTokens,
    model?.maxOutputTokens ?? Number.MAX_SAFE_INTEGER,
  );
}

/** Text sent with every request: prompt, system instruction and response schema. */
export function requestTextTokens(
  template: LoadedTemplate,
  video: EstimateRequest['video'],
  templateParams: Record<string, string> = {},
): number {
  let params: Record<string, unknown> = {};
  try {
    params = resolveParams(template, templateParams);
  } catch {
    // a bad parameter fails the batch elsewhere, with its own message; here the defaults do
  }
  const { prompt, systemInstruction } = renderPrompt(template, { video, params });
  return (
    textTokens(prompt) + textTokens(systemInstruction ?? '') + textTokens(JSON.stringify(template.responseJsonSchema))
  );
}

/** The expected output per request and what it is based on. */
export function expectedOutputTokens(
  templateName: string,
  modelId: string,
  history: HistoryByWork | undefined,
  typical: EstimateRequest['typical'],
): { tokens: number; basis: OutputBasis } {
  const seen = history?.get(historyKey(templateName, modelId));
  if (seen && seen.videos > 0)
    return { tokens: Math.round(seen.meanOutputTokens), basis: { kind: 'history', videos: seen.videos } };
  const listed = typical?.templates[templateName];
  if (listed !== undefined) return { tokens: listed, basis: { kind: 'typical', source: 'catalog' } };
  return {
    tokens: typical?.otherTemplates ?? fallbackTypicalOutput,
    basis: { kind: 'typical', source: typical ? 'catalog' : 'fallback' },
  };
}

/** Expected and ceiling figures for one video, priced at `now`. */
export function estimateForVideo(req: EstimateRequest): VideoEstimate {
  const { model, template, now } = req;
  const duration = req.video.durationSeconds ?? assumedYouTubeSeconds;
  const limit = outputLimit(model, template);
  const text = requestTextTokens(template, req.video, req.templateParams);
  const forced = req.forcedResolution ?? template.manifest.model?.mediaResolution;
  const plan = planMediaStrategy(model, duration, {
    expectedOutputTokens: limit,
    promptTokens: text,
    resolution: forced,
  });
  const pieces =
    plan.strategy === 'clips' && plan.clips ? plan.clips.map((c) => c.endSeconds - c.startSeconds) : [duration];
  let video = 0;
  let audio = 0;
  for (const seconds of pieces) {
    const split = splitVideoTokens(model, seconds, plan.resolution);
    video += split.video;
    audio += split.audio;
  }
  const requests = pieces.length;
  const expectedOut = expectedOutputTokens(template.name, model.id, req.history, req.typical);
  const figures = (outputPerRequest: number): TokenFigures => {
    // Priced per request, so a clip's long-context tier (if any) is judged on its own prompt.
    let usd = 0;
    pieces.forEach((seconds) => {
      const split = splitVideoTokens(model, seconds, plan.resolution);
      usd += estimatePromptCost(model, { input: { ...split, text }, output: outputPerRequest }, now);
    });
    return { inputTokens: video + audio + text * requests, outputTokens: outputPerRequest * requests, usd };
  };
  return {
    resolution: plan.resolution,
    strategy: plan.strategy,
    requests,
    expected: figures(expectedOut.tokens),
    ceiling: figures(limit),
    input: {
      media: video + audio,
      text: text * requests,
      tokensPerSecond: videoTokensPerSecond(model, plan.resolution),
    },
    outputBasis: expectedOut.basis,
    maxOutputTokens: limit,
  };
}

/** One line a person can read: what the expected figure is built on. */
export function describeBasis(estimate: Pick<VideoEstimate, 'outputBasis' | 'input' | 'resolution'>): string {
  const output =
    estimate.outputBasis.kind === 'history'
      ? `output: mean of ${estimate.outputBasis.videos} earlier ${estimate.outputBasis.videos === 1 ? 'video' : 'videos'}`
      : estimate.outputBasis.source === 'catalog'
        ? 'output: typical size, no history yet'
        : 'output: a generic size, no history yet';
  return `input: ${estimate.input.tokensPerSecond} tokens/s of video at ${estimate.resolution} resolution + prompt and schema; ${output}`;
}
