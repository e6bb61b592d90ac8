import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';

/** Template problems are the user's to fix, never worth a retry. */
export function templateFailure<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.create({
      type: FailureType.TemplateError,
      nonRetryable: true,
      message: err instanceof Error ? err.message : String(err),
    });
  }
}
