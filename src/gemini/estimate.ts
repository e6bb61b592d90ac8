import type { Manifest } from '../templates/manifest';
import type { MediaResolution } from '../types';
import type { ModelInfo } from './catalog';
import { estimateVideoCost, planMediaStrategy } from './cost';

/** Assumed length of a YouTube video before analysis (its length is known only once Gemini reads it). */
export const assumedYouTubeSeconds = 600;
/** Without a template limit, a typical structured answer. */
const defaultExpectedOutput = 4000;

export interface VideoEstimate {
  resolution: MediaResolution;
  strategy: 'whole' | 'clips';
  inputTokens: number;
  outputTokens: number;
  usd: number;
}

/**
 * The one estimate used by `--dry-run` and by the batch's budget: tokens from the video's length
 * at the resolution the plan picks, output at half the template's limit, priced at `now`.
 */
export function estimateForVideo(
  model: ModelInfo,
  templateModel: Manifest['model'] | undefined,
  durationSeconds: number | undefined,
  forcedResolution: MediaResolution | undefined,
  now: Date,
): VideoEstimate {
  const duration = durationSeconds ?? assumedYouTubeSeconds;
  const expectedOutput = templateModel?.maxOutputTokens
    ? Math.round(templateModel.maxOutputTokens / 2)
    : defaultExpectedOutput;
  const forced = forcedResolution ?? templateModel?.mediaResolution;
  const plan = planMediaStrategy(model, duration, { expectedOutputTokens: expectedOutput, resolution: forced });
  const est = estimateVideoCost(model, duration, plan.resolution, expectedOutput, now);
  return {
    resolution: plan.resolution,
    strategy: plan.strategy,
    inputTokens: est.inputTokens,
    outputTokens: est.outputTokens,
    usd: est.usd,
  };
}
