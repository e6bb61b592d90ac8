import fs from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { stateDirOf } from '../config/paths';
import { FailureType } from '../failures';
import { getModel, type Modality, type ModelInfo } from '../gemini/catalog';
import { classifyRefusal, escalatePersistentUnavailability } from '../gemini/classify';
import { costOfUsage, planMediaStrategy } from '../gemini/cost';
import { CacheGoneError, type GenerateResult } from '../gemini/gateway';
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
import { givenParamsFor, parseModelOutput, renderPrompt, resolveParams } from '../templates';
import {
  addUsage,
  emptyUsage,
  type AnalysisResult,
  type ProcessingOptions,
  type TokenUsage,
  type UploadedFile,
  type VideoFacts,
  type VideoItem,
} from '../types';
import type { ActivityContext } from './context';
import { withHeartbeat, inActivity } from './heartbeat';
import { templateFailure } from './template-failure';

export interface AnalyzeInput {
  workflowId: string;
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
}

export const workDirOf = (outputDir: string, workflowId: string): string =>
  path.join(stateDirOf(outputDir), 'work', safeIdFolder(workflowId));

export function analyzeActivities(ctx: ActivityContext) {
  const { gemini, catalog } = ctx.deps;

  function modelInfo(id: string): ModelInfo | undefined {
    try {
      return getModel(catalog, id);
    } catch {
      return undefined; // a model the catalog does not know can still be tried; its cost is unknown
    }
  }

  return {
    /**
     * Asks Gemini for the template's structured answer about the video, validates it, and stores
     * it in the video's work folder (the answer never travels in the workflow's history). Long
     * videos go at low media resolution, or in clips that are merged.
     */
    async analyzeVideo(input: AnalyzeInput): Promise<AnalysisResult> {
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
      const info = modelInfo(model);
      const limit = Math.min(
        input.maxOutputTokens ?? outputLimit(info, template),
        info?.maxOutputTokens ?? Number.MAX_SAFE_INTEGER,
      );
      const forced = options.mediaResolution ?? template.manifest.model?.mediaResolution;
      const plan = info
        ? planMediaStrategy(info, facts.durationSeconds, { expectedOutputTokens: limit, resolution: forced })
        : { resolution: forced ?? 'default', strategy: 'whole' as const, clips: undefined };
      const resolution = plan.resolution;
      const clips = plan.strategy === 'clips' && plan.clips ? plan.clips : [undefined];
      const video = input.file ? { fileUri: input.file.uri, mimeType: input.file.mimeType } : { fileUri: facts.source }; // a public YouTube link goes to Gemini as is

      // A stored answer for this exact request means an earlier attempt was paid for and then
      // lost (the worker died before Temporal heard back): use it instead of paying again.
      const workDir = workDirOf(options.outputDir, input.workflowId);
      // Several templates of one video share the work folder: each answer is stored under its template.
      const byTemplate = several ? `${safeIdFolder(options.template)}-` : '';
      const analysisPath = path.join(
        workDir,
        `analysis-${byTemplate}${safeIdFolder(model)}-${limit}-${resolution}.json`,
      );
      // The video is read from the context cache when the cache was made for this model and key, and the video goes whole at the default resolution.
      const cache = options.cachedContent;
      let cacheName =
        cache && cache.model === model && cache.keyAlias === keyAlias && clips.length === 1 && resolution === 'default'
          ? cache.name
          : undefined;
      const stored = await readStoredAnalysis(analysisPath);
      if (stored) return stored;
      if (input.notBefore !== undefined && input.notBefore > Date.now() && inActivity())
        await Context.current().sleep(input.notBefore - Date.now());

      let usage: TokenUsage = emptyUsage();
      /** Prompt tokens by modality over every call, for models that price sound apart. */
      const byModality: Partial<Record<Modality, number>> = {};
      const cachedByModality: Partial<Record<Modality, number>> = {};
      const addModalities = (r: GenerateResult) => {
        for (const [m, n] of Object.entries(r.promptTokensByModality ?? {}) as Array<[Modality, number]>)
          byModality[m] = (byModality[m] ?? 0) + n;
        for (const [m, n] of Object.entries(r.cachedTokensByModality ?? {}) as Array<[Modality, number]>)
          cachedByModality[m] = (cachedByModality[m] ?? 0) + n;
      };
      const priced = () =>
        info
          ? costOfUsage(info, usage, ctx.now(), {
              promptTokensByModality: byModality,
              cachedTokensByModality: cachedByModality,
            })
          : 0;
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
        addModalities(result);
        if (result.finishReason !== 'STOP' || result.blockReason) return undefined;
        const repaired = parseModelOutput(template, result.text ?? '');
        if (!repaired.ok) return undefined;
        repairs++;
        return repaired.data;
      };
      for (const [index, clip] of clips.entries()) {
        const { prompt, systemInstruction } = promptFor(clip ? { ...clip, index, count: clips.length } : undefined);
        let result: GenerateResult | undefined;
        const ask = (signal: AbortSignal) =>
          gemini.generate(keyAlias, {
            model,
            ...(cacheName ? { cachedContent: cacheName } : { video: { ...video, clip } }),
            prompt,
            systemInstruction,
            temperature: template.manifest.model?.temperature,
            maxOutputTokens: limit,
            mediaResolution: resolution,
            responseJsonSchema: template.responseJsonSchema,
            abortSignal: signal,
          });
        try {
          while (!result) {
            try {
              result = await withHeartbeat(ask, () => ({ clip: index, of: clips.length }));
            } catch (err) {
              // A cache that lapsed (a long wait for a person or a quota) is no reason to fail: send the video.
              if (!(err instanceof CacheGoneError)) throw err;
              if (inActivity())
                Context.current().log.warn('context cache gone; sending the video', { cache: cacheName });
              cacheName = undefined;
            }
          }
        } catch (err) {
          throw inActivity() ? escalatePersistentUnavailability(err, model, Context.current().info.attempt) : err;
        }
        usage = addUsage(usage, result.usage);
        addModalities(result);
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
            parts.push(completed);
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
          parts.push(kept.data);
          continue;
        }
        const parsed = parseModelOutput(template, text);
        if (!parsed.ok) {
          const fixed = await repairWithoutVideo(schemaRepairPrompt(text, parsed.error), limit);
          if (fixed !== undefined) {
            parts.push(fixed);
            continue;
          }
          throw ApplicationFailure.create({
            type: FailureType.InvalidModelOutput,
            nonRetryable: true,
            message: `Gemini's answer did not match the ${template.manifest.name} template: ${parsed.error}`,
            details: [{ usage, costUsd: cost() }],
          });
        }
        parts.push(parsed.data);
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
      };
      await fs.mkdir(workDir, { recursive: true });
      await writeFileAtomic(analysisPath, JSON.stringify({ result, clips: plan.clips, data }, null, 2));
      return result;
    },
  };
}

async function readStoredAnalysis(file: string): Promise<AnalysisResult | undefined> {
  try {
    const stored = JSON.parse(await fs.readFile(file, 'utf8')) as { result?: AnalysisResult; data?: unknown };
    return stored.result && stored.data !== undefined ? stored.result : undefined;
  } catch {
    return undefined;
  }
}
