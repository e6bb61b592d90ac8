import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { VideoOutcome } from '../types';

/** The failure type an activity raised (or the workflow's own), as classified where it happened. */
export function failureTypeOf(err: unknown): string | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause.type ?? undefined;
  if (err instanceof ApplicationFailure) return err.type ?? undefined;
  return undefined;
}

/** The message a person reads: the activity's own, not the wrapper's "Activity task failed". */
export function failureMessageOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** The first detail an activity attached to its failure (tokens spent, a quota's reset time). */
export function failureDetailsOf(err: unknown): Record<string, unknown> | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (failure instanceof ApplicationFailure && Array.isArray(failure.details)) {
    return failure.details[0] as Record<string, unknown> | undefined;
  }
  return undefined;
}

/**
 * The outcome a video that ended Failed carries in its failure's details, seen from its batch (a
 * child's failure) or from a client (the workflow's failure). Undefined for a video that ended
 * Failed before it carried one, or was terminated.
 */
export function outcomeInFailure(err: unknown): VideoOutcome | undefined {
  const failure = err instanceof Error && err.cause instanceof ApplicationFailure ? err.cause : undefined;
  const detail = failure?.details?.[0] as VideoOutcome | undefined;
  return detail && typeof detail === 'object' && typeof detail.status === 'string' ? detail : undefined;
}
