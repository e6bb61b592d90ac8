import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';
import type { UploadedFile, VideoFacts, VideoItem } from '../types';
import type { ActivityContext } from './context';
import { withHeartbeat } from './heartbeat';
import { fileProcessingFailure } from '../gemini/classify';

/** What uploadVideo heartbeats while uploading; a retry reads it back to resume. */
export interface UploadHeartbeat {
  phase: 'uploading' | 'processing';
  uploadUrl?: string;
  bytesSent: number;
}

/** Gemini usually finishes processing in seconds to minutes; past this, something is wrong. */
const maxProcessingWaitMs = 30 * 60_000;

export function uploadActivities(ctx: ActivityContext) {
  const { gemini } = ctx.deps;
  const pollMs = ctx.deps.filePollMs ?? 2_000;
  return {
    /**
     * Streams the video to Gemini's Files API (constant memory, heartbeating its progress), then
     * waits until Gemini reports it ACTIVE. The heartbeat carries the upload URL, so a retry after
     * a crash or a network error resumes where the server stopped; if that session is gone, the
     * upload starts over cleanly.
     */
    async uploadVideo(input: {
      workflowId: string;
      item: VideoItem;
      facts: VideoFacts;
      keyAlias: string;
    }): Promise<UploadedFile> {
      const { item, facts, keyAlias } = input;
      if (item.source.kind !== 'file') throw new Error('uploadVideo is only for local files');
      const filePath = item.source.path;
      const activity = Context.current();
      const previous = activity.info.heartbeatDetails as Partial<UploadHeartbeat> | undefined;
      // Start from the last attempt's details, so the first heartbeat does not forget its URL.
      let progress: UploadHeartbeat = {
        phase: 'uploading',
        uploadUrl: typeof previous?.uploadUrl === 'string' ? previous.uploadUrl : undefined,
        bytesSent: typeof previous?.bytesSent === 'number' ? previous.bytesSent : 0,
      };
      const remote = await withHeartbeat(
        (signal) =>
          gemini.upload(
            keyAlias,
            filePath,
            { displayName: item.key, mimeType: facts.mimeType },
            {
              resumeUrl: progress.uploadUrl,
              signal,
              onProgress: (p) => {
                const newUrl = p.uploadUrl !== progress.uploadUrl;
                progress = { phase: 'uploading', uploadUrl: p.uploadUrl, bytesSent: p.bytesSent };
                // Record a new session at once: a crash before the next beat would lose it.
                if (newUrl) activity.heartbeat(progress);
              },
            },
          ),
        () => progress,
      );
      // Keep the URL while polling: a retry then asks the finished session for the file, no re-upload.
      const processing = {
        phase: 'processing',
        uploadUrl: progress.uploadUrl,
        bytesSent: progress.bytesSent,
        file: remote.name,
      };
      const started = Date.now();
      let file = remote;
      while (file.state !== 'ACTIVE') {
        if (file.state === 'FAILED') {
          throw fileProcessingFailure(file.error);
        }
        if (Date.now() - started > maxProcessingWaitMs) {
          throw ApplicationFailure.create({
            type: FailureType.Transient,
            message: `Gemini was still processing ${file.name} after ${maxProcessingWaitMs / 60_000} minutes.`,
          });
        }
        activity.heartbeat(processing);
        await activity.sleep(pollMs);
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
