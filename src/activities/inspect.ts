import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';
import { probeVideoCached } from '../gemini/duration-cache';
import { inspectLocalVideo, VideoRejectedError } from '../media/inspect';
import { sha256Hex } from '../output/atomic';
import { expandOutputPattern } from '../output/naming';
import type { ManifestEntry } from '../output/manifest';
import { readRegularFile } from '../output/safe-path';
import type { ProcessingOptions, VideoFacts, VideoItem } from '../types';
import type { ActivityContext } from './context';
import { outputBaseName } from './write';
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
      const several = options.templates && options.templates.length > 1 ? options.templates : undefined;
      const templates = (several ?? [options.template]).map((name) =>
        templateFailure(() => ctx.templates(options.templateDirs).get(name)),
      );
      if (several && !options.outputPattern.includes('{template}')) {
        throw ApplicationFailure.create({
          type: FailureType.OutputWriteFailed,
          nonRetryable: true,
          message: `The output pattern ${options.outputPattern} has no {template}, so the ${several.length} notes of a video would take one name: add {template} to it (e.g. {template}/{name}.md).`,
        });
      }
      for (const template of templates) checkOutputName(item, options, template.manifest.name);
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
          // The batch page probed this file for its estimate: that answer is reused (same size and mtime).
          const info = await withHeartbeat(() => inspectLocalVideo(filePath, { probeWith: probeVideoCached }));
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
      if (options.force) return facts;
      // Judged per template: a rerun that adds a template makes only the missing note.
      const upToDate: Record<string, string> = {};
      for (const template of templates) {
        const done = ctx.manifests.findDone(options.outputDir, {
          source: facts.source,
          contentHash: facts.contentHash,
          template: template.manifest.name,
          templateVersion: template.manifest.version,
          models: options.models,
        });
        if (done && (await stillThere(ctx, options.outputDir, done)))
          upToDate[template.manifest.name] = path.join(options.outputDir, done.outputPath);
      }
      const first = upToDate[templates[0]!.manifest.name];
      if (several && Object.keys(upToDate).length > 0) facts.notesUpToDate = upToDate;
      if (first !== undefined && Object.keys(upToDate).length === templates.length)
        facts.upToDate = { outputPath: first };
      return facts;
    },
  };
}

/**
 * Whether the document recorded for this video is still at its path, judged by content hash, not
 * by existence: the file is a regular file and holds exactly what was written (or a person's edit
 * of it, when the name still belongs to this video and the content is no other video's document).
 * A deleted file, a link, a FIFO, or another video's document under the same name is made again.
 */
async function stillThere(ctx: ActivityContext, outputDir: string, done: ManifestEntry): Promise<boolean> {
  const content = await readRegularFile(path.join(outputDir, done.outputPath)).catch(() => undefined);
  if (!Buffer.isBuffer(content)) return false;
  const sha = sha256Hex(content);
  if (sha === done.writtenSha256) return true;
  const wroteThis = ctx.manifests.byWrittenSha(outputDir, sha);
  if (wroteThis) return false; // a document the tool wrote, but not this one
  return ctx.manifests.byOutputPath(outputDir, done.outputPath)?.source === done.source;
}

/** Longest path the write step may need: the output path plus room for `_999.regenerated`. */
const maxPathBytes = 4095 - 24;

/**
 * The output name is worked out before anything is spent, so a pattern or a folder that cannot
 * hold it fails here, not after the analysis was paid for. (Each name is already cut to 255 bytes.)
 */
function checkOutputName(item: VideoItem, options: ProcessingOptions, templateName: string): void {
  let full: string;
  try {
    const rel = expandOutputPattern(options.outputPattern, {
      template: templateName,
      name: outputBaseName(item),
      date: '2000-01-01',
      key: item.key,
      batch: 'batch',
    });
    full = path.join(options.outputDir, rel);
  } catch (err) {
    throw ApplicationFailure.create({
      type: FailureType.OutputWriteFailed,
      nonRetryable: true,
      message: (err as Error).message,
    });
  }
  if (Buffer.byteLength(full) > maxPathBytes) {
    throw ApplicationFailure.create({
      type: FailureType.OutputWriteFailed,
      nonRetryable: true,
      message: `The output path ${full} would be longer than the system allows; choose a shorter --output or output pattern.`,
    });
  }
}
