import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';
import { inspectLocalVideo, VideoRejectedError } from '../media/inspect';
import type { ProcessingOptions, VideoFacts, VideoItem } from '../types';
import type { ActivityContext } from './context';
import { withHeartbeat } from './heartbeat';
import { templateFailure } from './template-failure';

export function inspectActivities(ctx: ActivityContext) {
  return {
    /**
     * Establishes what a video is before anything is spent: readable, not empty, not too large,
     * really a video (by content), its duration and content hash; and whether an up-to-date
     * output already exists (same content, template version and model), in which case the
     * video is skipped unless forced.
     */
    async inspectVideo(input: { item: VideoItem; options: ProcessingOptions }): Promise<VideoFacts> {
      const { item, options } = input;
      const template = templateFailure(() => ctx.templates(options.templateDirs).get(options.template));
      let facts: VideoFacts;
      if (item.source.kind === 'youtube') {
        facts = {
          title: item.title,
          source: item.source.url,
          mimeType: 'video/*',
          contentHash: `youtube:${item.source.videoId}`,
        };
      } else {
        const filePath = item.source.path;
        try {
          const info = await withHeartbeat(() => inspectLocalVideo(filePath));
          facts = {
            title: item.title,
            source: path.resolve(filePath),
            sizeBytes: info.sizeBytes,
            mimeType: info.mimeType,
            durationSeconds: info.durationSeconds,
            contentHash: info.sha256,
          };
        } catch (err) {
          if (err instanceof VideoRejectedError) {
            throw ApplicationFailure.create({
              type: FailureType.VideoRejected,
              nonRetryable: true,
              message: err.message,
              details: [{ code: err.code }],
            });
          }
          throw err;
        }
      }
      if (!options.force) {
        const done = ctx.manifests.findDone(options.outputDir, {
          source: facts.source,
          contentHash: facts.contentHash,
          template: template.manifest.name,
          templateVersion: template.manifest.version,
          models: options.models,
        });
        // A document the person deleted is made again.
        const outputPath = done ? path.join(options.outputDir, done.outputPath) : undefined;
        if (outputPath && fs.existsSync(outputPath)) facts.upToDate = { outputPath };
      }
      return facts;
    },
  };
}
