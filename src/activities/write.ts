import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, fatalFileErrorCodes } from '../failures';
import { NameTakenError, sha256Hex, writeFileAtomic } from '../output/atomic';
import { expandOutputPattern, truncateUtf8, withCollisionSuffix } from '../output/naming';
import { ensureRealFolders, readRegularFile, UnsafePathError } from '../output/safe-path';
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

export interface WriteInput {
  item: VideoItem;
  facts: VideoFacts;
  draftPath: string;
  options: ProcessingOptions;
  model: string;
  /** Fills `{batch}` in the output pattern; absent for a video outside a batch. */
  batchId?: string;
}

function writeFailure(err: unknown, file: string, outputDir: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof UnsafePathError) {
    return ApplicationFailure.create({
      type: FailureType.OutputWriteFailed,
      nonRetryable: true,
      message: `Could not write ${file}: ${err.message}.`,
    });
  }
  const code = (err as NodeJS.ErrnoException).code ?? '';
  // Waiting does not give permission back or shorten a name: these are the person's to fix.
  const fatal = fatalFileErrorCodes.includes(code);
  const hint = fatal ? ` Check that the output folder ${outputDir} exists and that the worker may write to it.` : '';
  return ApplicationFailure.create({
    type: FailureType.OutputWriteFailed,
    nonRetryable: fatal,
    message: `Could not write ${file} in the output folder ${outputDir}: ${(err as Error).message}.${hint}`,
  });
}

/** What is at a path now: nothing, something that is not a file, or a file with this content hash. */
type Found = { kind: 'free' } | { kind: 'not-a-file' } | { kind: 'file'; sha: string };

/** A symbolic link, a FIFO or a folder at the path is never read or written through: the name is passed over. */
async function look(file: string): Promise<Found> {
  const content = await readRegularFile(file);
  if (content === undefined) return { kind: 'free' };
  if (content === 'not-a-file') return { kind: 'not-a-file' };
  return { kind: 'file', sha: sha256Hex(content) };
}

/** A name freshly claimed by another writer between our look and our write: look again. */
class ClaimLost extends Error {}

/**
 * What to do with one candidate path:
 * - `write`: free, or our own unedited earlier version of this video;
 * - `done`: already holds exactly this document (a retry); `recorded` says whether the manifest knows;
 * - `edited`: our earlier version of this video, changed by a person since: keep it;
 * - `next`: another video's, a file a person made, or a folder.
 */
type Verdict =
  { action: 'write'; replacing: boolean } | { action: 'edited' | 'next' } | { action: 'done'; recorded: boolean };

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
     * since it was written (writes `name.regenerated.md` beside it and says so).
     */
    async writeOutput(input: WriteInput): Promise<WriteResult> {
      const { item, facts, options } = input;
      const { outputDir } = options;
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
          batch: input.batchId,
        });
      } catch (err) {
        throw ApplicationFailure.create({
          type: FailureType.OutputWriteFailed,
          nonRetryable: true,
          message: (err as Error).message,
        });
      }
      const full = (rel: string) => path.join(outputDir, rel);

      const judge = async (rel: string): Promise<Verdict> => {
        const found = await look(full(rel));
        // The latest record for this path says which video it belongs to, even after the file was deleted.
        const owner = ctx.manifests.byOutputPath(outputDir, rel);
        const ours = owner === undefined || owner.source === facts.source;
        if (found.kind === 'not-a-file') return { action: 'next' };
        // A name another video had keeps belonging to it, so each video keeps its file name from run to run.
        if (found.kind === 'free') return ours ? { action: 'write', replacing: false } : { action: 'next' };
        if (!ours) return { action: 'next' };
        if (found.sha === contentSha) return { action: 'done', recorded: owner?.writtenSha256 === contentSha };
        if (owner === undefined) return { action: 'next' }; // a file the person made themselves
        return found.sha === owner.writtenSha256 ? { action: 'write', replacing: true } : { action: 'edited' };
      };

      const finish = async (rel: string, verdict: Verdict, note?: string): Promise<WriteResult> => {
        if (verdict.action === 'write') {
          // A free name is claimed exclusively (two videos named alike, written at once, never share it);
          // our own earlier version is replaced in one rename.
          try {
            await writeFileAtomic(full(rel), content, { exclusive: !verdict.replacing });
          } catch (err) {
            if (err instanceof NameTakenError) throw new ClaimLost();
            throw err;
          }
        }
        if (verdict.action === 'write' || (verdict.action === 'done' && !verdict.recorded)) {
          await ctx.manifests.append(outputDir, {
            outputPath: rel,
            source: facts.source,
            contentHash: facts.contentHash,
            template: template.manifest.name,
            templateVersion: template.manifest.version,
            model: input.model,
            writtenSha256: contentSha,
            writtenAt: ctx.now().toISOString(),
          });
        }
        return note === undefined ? { outputPath: full(rel) } : { outputPath: full(rel), note };
      };

      // The person's edited copy stays; the new version goes to `name.regenerated.md` (or `_1`… if that is edited too).
      const besideEdited = async (edited: string): Promise<WriteResult> => {
        const beside = withSuffix(edited, '.regenerated');
        for (let k = 0; k < maxCollisions; k++) {
          const candidate = withCollisionSuffix(beside, k);
          const verdict = await judge(candidate);
          if (verdict.action === 'next' || verdict.action === 'edited') continue;
          try {
            return await finish(
              candidate,
              verdict,
              `${edited} was edited since it was written, so it was kept; the new version is ${candidate}`,
            );
          } catch (err) {
            if (!(err instanceof ClaimLost)) throw err;
            k--; // taken just now: judge the same name again
          }
        }
        throw tooMany(beside);
      };

      let current = relPath;
      try {
        // Every folder between the output folder and the file is a real folder, never a link elsewhere.
        await ensureRealFolders(outputDir, path.dirname(full(relPath)));
        for (let n = 0; n < maxCollisions; n++) {
          current = withCollisionSuffix(relPath, n);
          const verdict = await judge(current);
          if (verdict.action === 'next') continue;
          if (verdict.action === 'edited') return await besideEdited(current);
          const replacing = verdict.action === 'write' && verdict.replacing;
          const note =
            n > 0
              ? `${relPath} belongs to another video; wrote ${current}`
              : replacing
                ? `replaced the earlier version of ${current}`
                : undefined;
          try {
            return await finish(current, verdict, note);
          } catch (err) {
            if (!(err instanceof ClaimLost)) throw err;
            n--; // taken just now by another writer: judge the same name again
          }
        }
      } catch (err) {
        throw writeFailure(err, full(current), outputDir);
      }
      throw tooMany(relPath);
    },
  };
}

function tooMany(relPath: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.OutputWriteFailed,
    nonRetryable: true,
    message: `More than ${maxCollisions} files named like ${relPath} already exist; choose another --output or output pattern.`,
  });
}

/** `name.md` → `name.regenerated.md`, the name shortened first so the result stays within 255 bytes. */
function withSuffix(rel: string, suffix: string): string {
  const dir = path.posix.dirname(rel);
  const file = path.posix.basename(rel);
  const ext = path.extname(file);
  const stem = truncateUtf8(file.slice(0, file.length - ext.length), 255 - Buffer.byteLength(suffix + ext));
  return `${dir === '.' ? '' : `${dir}/`}${stem}${suffix}${ext}`;
}
