import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { stateDirOf } from '../config/paths';
import { FailureType } from '../failures';
import { getModel } from '../gemini/catalog';
import { estimateForVideo } from '../gemini/estimate';
import { probeDuration } from '../media/probe';
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

    /** One page of the batch's videos, with cost estimates when the batch has a budget. */
    async loadBatchPage(input: {
      listPath: string;
      offset: number;
      limit: number;
      estimateWith?: { model: string; mediaResolution?: MediaResolution; template?: string; templateDirs?: string[] };
    }): Promise<PlannedVideo[]> {
      const lines = (await fs.readFile(input.listPath, 'utf8')).split('\n').filter(Boolean);
      const items = lines.slice(input.offset, input.offset + input.limit).map((l) => JSON.parse(l) as VideoItem);
      if (!input.estimateWith) return items;
      const { model: modelId, mediaResolution, template: templateName, templateDirs } = input.estimateWith;
      const model = getModel(ctx.deps.catalog, modelId);
      const templateModel = templateName
        ? ctx.templates(templateDirs ?? []).get(templateName).manifest.model
        : undefined;
      return withHeartbeat(async () => {
        const planned: PlannedVideo[] = [];
        for (const item of items) {
          const duration = item.source.kind === 'file' ? await probeDuration(item.source.path) : undefined;
          const estimate = estimateForVideo(model, templateModel, duration, mediaResolution, ctx.now());
          planned.push({ ...item, estimatedCostUsd: estimate.usd });
        }
        return planned;
      });
    },
  };
}

function countLines(text: string): number {
  return text.split('\n').filter(Boolean).length;
}
