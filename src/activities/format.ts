import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, fatalFileErrorCodes } from '../failures';
import { parseYouTubeUrl } from '../sources/youtube';
import { givenParamsFor, renderDocument, resolveParams } from '../templates';
import { safeIdFolder, writeFileAtomic } from '../output/atomic';
import { ensureRealFolders } from '../output/safe-path';
import type { AnalysisResult, ProcessingOptions, TokenUsage, VideoFacts, VideoItem } from '../types';
import { readStoredAnswer, workDirOf } from './analyze';
import type { ActivityContext } from './context';
import { templateFailure } from './template-failure';

export function formatActivities(ctx: ActivityContext) {
  return {
    /**
     * Renders the stored analysis through the template's output into a complete Markdown
     * document (frontmatter and body) in the work folder; writing it into place is a separate
     * step so a write failure never re-renders or re-analyses.
     */
    async formatDocument(input: {
      workflowId: string;
      /** The run chain whose work folder holds the draft (see AnalyzeInput.chain). */
      chain?: string;
      item: VideoItem;
      facts: VideoFacts;
      analysis: AnalysisResult;
      options: ProcessingOptions;
      /** Everything this video has cost so far, failed attempts included. */
      usage: TokenUsage;
      costUsd: number;
    }): Promise<{ draftPath: string; bytes: number }> {
      const { item, facts, analysis, options } = input;
      const template = templateFailure(() => ctx.templates(options.templateDirs).get(options.template));
      const stored = await readStoredAnswer(analysis.analysisPath);
      if (!stored) throw new Error(`The kept answer ${analysis.analysisPath} is missing or unreadable`);
      // Dated by the answer, not the clock: run again (a local activity whose result a crash lost), this
      // step must render the same bytes, or the write would take the earlier copy for a person's file.
      const created = stored.analysedAt ?? (await fs.stat(analysis.analysisPath)).mtime.toISOString();
      const youtube = item.source.kind === 'youtube' ? parseYouTubeUrl(item.source.url) : undefined;
      const markdown = templateFailure(() =>
        renderDocument(template, stored.data, {
          title: facts.title,
          source: facts.source,
          sourceKind: item.source.kind,
          youtubeVideoId: youtube?.videoId,
          durationSeconds: facts.durationSeconds,
          created,
          templateName: template.manifest.name,
          templateVersion: template.manifest.version,
          model: analysis.model,
          usage: input.usage,
          costUsd: input.costUsd,
          mediaResolution: analysis.mediaResolution,
          analysisStrategy: analysis.strategy,
          truncated: analysis.truncated,
          repairs: analysis.repairs,
          contentSha256: facts.contentHash,
          params: resolveParams(
            template,
            givenParamsFor(template, options.templateParams, (options.templates?.length ?? 0) > 1),
          ),
        }),
      );
      // Several templates of one video share the work folder: each draft is named after its template.
      const draftName =
        (options.templates?.length ?? 0) > 1 ? `draft-${safeIdFolder(options.template)}.md` : 'draft.md';
      const draftPath = path.join(workDirOf(options.outputDir, input.workflowId, input.chain), draftName);
      try {
        // A `.lesson-forge` (or `work`) that is a link to elsewhere is refused, not written through.
        await ensureRealFolders(options.outputDir, path.dirname(draftPath));
        await writeFileAtomic(draftPath, markdown);
      } catch (err) {
        // The draft lives in the output folder's .lesson-forge: a folder that cannot be written is the person's to fix.
        const code = (err as NodeJS.ErrnoException).code ?? '';
        throw ApplicationFailure.create({
          type: FailureType.OutputWriteFailed,
          nonRetryable: fatalFileErrorCodes.includes(code),
          message: `Could not write the draft ${draftPath} in the output folder ${options.outputDir}: ${(err as Error).message}`,
        });
      }
      return { draftPath, bytes: Buffer.byteLength(markdown) };
    },
  };
}
