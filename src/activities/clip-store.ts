/**
 * Each clip's validated answer, kept in the video's work folder as soon as it is made: a worker
 * that dies (or an attempt that fails) between clips leaves the clips already answered, and the
 * next attempt reuses them instead of paying for them again. Keyed like the whole answer, plus the
 * clip's number and the count (the same count of the same video is the same clips).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../output/atomic';
import type { Modality } from '../gemini/catalog';
import type { TokenUsage } from '../types';

export interface StoredClip {
  /** The clip's validated (or repaired, or kept-though-cut) answer. */
  data: unknown;
  /** What the clip cost: its call and any text-only repair of it. */
  usage: TokenUsage;
  /** Input tokens of the clip's call as Gemini counted them (what its booking is settled with). */
  promptTokens: number;
  promptTokensByModality?: Partial<Record<Modality, number>>;
  truncated?: boolean;
  repaired?: boolean;
}

export const clipAnswerPath = (analysisPath: string, index: number, count: number): string =>
  path.join(path.dirname(analysisPath), `${path.basename(analysisPath, '.json')}-clip${index + 1}of${count}.json`);

/** The clips of this analysis already answered, by index. */
export async function readStoredClips(analysisPath: string, count: number): Promise<Map<number, StoredClip>> {
  const stored = new Map<number, StoredClip>();
  for (let index = 0; index < count; index++) {
    try {
      const clip = JSON.parse(await fs.readFile(clipAnswerPath(analysisPath, index, count), 'utf8')) as StoredClip;
      if (clip.data !== undefined && clip.usage) stored.set(index, clip);
    } catch {
      // not answered yet (or unreadable): asked again
    }
  }
  return stored;
}

export async function storeClip(analysisPath: string, index: number, count: number, clip: StoredClip): Promise<void> {
  await writeFileAtomic(clipAnswerPath(analysisPath, index, count), JSON.stringify(clip));
}
