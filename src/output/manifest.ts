import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { stateDirOf } from '../config/paths';
import { ensureRealFolders } from './safe-path';

/**
 * The record of what was processed, kept with the outputs (so it outlives the Temporal server's
 * retention): one JSON line per written document. Appends of a single short line are atomic,
 * so concurrent writers never interleave.
 */
export interface ManifestEntry {
  /** Output path relative to the output folder. */
  outputPath: string;
  source: string;
  contentHash: string;
  template: string;
  templateVersion: string;
  model: string;
  /** sha256 of the document as written, to tell a user's edit from our own file. */
  writtenSha256: string;
  writtenAt: string;
}

export const manifestPath = (outputDir: string): string => path.join(stateDirOf(outputDir), 'manifest.jsonl');

interface CachedManifest {
  offset: number;
  byOutput: Map<string, ManifestEntry>;
  byWork: Map<string, ManifestEntry>;
  byWritten: Map<string, ManifestEntry>;
}

/** Same file (path or URL), same content, same template version and model: nothing new to do. */
const workKey = (e: Pick<ManifestEntry, 'source' | 'contentHash' | 'template' | 'templateVersion' | 'model'>) =>
  `${e.source}|${e.contentHash}|${e.template}|${e.templateVersion}|${e.model}`;

/** Reads the manifest incrementally: thousands of videos share one worker's parsed copy. */
export class ManifestStore {
  private readonly cache = new Map<string, CachedManifest>();

  private refresh(outputDir: string): CachedManifest {
    const file = manifestPath(outputDir);
    let cached = this.cache.get(file);
    if (!cached) {
      cached = { offset: 0, byOutput: new Map(), byWork: new Map(), byWritten: new Map() };
      this.cache.set(file, cached);
    }
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      return cached;
    }
    if (size < cached.offset) {
      // Rewritten by hand: start again.
      cached.offset = 0;
      cached.byOutput.clear();
      cached.byWork.clear();
      cached.byWritten.clear();
    }
    if (size === cached.offset) return cached;
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - cached.offset);
      fs.readSync(fd, buffer, 0, buffer.length, cached.offset);
      const text = buffer.toString('utf8');
      const lastNewline = text.lastIndexOf('\n');
      if (lastNewline < 0) return cached;
      for (const line of text.slice(0, lastNewline).split('\n')) {
        if (!line.trim()) continue;
        try {
          const entry = JSON.parse(line) as ManifestEntry;
          cached.byOutput.set(entry.outputPath, entry);
          cached.byWork.set(workKey(entry), entry);
          cached.byWritten.set(entry.writtenSha256, entry);
        } catch {
          // a damaged line is ignored; the next write for that output replaces it
        }
      }
      cached.offset += Buffer.byteLength(text.slice(0, lastNewline + 1));
    } finally {
      fs.closeSync(fd);
    }
    return cached;
  }

  byOutputPath(outputDir: string, relPath: string): ManifestEntry | undefined {
    return this.refresh(outputDir).byOutput.get(relPath);
  }

  /** The latest entry that wrote a document with this sha256, whichever video it was for. */
  byWrittenSha(outputDir: string, sha: string): ManifestEntry | undefined {
    return this.refresh(outputDir).byWritten.get(sha);
  }

  /** The latest document made from this file and content with this template version and one of these models. */
  findDone(
    outputDir: string,
    q: { source: string; contentHash: string; template: string; templateVersion: string; models: string[] },
  ): ManifestEntry | undefined {
    const m = this.refresh(outputDir);
    for (const model of q.models) {
      const hit = m.byWork.get(workKey({ ...q, model }));
      if (hit) return hit;
    }
    return undefined;
  }

  async append(outputDir: string, entry: ManifestEntry): Promise<void> {
    const file = manifestPath(outputDir);
    // The record is kept in the output folder itself, never through a link to elsewhere.
    await ensureRealFolders(outputDir, path.dirname(file));
    const { O_APPEND, O_CREAT, O_WRONLY, O_NOFOLLOW } = fs.constants;
    await fsp.appendFile(file, `${JSON.stringify(entry)}\n`, {
      flag: O_APPEND | O_CREAT | O_WRONLY | (O_NOFOLLOW ?? 0),
    });
  }
}
