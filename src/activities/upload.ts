import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';
import type { UploadedFile, VideoFacts, VideoItem } from '../types';
import type { ActivityContext } from './context';
import { withHeartbeat } from './heartbeat';

/** Gemini usually finishes processing in seconds to minutes; past this, something is wrong. */
const maxProcessingWaitMs = 30 * 60_000;

export function uploadActivities(ctx: ActivityContext) {
  const { gemini } = ctx.deps;
  const pollMs = ctx.deps.filePollMs ?? 2_000;
  return {
    /**
     * Streams the video to Gemini's Files API (constant memory, heartbeating), then waits until
     * Gemini reports it ACTIVE. A retry after a crash starts the upload over cleanly; the
     * abandoned partial upload expires on Gemini's side.
     */
    async uploadVideo(input: { workflowId: string; item: VideoItem; facts: VideoFacts; keyAlias: string }): Promise<UploadedFile> {
      const { item, facts, keyAlias } = input;
      if (item.source.kind !== 'file') throw new Error('uploadVideo is only for local files');
      const filePath = item.source.path;
      let phase = 'uploading';
      const remote = await withHeartbeat(
        () => gemini.upload(keyAlias, filePath, { displayName: item.key, mimeType: facts.mimeType }),
        () => ({ phase }),
      );
      phase = 'processing';
      const started = Date.now();
      let file = remote;
      while (file.state !== 'ACTIVE') {
        if (file.state === 'FAILED') {
          throw ApplicationFailure.create({
            type: FailureType.VideoProcessingFailed,
            nonRetryable: true,
            message: `Gemini could not process this video${file.error ? ` (${file.error})` : ''}. Check that it plays, or re-encode it (H.264 MP4).`,
          });
        }
        if (Date.now() - started > maxProcessingWaitMs) {
          throw ApplicationFailure.create({
            type: FailureType.Transient,
            message: `Gemini was still processing ${file.name} after ${maxProcessingWaitMs / 60_000} minutes.`,
          });
        }
        Context.current().heartbeat({ phase, file: file.name });
        await Context.current().sleep(pollMs);
        file = await gemini.getFile(keyAlias, file.name);
      }
      return { name: file.name, uri: file.uri, mimeType: file.mimeType || facts.mimeType, keyAlias };
    },

    /** Gemini deletes files after 48 h anyway; deleting at once frees the project's 20 GB. */
    async deleteUpload(input: { file: UploadedFile }): Promise<void> {
      try {
        await gemini.deleteFile(input.file.keyAlias, input.file.name);
      } catch (err) {
        // Already gone is fine.
        if (err instanceof ApplicationFailure && err.type === FailureType.FileUnavailable) return;
        throw err;
      }
    },
  };
}
