import fs from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { stateDirOf } from '../config/paths';
import { FailureType } from '../failures';
import { getModel, type Modality, type ModelCatalog, type ModelInfo } from '../gemini/catalog';
import { classifyRefusal, escalatePersistentUnavailability } from '../gemini/classify';
import { costOfUsage, planMediaStrategy, type Clip, type MediaPlan } from '../gemini/cost';
import { CacheGoneError, type GenerateRequest, type GenerateResult } from '../gemini/gateway';
import {
  completeToSchema,
  completionPrompt,
  fitListsToSchema,
  mergeClipOutputs,
  repairSystemInstruction,
  repairTruncatedJson,
  schemaRepairPrompt,
} from '../gemini/json-repair';
import { outputLimit } from '../gemini/estimate';
import { writeFileAtomic, safeIdFolder } from '../output/atomic';
import { givenParamsFor, parseModelOutput, renderPrompt, resolveParams, type TemplateRegistry } from '../templates';
import {
  addUsage,
  emptyUsage,
  type AnalysisResult,
  type MediaResolution,
  type ProcessingOptions,
  type TokenUsage,
  type UploadedFile,
  type VideoFacts,
  type VideoItem,
} from '../types';
import type { ActivityContext } from './context';
import { clipMoments, clipsAtTheirMoments } from './clip-moments';
import { readStoredClips, storeClip, type StoredClip } from './clip-store';
import { withHeartbeat, inActivity } from './heartbeat';
import { templateFailure } from './template-failure';

export interface AnalyzeInput {
  workflowId: string;
  /**
   * The workflow's run chain (the run id its start recorded, which resets keep): answers kept in
   * the work folder are reused by its retries and resets, never by a later start of the same
   * workflow id, which may be about changed content or asked with --force. Absent from calls
   * scheduled before it existed (those use the workflow's folder itself).
   */
  chain?: string;
  item: VideoItem;
  facts: VideoFacts;
  /** Absent for YouTube links, which Gemini reads directly. */
  file?: UploadedFile;
  options: ProcessingOptions;
  model: string;
  keyAlias: string;
  /** Overrides the template's output limit (a retry after MAX_TOKENS). */
  maxOutputTokens?: number;
  /**
   * Epoch ms of the call's booked moment in its project's minute (src/keys/minute-ledger.ts): the
   * workflow wakes a few seconds early and the call waits here for it, so dispatch delays do not
   * make it late. Past (a retry), it does not wait.
   */
  notBefore?: number;
  /**
   * A video above its project's minute goes in these clips, each booked in the minute on its own:
   * clip i is sent no earlier than its `notBefore` (the first's is `notBefore` above).
   */
  bookedClips?: Array<Clip & { notBefore: number }>;
}

export const workDirOf = (outputDir: string, workflowId: string, chain?: string): string =>
  path.join(stateDirOf(outputDir), 'work', safeIdFolder(workflowId), ...(chain ? [safeIdFolder(chain)] : []));

/** Everything an analysis decides before it calls Gemini: the template, limits, media plan and where the answer goes. */
export interface PlannedAnalysis {
  template: ReturnType<TemplateRegistry['get']>;
  info: ModelInfo | undefined;
  limit: number;
  resolution: MediaResolution;
  plan: { clips?: Clip[] };
  clips: Array<Clip | undefined>;
  video: { fileUri: string; mimeType?: string };
  workDir: string;
  analysisPath: string;
  /** The context cache the video is read from, when one was made for this model and key and the video goes whole at the default resolution. */
  cacheName?: string;
  promptFor: (clip?: { startSeconds: number; endSeconds: number; index: number; count: number }) => {
    prompt: string;
    systemInstruction?: string;
  };
}

/** How the calls about the video are answered: interactively, or from a Batch API job's answers. */
export type ClipCall = (index: number, request: GenerateRequest) => Promise<GenerateResult>;

export function analyzeActivities(ctx: ActivityContext) {
  const { gemini } = ctx.deps;
  return {
    /**
     * Asks Gemini for the template's structured answer about the video, validates it, and stores
     * it in the video's work folder (the answer never travels in the workflow's history). Long
     * videos go at low media resolution, or in clips that are merged.
     */
    async analyzeVideo(input: AnalyzeInput): Promise<AnalysisResult> {
      const planned = planAnalysis(ctx, input);
      // A stored answer for this exact request means an earlier attempt was paid for and then
      // lost (the worker died before Temporal heard back): use it instead of paying again.
      const stored = await readStoredAnalysis(planned.analysisPath);
      if (stored) return stored;
      const storedClips =
        planned.clips.length > 1 ? await readStoredClips(planned.analysisPath, planned.clips.length) : new Map();
      const booked = input.bookedClips;
      if (!booked) {
        if (input.notBefore !== undefined && input.notBefore > Date.now() && inActivity())
          await Context.current().sleep(input.notBefore - Date.now());
        return completeAnalysis(ctx, input, planned, (_index, request) => gemini.generate(input.keyAlias, request), {
          storedClips,
        });
      }
      // Each clip goes at its own booked moment (those answered by an earlier attempt not at all).
      const requests = clipRequests(input, planned);
      const retried = inActivity() && Context.current().info.attempt > 1;
      const moments = clipMoments(
        booked.map((c) => c.notBefore),
        new Set(storedClips.keys()),
        Date.now(),
        retried,
      );
      const schedule = clipsAtTheirMoments(moments, (index, signal) =>
        gemini.generate(input.keyAlias, { ...requests[index], abortSignal: signal }),
      );
      const clipPromptTokens: number[] = [];
      try {
        return await completeAnalysis(ctx, input, planned, (index) => schedule.answer(index), {
          storedClips,
          clipPromptTokens,
        });
      } catch (err) {
        // Each clip's booking is settled with what it spent, the failed attempt's included.
        throw withClipSpend(err, clipPromptTokens);
      } finally {
        schedule.stop();
      }
    },
  };
}

function modelInfo(catalog: ModelCatalog, id: string): ModelInfo | undefined {
  try {
    return getModel(catalog, id);
  } catch {
    return undefined; // a model the catalog does not know can still be tried; its cost is unknown
  }
}

export function planAnalysis(ctx: ActivityContext, input: AnalyzeInput): PlannedAnalysis {
  const { item, facts, options, model, keyAlias } = input;
  const template = templateFailure(() => ctx.templates(options.templateDirs).get(options.template));
  const several = (options.templates?.length ?? 0) > 1;
  const params = templateFailure(() =>
    resolveParams(template, givenParamsFor(template, options.templateParams, several)),
  );
  const promptFor = (clip?: { startSeconds: number; endSeconds: number; index: number; count: number }) =>
    templateFailure(() =>
      renderPrompt(template, {
        video: {
          title: facts.title,
          source: facts.source,
          sourceKind: item.source.kind,
          durationSeconds: facts.durationSeconds,
        },
        params,
        clip,
      }),
    );
  const info = modelInfo(ctx.deps.catalog, model);
  const limit = Math.min(
    input.maxOutputTokens ?? outputLimit(info, template),
    info?.maxOutputTokens ?? Number.MAX_SAFE_INTEGER,
  );
  const forced = options.mediaResolution ?? template.manifest.model?.mediaResolution;
  const booked = input.bookedClips?.map(({ startSeconds, endSeconds }) => ({ startSeconds, endSeconds }));
  // Clips booked in the project's minute were sized for it (and for the context) when they were booked.
  const plan: MediaPlan =
    booked && booked.length > 1
      ? { resolution: forced ?? 'default', strategy: 'clips', clips: booked }
      : info
        ? planMediaStrategy(info, facts.durationSeconds, { expectedOutputTokens: limit, resolution: forced })
        : { resolution: forced ?? 'default', strategy: 'whole' };
  const resolution = plan.resolution;
  const clips = plan.strategy === 'clips' && plan.clips ? plan.clips : [undefined];
  const video = input.file ? { fileUri: input.file.uri, mimeType: input.file.mimeType } : { fileUri: facts.source }; // a public YouTube link goes to Gemini as is
  const workDir = workDirOf(options.outputDir, input.workflowId, input.chain);
  // Several templates of one video share the work folder: each answer is stored under its template.
  const byTemplate = several ? `${safeIdFolder(options.template)}-` : '';
  const analysisPath = path.join(workDir, `analysis-${byTemplate}${safeIdFolder(model)}-${limit}-${resolution}.json`);
  const cache = options.cachedContent;
  const cacheName =
    cache && cache.model === model && cache.keyAlias === keyAlias && clips.length === 1 && resolution === 'default'
      ? cache.name
      : undefined;
  return { template, info, limit, resolution, plan, clips, video, workDir, analysisPath, promptFor, cacheName };
}

/** The call about the video for each clip (one for a whole video), exactly as the analysis sends it. */
export function clipRequests(input: AnalyzeInput, planned: PlannedAnalysis): GenerateRequest[] {
  return planned.clips.map((_clip, index) => clipRequest(input, planned, index, planned.cacheName));
}

/** One clip's call: the video read from the cache when one is named, else sent as the uploaded file (or link). */
function clipRequest(
  input: AnalyzeInput,
  planned: PlannedAnalysis,
  index: number,
  cacheName: string | undefined,
): GenerateRequest {
  const { clips, video, limit, resolution, template } = planned;
  const clip = clips[index];
  const { prompt, systemInstruction } = planned.promptFor(clip ? { ...clip, index, count: clips.length } : undefined);
  return {
    model: input.model,
    ...(cacheName ? { cachedContent: cacheName } : { video: { ...video, clip } }),
    prompt,
    systemInstruction,
    temperature: template.manifest.model?.temperature,
    maxOutputTokens: limit,
    mediaResolution: resolution,
    responseJsonSchema: template.responseJsonSchema,
  };
}

/**
 * Gets each clip's answer through `callClip`, validates, repairs or classifies it, merges clips,
 * and stores the answer in the work folder. `batch`: the answers about the video came from a Batch
 * API job and cost its price; text-only repairs are always interactive calls.
 */
export async function completeAnalysis(
  ctx: ActivityContext,
  input: AnalyzeInput,
  planned: PlannedAnalysis,
  callClip: ClipCall,
  /**
   * `storedClips`: clips an earlier attempt answered (src/activities/clip-store.ts), used instead of
   * asking again; `clipPromptTokens` is filled with each clip's input tokens as they come.
   */
  opts: { batch?: boolean; storedClips?: Map<number, StoredClip>; clipPromptTokens?: number[] } = {},
): Promise<AnalysisResult> {
  const { gemini } = ctx.deps;
  const { model, keyAlias } = input;
  const { template, info, limit, resolution, plan, clips, workDir, analysisPath } = planned;
  let cacheName = planned.cacheName;

  let usage: TokenUsage = emptyUsage();
  /** Usage of the text-only repairs: interactive calls, at the interactive price even in economy mode. */
  let repairUsage: TokenUsage = emptyUsage();
  /** Prompt tokens by modality over every call, for models that price sound apart. */
  const byModality: Partial<Record<Modality, number>> = {};
  const cachedByModality: Partial<Record<Modality, number>> = {};
  const addModalities = (r: GenerateResult) => {
    for (const [m, n] of Object.entries(r.promptTokensByModality ?? {}) as Array<[Modality, number]>)
      byModality[m] = (byModality[m] ?? 0) + n;
    for (const [m, n] of Object.entries(r.cachedTokensByModality ?? {}) as Array<[Modality, number]>)
      cachedByModality[m] = (cachedByModality[m] ?? 0) + n;
  };
  const priced = () => {
    if (!info) return 0;
    if (!opts.batch)
      return costOfUsage(info, usage, ctx.now(), {
        promptTokensByModality: byModality,
        cachedTokensByModality: cachedByModality,
      });
    const videoUsage = subtractUsage(usage, repairUsage);
    return (
      costOfUsage(info, videoUsage, ctx.now(), { promptTokensByModality: byModality, batch: true }) +
      costOfUsage(info, repairUsage, ctx.now())
    );
  };
  const parts: unknown[] = [];
  let finishReason = 'STOP';
  let truncated = false;
  let repairs = 0;

  /**
   * Asks for a corrected answer without the video: the answer already paid for, what is wrong
   * with it, and the schema. Returns the validated answer, or undefined when the repair did not
   * give one (the caller then does what it did before: keep what it can, or analyse again).
   */
  const repairWithoutVideo = async (prompt: string, maxOutputTokens: number): Promise<unknown> => {
    let result: GenerateResult;
    try {
      result = await withHeartbeat((signal) =>
        gemini.generate(keyAlias, {
          model,
          prompt,
          systemInstruction: repairSystemInstruction,
          temperature: 0,
          maxOutputTokens,
          mediaResolution: resolution,
          responseJsonSchema: template.responseJsonSchema,
          abortSignal: signal,
        }),
      );
    } catch (err) {
      // A failed repair costs nothing more than before: the usual path (analyse again) still applies.
      if (inActivity()) Context.current().log.warn('text-only repair failed', { error: String(err) });
      return undefined;
    }
    usage = addUsage(usage, result.usage);
    repairUsage = addUsage(repairUsage, result.usage);
    if (!opts.batch) addModalities(result);
    if (result.finishReason !== 'STOP' || result.blockReason) return undefined;
    const repaired = parseModelOutput(template, result.text ?? '');
    if (!repaired.ok) return undefined;
    repairs++;
    return repaired.data;
  };
  /** In clips: each clip's input tokens as Gemini counted them (what settles its booking), kept for a failure too. */
  const clipPromptTokens = opts.clipPromptTokens ?? [];
  const inClips = clips.length > 1;
  let clipStart = usage;
  let clipModalities: GenerateResult['promptTokensByModality'];
  /** A clip's answer is in: kept for the merge and, in clips, stored so no later attempt pays for it again. */
  const keep = async (index: number, data: unknown, flags: { truncated?: boolean; repaired?: boolean } = {}) => {
    parts.push(data);
    if (!inClips || opts.batch) return;
    await storeClip(analysisPath, index, clips.length, {
      data,
      usage: subtractUsage(usage, clipStart),
      promptTokens: clipPromptTokens[index] ?? 0,
      ...(clipModalities ? { promptTokensByModality: clipModalities } : {}),
      ...flags,
    });
  };
  for (const [index] of clips.entries()) {
    clipStart = usage;
    const stored = opts.storedClips?.get(index);
    if (stored) {
      usage = addUsage(usage, stored.usage);
      addModalities({ promptTokensByModality: stored.promptTokensByModality } as GenerateResult);
      clipPromptTokens[index] = stored.promptTokens;
      if (stored.truncated) {
        truncated = true;
        finishReason = 'MAX_TOKENS';
      }
      if (stored.repaired) repairs++;
      parts.push(stored.data);
      continue;
    }
    let result: GenerateResult | undefined;
    try {
      while (!result) {
        const request = clipRequest(input, planned, index, cacheName);
        try {
          result = await withHeartbeat(
            (signal) => callClip(index, { ...request, abortSignal: signal }),
            () => clipHeartbeat(index, clips.length, input.bookedClips?.[index]?.notBefore),
          );
        } catch (err) {
          // A cache that lapsed (a long wait for a person or a quota) is no reason to fail: send the video.
          if (!(err instanceof CacheGoneError)) throw err;
          if (inActivity()) Context.current().log.warn('context cache gone; sending the video', { cache: cacheName });
          cacheName = undefined;
        }
      }
    } catch (err) {
      throw inActivity() ? escalatePersistentUnavailability(err, model, Context.current().info.attempt) : err;
    }
    usage = addUsage(usage, result.usage);
    addModalities(result);
    clipPromptTokens[index] = result.usage.promptTokens;
    clipModalities = result.promptTokensByModality;
    const cost = priced;

    const refusal = classifyRefusal(result, { usage, costUsd: cost() });
    if (refusal) throw refusal;
    const text = result.text ?? '';
    if (result.finishReason === 'MAX_TOKENS') {
      // First finish the cut answer from its own text, which costs no video tokens.
      const completed = await repairWithoutVideo(
        completionPrompt(text, limit),
        Math.min(limit * 2, info?.maxOutputTokens ?? limit * 2),
      );
      if (completed !== undefined) {
        await keep(index, completed, { repaired: true });
        continue;
      }
      truncated = true;
      finishReason = 'MAX_TOKENS';
      const repaired = repairTruncatedJson(text);
      // What the model had not reached yet is filled in empty, so the part it wrote can be kept.
      const kept =
        repaired === undefined
          ? undefined
          : parseModelOutput(template, JSON.stringify(completeToSchema(repaired, template.responseJsonSchema)));
      if (!kept?.ok) {
        throw ApplicationFailure.create({
          type: FailureType.InvalidModelOutput,
          nonRetryable: true,
          message: `Gemini's answer was cut off at ${limit} output tokens before any usable part${kept ? ` (${kept.error})` : ''}; raise the template's maxOutputTokens.`,
          details: [{ usage, costUsd: cost() }],
        });
      }
      await keep(index, kept.data, { truncated: true });
      continue;
    }
    const parsed = parseModelOutput(template, text);
    if (!parsed.ok) {
      const fixed = await repairWithoutVideo(schemaRepairPrompt(text, parsed.error), limit);
      if (fixed !== undefined) {
        await keep(index, fixed, { repaired: true });
        continue;
      }
      throw ApplicationFailure.create({
        type: FailureType.InvalidModelOutput,
        nonRetryable: true,
        message: `Gemini's answer did not match the ${template.manifest.name} template: ${parsed.error}`,
        details: [{ usage, costUsd: cost() }],
      });
    }
    await keep(index, parsed.data);
  }

  const data = clips.length > 1 ? fitListsToSchema(mergeClipOutputs(parts), template.responseJsonSchema) : parts[0];
  const result: AnalysisResult = {
    analysisPath,
    model,
    keyAlias,
    usage,
    costUsd: priced(),
    finishReason,
    truncated,
    mediaResolution: resolution,
    strategy: clips.length > 1 ? 'clips' : 'whole',
    maxOutputTokens: limit,
    atModelLimit: info?.maxOutputTokens !== undefined && limit >= info.maxOutputTokens,
    ...(repairs > 0 ? { repairs } : {}),
    ...(inClips ? { clipPromptTokens: clips.map((_c, i) => clipPromptTokens[i] ?? 0) } : {}),
  };
  await fs.mkdir(workDir, { recursive: true });
  // `analysedAt` dates the notes made from this answer: a format step run again after a crash
  // (a local activity whose result was lost) then renders the very same bytes.
  const analysedAt = ctx.now().toISOString();
  const stored: StoredAnalysis = { result, clips: plan.clips, analysedAt, data };
  await writeFileAtomic(analysisPath, JSON.stringify(stored, null, 2));
  return result;
}

/** What the Web UI shows of a clip in progress: which, and how long it still waits for its booked moment. */
function clipHeartbeat(index: number, count: number, notBefore: number | undefined) {
  const waitS = notBefore === undefined ? 0 : Math.ceil((notBefore - Date.now()) / 1000);
  return {
    clip: index,
    of: count,
    ...(waitS > 0
      ? { waiting: `clip ${index + 1}/${count} waits ${waitS} s for its booked moment in its project's minute` }
      : {}),
  };
}

/**
 * The failure with what each clip sent so far added to its details, so the workflow settles each
 * clip's booking with what it really spent (0 for a clip never sent).
 */
function withClipSpend(err: unknown, clipPromptTokens: number[]): unknown {
  if (!(err instanceof ApplicationFailure)) return err;
  const [first, ...rest] = err.details ?? [];
  const details = [{ ...(first && typeof first === 'object' ? first : {}), clipPromptTokens }, ...rest];
  return ApplicationFailure.create({
    type: err.type ?? undefined,
    message: err.message,
    nonRetryable: err.nonRetryable ?? undefined,
    nextRetryDelay: err.nextRetryDelay ?? undefined,
    category: err.category ?? undefined,
    cause: err.cause,
    details,
  });
}

function subtractUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    promptTokens: a.promptTokens - b.promptTokens,
    outputTokens: a.outputTokens - b.outputTokens,
    thoughtsTokens: a.thoughtsTokens - b.thoughtsTokens,
    totalTokens: a.totalTokens - b.totalTokens,
  };
}

/** A kept answer, as `completeAnalysis` writes it to `analysisPath`. */
export interface StoredAnalysis {
  result: AnalysisResult;
  clips?: MediaPlan['clips'];
  /** When the answer came; dates the notes made from it (absent from answers kept by older versions). */
  analysedAt?: string;
  data: unknown;
}

/** The kept answer at `file`, or undefined when there is none. */
export async function readStoredAnswer(file: string): Promise<Partial<StoredAnalysis> | undefined> {
  try {
    const stored = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<StoredAnalysis>;
    return stored.data !== undefined ? stored : undefined;
  } catch {
    return undefined;
  }
}

/** The result of a complete kept answer: what an earlier attempt paid for. */
export async function readStoredAnalysis(file: string): Promise<AnalysisResult | undefined> {
  return (await readStoredAnswer(file))?.result;
}
