import type { BatchCarriedState, PlannedVideo } from '../../types';
import { inFlightEstimate, inFlightExpected } from '../batch-state';

/**
 * Whether starting `video` could break the budget; the reason if so. Two rules: the expected
 * total (spent + in flight + this one) must fit, so the batch stops about where the dry run said;
 * and what is spent plus the ceilings of the videos already in flight must fit, so the batch never
 * ends more than one video's ceiling over the limit, whatever the answers turn out to cost.
 */
export function budgetStopReason(
  state: BatchCarriedState,
  maxCostUsd: number | undefined,
  video: Pick<PlannedVideo, 'expectedCostUsd' | 'estimatedCostUsd'>,
): string | undefined {
  if (maxCostUsd === undefined) return undefined;
  const inFlight = inFlightExpected(state);
  const next = video.expectedCostUsd ?? video.estimatedCostUsd ?? 0;
  if (state.costUsd + inFlight + next > maxCostUsd)
    return `budget: $${state.costUsd.toFixed(4)} spent + $${inFlight.toFixed(4)} expected in flight + $${next.toFixed(4)} expected for the next video would pass the $${maxCostUsd} limit`;
  const ceilings = inFlightEstimate(state);
  if (state.costUsd + ceilings > maxCostUsd)
    return `budget: $${state.costUsd.toFixed(4)} spent + $${ceilings.toFixed(4)} at most in flight could pass the $${maxCostUsd} limit`;
  return undefined;
}
