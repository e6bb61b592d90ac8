import type { BatchCarriedState } from '../../types';
import { inFlightEstimate } from '../batch-state';

/**
 * The budget rule: a video starts only if what was spent, what is in flight (estimated) and its
 * own estimate stay within the limit. Returns why it may not start, or undefined.
 */
export function budgetStopReason(
  state: BatchCarriedState,
  maxCostUsd: number | undefined,
  estimatedCostUsd: number | undefined,
): string | undefined {
  if (maxCostUsd === undefined) return undefined;
  const inFlight = inFlightEstimate(state);
  const next = estimatedCostUsd ?? 0;
  if (state.costUsd + inFlight + next <= maxCostUsd) return undefined;
  return `budget: $${state.costUsd.toFixed(4)} spent + $${inFlight.toFixed(4)} in flight + $${next.toFixed(4)} for the next video would pass the $${maxCostUsd} limit`;
}
