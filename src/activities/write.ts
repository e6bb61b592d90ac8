import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';
import { sha256Hex, writeFileAtomic } from '../output/atomic';
import { expandOutputPattern, withCollisionSuffix } from '../output/naming';
import { parseYouTubeUrl } from '../sources/youtube';
import type { ProcessingOptions, VideoFacts, VideoItem } from '../types';
import type { ActivityContext } from './context';
import { templateFailure } from './template-failure';

const maxCollisions = 1000;

export interface WriteResult {
  outputPath: string;
  /** Set when something a person should know happened (an edited file was kept, a name was taken). */
  note?: string;
}

async function readIfExists(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export function outputBaseName(item: VideoItem): string {
  if (item.source.kind === 'youtube') return `youtube-${parseYouTubeUrl(item.source.url)?.videoId ?? item.key}`;
  return path.parse(item.source.path).name;
}

export function writeActivities(ctx: ActivityContext) {
  return {
    /**
     * Puts the rendered document in place atomically (temporary file, then rename) and records it
     * in the output folder's manifest. Idempotent: a retry after a crash finds its own file.
     * Never overwrites a different video's file (takes `name_1.md`...) nor a file a person edited
     * since it was written (writes beside it and says so).
     */
    async writeOutput(input: { item: VideoItem; facts: VideoFacts; draftPath: string; options: ProcessingOptions; model: string }): Promise<WriteResult> {
      const { item, facts, options } = input;
      const template = templateFailure(() => ctx.templates(options.templateDirs).get(options.template));
      const content = await fs.readFile(input.draftPath);
      const contentSha = sha256Hex(content);
      let relPath: string;
      try {
        relPath = expandOutputPattern(options.outputPattern, {
          template: template.manifest.name,
          name: outputBaseName(item),
          date: ctx.now().toISOString().slice(0, 10),
          key: item.key,
        });
      } catch (err) {
        throw ApplicationFailure.create({ type: FailureType.OutputWriteFailed, nonRetryable: true, message: (err as Error).message });
      }

      const record = async (rel: string, note?: string): Promise<WriteResult> => {
        await ctx.manifests.append(options.outputDir, {
          outputPath: rel,
          source: facts.source,
          contentHash: facts.contentHash,
          template: template.manifest.name,
          templateVersion: template.manifest.version,
          model: input.model,
          writtenSha256: contentSha,
          writtenAt: ctx.now().toISOString(),
        });
        return { outputPath: path.join(options.outputDir, rel), note };
      };

      const place = async (rel: string, note?: string): Promise<WriteResult> => {
        try {
          await writeFileAtomic(path.join(options.outputDir, rel), content);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          const fatal = code === 'EACCES' || code === 'EPERM' || code === 'EROFS' || code === 'ENAMETOOLONG' || code === 'ENOTDIR';
          throw ApplicationFailure.create({
            type: FailureType.OutputWriteFailed,
            nonRetryable: fatal,
            message: `Could not write ${path.join(options.outputDir, rel)}: ${(err as Error).message}${fatal ? '. Check the output folder and its permissions.' : ''}`,
          });
        }
        return record(rel, note);
      };

      for (let n = 0; n < maxCollisions; n++) {
        const candidate = n === 0 ? relPath : withCollisionSuffix(relPath, n);
        const existing = await readIfExists(path.join(options.outputDir, candidate));
        if (!existing) return place(candidate, n > 0 ? `${relPath} belongs to another video; wrote ${candidate}` : undefined);
        const existingSha = sha256Hex(existing);
        const entry = ctx.manifests.byOutputPath(options.outputDir, candidate);
        if (existingSha === contentSha) {
          // Our own earlier attempt got this far: make sure it is recorded and stop.
          return entry?.writtenSha256 === contentSha ? { outputPath: path.join(options.outputDir, candidate) } : record(candidate);
        }
        if (entry?.source !== facts.source) continue; // another video's file, or one the user made
        if (existingSha === entry.writtenSha256) return place(candidate, 'replaced the earlier version');
        // The person edited our earlier output: keep theirs untouched and write beside it.
        const beside = withSuffix(candidate, '.regenerated');
        const besideExisting = await readIfExists(path.join(options.outputDir, beside));
        const besideEntry = ctx.manifests.byOutputPath(options.outputDir, beside);
        const besideFree = !besideExisting || (besideEntry?.source === facts.source && sha256Hex(besideExisting) === besideEntry.writtenSha256);
        const target = besideFree ? beside : withSuffix(candidate, `.regenerated-${ctx.now().toISOString().replace(/[:.]/g, '-')}`);
        return place(target, `${candidate} was edited since it was written, so it was kept; the new version is ${target}`);
      }
      throw ApplicationFailure.create({
        type: FailureType.OutputWriteFailed,
        nonRetryable: true,
        message: `More than ${maxCollisions} files named like ${relPath} already exist; choose another --output or output pattern.`,
      });
    },
  };
}

function withSuffix(rel: string, suffix: string): string {
  const ext = path.extname(rel);
  return `${rel.slice(0, rel.length - ext.length)}${suffix}${ext}`;
}
