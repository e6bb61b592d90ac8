import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { stateDirOf } from '../config/paths';
import { FailureType } from '../failures';
import { getModel } from '../gemini/catalog';
import { estimateForTemplates } from '../gemini/estimate-templates';
import { readOutputHistory } from '../gemini/output-history';
import { durationForEstimate } from '../gemini/duration-cache';
import { writeFileAtomic, safeIdFolder } from '../output/atomic';
import { discoverVideos, SourceError } from '../sources/discover';
import type { BatchSources, MediaResolution, PlannedVideo, SkippedEntry, VideoItem } from '../types';
import type { ActivityContext } from './context';
import { withHeartbeat } from './heartbeat';

/** Non-video entries listed in the batch's payloads; the full list is in the batch folder. */
const notVideosCap = 100;

export const batchDir = (outputDir: string, batchId: string): string =>
  path.join(stateDirOf(outputDir), 'batches', safeIdFolder(batchId));

export interface DiscoverBatchInput {
  batchId: string;
  sources: BatchSources;
  outputDir: string;
}

export interface DiscoveredBatch {
  total: number;
  listPath: string;
  notVideos: SkippedEntry[];
  notVideosCount: number;
}

export function batchActivities(ctx: ActivityContext) {
  return {
    /**
     * Finds the batch's videos and writes them, one JSON line each, to the batch's folder; the
     * workflow then reads them a page at a time. Re-running reuses the list already written, so
     * a batch's list never changes under it.
     */
    async discoverBatch(input: DiscoverBatchInput): Promise<DiscoveredBatch> {
      const dir = batchDir(input.outputDir, input.batchId);
      const listPath = path.join(dir, 'videos.jsonl');
      const skippedPath = path.join(dir, 'not-videos.json');
      try {
        const [list, skippedText] = await Promise.all([
          fs.readFile(listPath, 'utf8'),
          fs.readFile(skippedPath, 'utf8'),
        ]);
        const notVideos = JSON.parse(skippedText) as SkippedEntry[];
        return {
          total: countLines(list),
          listPath,
          notVideos: notVideos.slice(0, notVideosCap),
          notVideosCount: notVideos.length,
        };
      } catch {
        // not discovered yet
      }
      let found: { items: VideoItem[]; skipped: SkippedEntry[] };
      try {
        found = await withHeartbeat(() => discoverVideos(input.sources));
      } catch (err) {
        if (err instanceof SourceError) {
          throw ApplicationFailure.create({
            type: FailureType.VideoRejected,
            nonRetryable: true,
            message: err.message,
          });
        }
        throw err;
      }
      await writeFileAtomic(skippedPath, JSON.stringify(found.skipped));
      await writeFileAtomic(
        listPath,
        found.items.map((item) => JSON.stringify(item)).join('\n') + (found.items.length ? '\n' : ''),
      );
      return {
        total: found.items.length,
        listPath,
        notVideos: found.skipped.slice(0, notVideosCap),
        notVideosCount: found.skipped.length,
      };
    },

    /**
     * One page of the batch's videos, each with its expected cost and its ceiling (for the budget,
     * and to compare with the bill at the end). The expected output comes from the answers this
     * output folder has already seen for the template and model.
     */
    async loadBatchPage(input: {
      listPath: string;
      offset: number;
      limit: number;
      estimateWith?: {
        model: string;
        mediaResolution?: MediaResolution;
        template?: string;
        /** Several templates: the video's figures cover every note (and its cache where it pays). */
        templates?: string[];
        /** Economy mode: the analyses are billed at the model's Batch API price, and so are the budget's figures. */
        economy?: boolean;
        templateDirs?: string[];
        templateParams?: Record<string, string>;
        outputDir?: string;
      };
    }): Promise<PlannedVideo[]> {
      const lines = (await fs.readFile(input.listPath, 'utf8')).split('\n').filter(Boolean);
      const items = lines.slice(input.offset, input.offset + input.limit).map((l) => JSON.parse(l) as VideoItem);
      const est = input.estimateWith;
      if (!est?.template) return items;
      const model = getModel(ctx.deps.catalog, est.model);
      const templates = (est.templates && est.templates.length > 1 ? est.templates : [est.template]).map((t) =>
        ctx.templates(est.templateDirs ?? []).get(t),
      );
      const priceFactor = est.economy ? model.batchPriceFactor : 1;
      const history = est.outputDir ? await readOutputHistory(est.outputDir) : undefined;
      return withHeartbeat(async () => {
        const durations = await mapLimited(items, probeConcurrency, (item) =>
          item.source.kind === 'file' ? durationForEstimate(item.source.path) : Promise.resolve(undefined),
        );
        return items.map((item, i): PlannedVideo => {
          const estimate = estimateForTemplates(
            {
              model,
              templateParams: est.templateParams,
              video: {
                title: item.title,
                source: item.source.kind === 'file' ? item.source.path : item.source.url,
                sourceKind: item.source.kind,
                durationSeconds: durations[i],
              },
              forcedResolution: est.mediaResolution,
              now: ctx.now(),
              history,
              typical: ctx.deps.catalog.typicalOutputTokens,
            },
            templates,
            !est.economy,
          );
          return {
            ...item,
            estimatedCostUsd: estimate.ceiling.usd * priceFactor,
            expectedCostUsd: estimate.expected.usd * priceFactor,
            expectedInputTokens: estimate.expected.inputTokens,
            expectedOutputTokens: estimate.expected.outputTokens,
            expectedFromHistory: estimate.outputBasis.kind === 'history',
          };
        });
      });
    },
  };
}

/** ffprobe runs a page of videos at a time: a few at once, not two hundred. */
const probeConcurrency = 4;

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

function countLines(text: string): number {
  return text.split('\n').filter(Boolean).length;
}
