import type { ModelInfo } from '../gemini/catalog';
import { clipsByCount, videoTokenRoom, videoTokensPerSecond } from '../gemini/cost';
import type { VideoEstimate } from '../gemini/estimate';
import { clipsForMinuteBudget } from '../gemini/minute-clips';
import type { Reservation } from '../keys/minute-ledger';
import type { BookedClip } from './keys';

type Refused = Extract<Reservation, { tooLarge: true }>;

/**
 * A video above its project's whole minute, booked in clips: the fewest equal clips that each fit
 * (sized with the ledger's ratio, as it will book them), all booked in one Update, each at its own
 * moment. The ratio can move between the refusal and this booking (another call settled): then
 * sized again with the new one, a few times at most.
 */
export async function bookInClips(args: {
  info: ModelInfo;
  estimate: VideoEstimate;
  durationSeconds: number;
  /** The pool's answer to the whole video: its budget and ratio. */
  refused: Refused;
  bookParts: (parts: number[]) => Promise<Reservation>;
}): Promise<
  | { clips: BookedClip[]; startAt: number; tokens: number }
  /** Not even the shortest clip fits: what it needs. */
  | { shortestClip: number }
  | { refused: Refused }
> {
  const { info, estimate, durationSeconds } = args;
  let refused = args.refused;
  for (let attempt = 0; attempt < 3; attempt++) {
    const plan = clipsForMinuteBudget({
      model: info,
      durationSeconds,
      resolution: estimate.resolution,
      textTokens: Math.ceil(estimate.input.text / estimate.requests),
      budget: refused.budget,
      ratio: refused.ratio,
      maxClipSeconds: longestClip(info, estimate),
    });
    if ('tooSmall' in plan) return { shortestClip: plan.shortestClipTokens };
    const booked = await args.bookParts(plan.tokens);
    if ('tooLarge' in booked) {
      refused = booked;
      continue;
    }
    const parts = booked.parts ?? [];
    // Asked again after a retry, the pool answers with the clips it booked the first time.
    const clips = parts.length === plan.clips.length ? plan.clips : clipsByCount(durationSeconds, parts.length);
    return {
      startAt: booked.startAt,
      tokens: booked.tokens,
      clips: clips.map((clip, i) => ({ ...clip, startAt: parts[i].startAt, tokens: parts[i].tokens, id: parts[i].id })),
    };
  }
  return { refused };
}

/** The longest clip one request's context window can hold (as the analysis plans it). */
function longestClip(info: ModelInfo, estimate: VideoEstimate): number {
  const room = videoTokenRoom(info, { expectedOutputTokens: estimate.maxOutputTokens });
  return Math.max(1, Math.floor(room / videoTokensPerSecond(info, estimate.resolution)));
}
