/** models/{model}:generateContent, :streamGenerateContent and :countTokens. */
import { modelNotFound } from './errors';
import {
  parseGenerateRequest,
  promptTokens,
  resolveVideos,
  type ParsedRequest,
  type PromptTokens,
  type ResolvedVideo,
} from './generate-request';
import { limitFor } from './keys';
import { fakeFromSchema, mismatchFromSchema } from './schema-fake';
import type { Reply, RequestCtx, StandinState } from './state';
import { Writer } from './text-fake';
import type { FaultAction } from './types';
import { randomToken, Rng } from './util';
import { videoTitle } from './videos';

interface Answer {
  text?: string;
  finishReason?: string;
  blockReason?: string;
  thoughts: number;
  thoughtText?: string;
}

function seedOf(req: ParsedRequest): string {
  return `${req.videos.map((v) => v.label).join('|')}\n${req.systemText}\n${req.promptText}`;
}

function timeRange(state: StandinState, videos: ResolvedVideo[]): { start: number; end: number } {
  const v = videos[0];
  if (!v) return { start: 0, end: 60 };
  return state.options.clipTimestamps === 'relative'
    ? { start: 0, end: v.clipEnd - v.clipStart }
    : { start: v.clipStart, end: v.clipEnd };
}

/** The answer the model would give without faults. */
function draft(state: StandinState, req: ParsedRequest, videos: ResolvedVideo[], schemaMismatch: boolean): string {
  const title = videos[0] ? videoTitle(videos[0].label) : 'the lesson';
  const ctx = {
    seed: seedOf(req),
    title,
    range: timeRange(state, videos),
    videoUrl: videos.find((v) => v.kind === 'youtube')?.uri,
  };
  if (req.schema !== undefined) {
    const value = schemaMismatch ? mismatchFromSchema(req.schema, ctx) : fakeFromSchema(req.schema, ctx);
    if (req.responseMimeType === 'text/x.enum' && typeof value === 'string') return value;
    return JSON.stringify(value, null, 2);
  }
  const writer = new Writer(new Rng(ctx.seed), title);
  if (req.responseMimeType === 'application/json') {
    const value = schemaMismatch
      ? { unexpected: true }
      : {
          title: writer.heading(),
          summary: writer.paragraph(2),
          keyPoints: [writer.sentence(), writer.sentence(), writer.sentence()],
        };
    return JSON.stringify(value, null, 2);
  }
  return writer.markdown(ctx.range.start, ctx.range.end);
}

function thinkingTokens(model: string, req: ParsedRequest, rng: Rng): number {
  const budget = req.thinkingBudget;
  if (budget === 0) return 0;
  if (model.includes('lite') && (budget === undefined || budget < 0)) return 0;
  const n = rng.int(96, 640);
  return budget !== undefined && budget > 0 ? Math.min(budget, n) : n;
}

function answer(
  state: StandinState,
  model: string,
  req: ParsedRequest,
  videos: ResolvedVideo[],
  action: FaultAction | undefined,
): Answer {
  const rng = new Rng(`thoughts\n${seedOf(req)}`);
  const thoughts = thinkingTokens(model, req, rng);
  const base: Answer = { thoughts };
  if (req.includeThoughts && thoughts > 0)
    base.thoughtText = `**Planning the lesson**\n\nI will watch the video and organise its key moments before writing.`;
  if (action?.type === 'blocked-prompt') return { thoughts: 0, blockReason: action.reason };
  if (action?.type === 'finish' && action.reason !== 'MAX_TOKENS') return { ...base, finishReason: action.reason };
  const text = draft(state, req, videos, action?.type === 'schema-mismatch');
  const limitChars = req.maxOutputTokens !== undefined ? req.maxOutputTokens * 4 : Number.POSITIVE_INFINITY;
  if (action?.type === 'finish' || action?.type === 'max-tokens-below') {
    const cut = Math.max(1, Math.min(limitChars, Math.floor(text.length * 0.6)));
    return { ...base, text: text.slice(0, cut), finishReason: 'MAX_TOKENS' };
  }
  if (action?.type === 'invalid-json') {
    return {
      ...base,
      text: `Here is the lesson plan you asked for:\n${text.slice(0, Math.max(2, Math.floor(text.length * 0.6)))}`,
      finishReason: 'STOP',
    };
  }
  if (text.length > limitChars) return { ...base, text: text.slice(0, limitChars), finishReason: 'MAX_TOKENS' };
  return { ...base, text, finishReason: 'STOP' };
}

function usageMetadata(p: PromptTokens, candidates: number, thoughts: number): Record<string, unknown> {
  const details: Array<{ modality: string; tokenCount: number }> = [];
  if (p.video > 0) details.push({ modality: 'VIDEO', tokenCount: p.video });
  if (p.audio > 0) details.push({ modality: 'AUDIO', tokenCount: p.audio });
  if (p.image > 0) details.push({ modality: 'IMAGE', tokenCount: p.image });
  details.push({ modality: 'TEXT', tokenCount: p.text });
  const usage: Record<string, unknown> = { promptTokenCount: p.total };
  if (candidates > 0) usage.candidatesTokenCount = candidates;
  usage.totalTokenCount = p.total + candidates + thoughts;
  usage.promptTokensDetails = details;
  if (thoughts > 0) usage.thoughtsTokenCount = thoughts;
  return usage;
}

const safetyCategories = [
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
];

function safetyRatings(blocked: boolean): Array<Record<string, unknown>> {
  return safetyCategories.map((category, i) =>
    blocked && i === 3 ? { category, probability: 'HIGH', blocked: true } : { category, probability: 'NEGLIGIBLE' },
  );
}

function responseBody(model: string, a: Answer, p: PromptTokens, responseId: string): Record<string, unknown> {
  const candidatesTokens = a.text ? Math.ceil(a.text.length / 4) : 0;
  if (a.blockReason) {
    return {
      promptFeedback: {
        blockReason: a.blockReason,
        ...(a.blockReason === 'SAFETY' ? { safetyRatings: safetyRatings(true) } : {}),
      },
      usageMetadata: usageMetadata(p, 0, 0),
      modelVersion: model,
      responseId,
    };
  }
  const candidate: Record<string, unknown> = {};
  if (a.text !== undefined) {
    const parts: Array<Record<string, unknown>> = [];
    if (a.thoughtText) parts.push({ text: a.thoughtText, thought: true });
    parts.push({ text: a.text });
    candidate.content = { parts, role: 'model' };
  }
  candidate.finishReason = a.finishReason;
  if (a.finishReason === 'SAFETY') candidate.safetyRatings = safetyRatings(true);
  candidate.index = 0;
  return {
    candidates: [candidate],
    usageMetadata: usageMetadata(p, candidatesTokens, a.thoughts),
    modelVersion: model,
    responseId,
  };
}

/** The same answer cut into server-sent events: text in pieces, usage cumulative, reason last. */
function streamEvents(model: string, a: Answer, p: PromptTokens, responseId: string): unknown[] {
  if (!a.text) return [responseBody(model, a, p, responseId)];
  const pieces = 3;
  const size = Math.ceil(a.text.length / pieces);
  const events: unknown[] = [];
  for (let i = 0; i < pieces; i++) {
    const piece = a.text.slice(i * size, (i + 1) * size);
    const sent = a.text.slice(0, (i + 1) * size);
    const last = i === pieces - 1;
    const partial: Answer = {
      ...a,
      text: piece,
      thoughtText: i === 0 ? a.thoughtText : undefined,
      finishReason: last ? a.finishReason : undefined,
    };
    const body = responseBody(model, partial, p, responseId);
    body.usageMetadata = usageMetadata(p, Math.ceil(sent.length / 4), a.thoughts);
    events.push(body);
  }
  return events;
}

/** How the routes call a model: `stream` answers as streamGenerateContent does. */
export type GenerateCall = (
  state: StandinState,
  ctx: RequestCtx,
  model: string,
  body: unknown,
  stream: boolean,
) => Promise<Reply>;

export async function generateContent(
  ...[state, ctx, model, body, stream]: Parameters<GenerateCall>
): ReturnType<GenerateCall> {
  ctx.model = model;
  // Parse first so even a refused call is counted against its video, but answer 404 before 400.
  let req: ParsedRequest;
  try {
    req = parseGenerateRequest(state, body);
  } catch (err) {
    if (!state.isKnownModel(model)) throw modelNotFound(model, ctx.apiVersion, 'generateContent');
    throw err;
  }
  ctx.video = req.videos[0]?.label;
  if (!state.isKnownModel(model)) throw modelNotFound(model, ctx.apiVersion, 'generateContent');
  ctx.mediaParts = req.videos.length;
  const action = await state.runFaults(
    'generate',
    ctx,
    (a) =>
      a.type !== 'file-failed' &&
      (a.type !== 'max-tokens-below' || (req.maxOutputTokens ?? Number.POSITIVE_INFINITY) < a.tokens),
    { fileId: req.videos[0]?.fileId },
  );
  const videos = resolveVideos(state, ctx, req.videos, true);
  const prompt = promptTokens(req, videos, model);
  ctx.mediaParts = req.videos.length;
  const key = ctx.key;
  if (key) {
    // Gemini counts limits per project and model: keys of one project share them.
    ctx.admittedAt = Date.now();
    state.limiter.admit(
      key.project,
      key.tier,
      model,
      limitFor(key.limits, model),
      prompt.total,
      state.options.minuteMs,
    );
  }

  const a = answer(state, model, req, videos, action);
  const responseId = randomToken(17);
  const candidates = a.text ? Math.ceil(a.text.length / 4) : 0;
  ctx.finishReason = a.blockReason ? `PROMPT_BLOCKED:${a.blockReason}` : a.finishReason;
  ctx.usage = { prompt: prompt.total, candidates, thoughts: a.thoughts, total: prompt.total + candidates + a.thoughts };
  if (stream) return { status: 200, events: streamEvents(model, a, prompt, responseId) };
  return { status: 200, body: responseBody(model, a, prompt, responseId) };
}

export function countTokens(state: StandinState, ctx: RequestCtx, model: string, body: unknown): Reply {
  ctx.model = model;
  if (!state.isKnownModel(model)) throw modelNotFound(model, ctx.apiVersion, 'countTokens');
  const inner =
    typeof body === 'object' && body !== null && 'generateContentRequest' in body
      ? (body as { generateContentRequest: unknown }).generateContentRequest
      : body;
  const { model: _m, ...request } = (inner ?? {}) as Record<string, unknown>;
  const req = parseGenerateRequest(state, request);
  ctx.video = req.videos[0]?.label;
  const p = promptTokens(req, resolveVideos(state, ctx, req.videos, false), model);
  const details = (usageMetadata(p, 0, 0).promptTokensDetails as unknown[]) ?? [];
  return { status: 200, body: { totalTokens: p.total, promptTokensDetails: details } };
}
