import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

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
