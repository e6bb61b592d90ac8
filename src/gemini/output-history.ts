/**
 * What earlier runs into an output folder actually used, as the folder records it: each batch's
 * `outcomes.jsonl` (tokens and model of every finished video) joined to `manifest.jsonl` (which
 * template wrote each output). The expected cost of a new video is built on these figures.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { stateDirOf } from '../config/paths';
import { manifestPath, type ManifestEntry } from '../output/manifest';
import type { VideoOutcome } from '../types';

/** Answers kept per template and model: the most recent ones say most about the next. */
export const historyWindow = 500;

export interface OutputHistory {
  /** Finished videos the figures come from. */
  videos: number;
  /** Their mean output tokens, thinking included (billed as output). */
  meanOutputTokens: number;
  /** Their mean prompt tokens (for reference; the expected input is worked out from the video). */
  meanPromptTokens: number;
}

export type HistoryByWork = Map<string, OutputHistory>;

export const historyKey = (template: string, model: string): string => `${template}\u0000${model}`;

interface Seen {
  at: string;
  output: number;
  prompt: number;
}

/** Reads every batch record of the folder; a folder with none (or unreadable) has no history. */
export async function readOutputHistory(outputDir: string): Promise<HistoryByWork> {
  const templates = await templatesByOutput(outputDir);
  const batchesDir = path.join(stateDirOf(outputDir), 'batches');
  let batches: string[] = [];
  try {
    batches = await fs.readdir(batchesDir);
  } catch {
    return new Map();
  }
  // One video can be recorded twice (a retried report): the last line of a batch wins.
  const byWork = new Map<string, Map<string, Seen>>();
  for (const batch of batches) {
    let text: string;
    try {
      text = await fs.readFile(path.join(batchesDir, batch, 'outcomes.jsonl'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let o: VideoOutcome & { at?: string };
      try {
        o = JSON.parse(line) as VideoOutcome & { at?: string };
      } catch {
        continue;
      }
      if (o.status !== 'succeeded' || !o.outputPath || !o.model || !o.usage) continue;
      const template = templates.get(path.resolve(o.outputPath));
      const output = (o.usage.outputTokens ?? 0) + (o.usage.thoughtsTokens ?? 0);
      if (!template || output <= 0) continue;
      const key = historyKey(template, o.model);
      let videos = byWork.get(key);
      if (!videos) byWork.set(key, (videos = new Map()));
      videos.set(`${batch}/${o.key}`, { at: o.at ?? '', output, prompt: o.usage.promptTokens ?? 0 });
    }
  }
  const history: HistoryByWork = new Map();
  for (const [key, videos] of byWork) {
    const recent = [...videos.values()].sort((a, b) => a.at.localeCompare(b.at)).slice(-historyWindow);
    history.set(key, {
      videos: recent.length,
      meanOutputTokens: recent.reduce((s, v) => s + v.output, 0) / recent.length,
      meanPromptTokens: recent.reduce((s, v) => s + v.prompt, 0) / recent.length,
    });
  }
  return history;
}

/** Absolute output path → the template that wrote it (the latest record for the path). */
async function templatesByOutput(outputDir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  let text: string;
  try {
    text = await fs.readFile(manifestPath(outputDir), 'utf8');
  } catch {
    return map;
  }
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const entry = JSON.parse(line) as ManifestEntry;
      map.set(path.resolve(outputDir, entry.outputPath), entry.template);
    } catch {
      // a damaged line says nothing
    }
  }
  return map;
}
