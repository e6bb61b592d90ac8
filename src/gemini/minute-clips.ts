/**
 * A video whose one request would not fit its project's tokens-per-minute budget is sent in
 * consecutive clips, each booked in a minute of its own (src/keys/minute-ledger.ts). Pure
 * arithmetic on the catalog's token rates, the same as the estimate's.
 */
import type { MediaResolution } from '../types';
import type { ModelInfo } from './catalog';
import { equalClips, estimateVideoTokens, videoTokensPerSecond, type Clip } from './cost';

/** Shorter clips are not worth it: the prompt would outweigh the video, and a lesson loses its thread. */
export const minimumClipSeconds = 30;
/**
 * Share of the minute's budget one clip may take: the estimate is not exact (the ledger's ratio
 * corrects it only over time), and a clip that fills the whole minute leaves it no room at all.
 */
export const clipBudgetShare = 0.9;

export interface MinuteClipRequest {
  model: ModelInfo;
  durationSeconds: number;
  resolution: MediaResolution;
  /** Text sent with every request: prompt, system instruction and response schema. */
  textTokens: number;
  /** Input tokens one booking may hold (the project's tpm less the ledger's headroom). */
  budget: number;
  /** The ledger's actual / expected ratio: bookings are scaled by it. */
  ratio: number;
  /** A clip may not be longer than this (the context window's own limit, when the video is clipped for it). */
  maxClipSeconds?: number;
}

export type MinuteClipPlan =
  /** The fewest equal clips that fit, with each one's expected input tokens (before the ratio). */
  | { clips: Clip[]; tokens: number[] }
  /** Not even a clip of `minimumClipSeconds` fits: what such a clip would need, as booked. */
  | { tooSmall: true; shortestClipTokens: number };

/** Expected input tokens of one request carrying `seconds` of video. */
export const clipTokens = (req: MinuteClipRequest, seconds: number): number =>
  req.textTokens + estimateVideoTokens(req.model, seconds, req.resolution);

/**
 * The fewest equal whole-second clips whose expected tokens, scaled by the ratio, each fit in
 * `clipBudgetShare` of the budget; refused when that leaves room for less than `minimumClipSeconds`.
 */
export function clipsForMinuteBudget(req: MinuteClipRequest): MinuteClipPlan {
  const room = (req.budget * clipBudgetShare) / Math.max(req.ratio, Number.EPSILON) - req.textTokens;
  const fitting = Math.floor(room / videoTokensPerSecond(req.model, req.resolution));
  if (fitting < minimumClipSeconds)
    return { tooSmall: true, shortestClipTokens: Math.ceil(clipTokens(req, minimumClipSeconds) * req.ratio) };
  const clips = equalClips(req.durationSeconds, Math.min(fitting, req.maxClipSeconds ?? fitting));
  return { clips, tokens: clips.map((c) => clipTokens(req, c.endSeconds - c.startSeconds)) };
}
