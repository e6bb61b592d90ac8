import { Context } from '@temporalio/activity';

/**
 * Runs `work` while heartbeating every `intervalMs`, so a dead worker is noticed within the
 * heartbeat timeout and a cancellation reaches the activity. `work` gets the activity's abort
 * signal to pass on to whatever it awaits. Local activities run `work` without heartbeats.
 */
export async function withHeartbeat<T>(
  work: (signal: AbortSignal) => Promise<T>,
  details?: () => unknown,
  intervalMs = 5_000,
): Promise<T> {
  const ctx = Context.current();
  // A local activity does not heartbeat (its workflow task keeps it alive); it is still cancelled.
  if (ctx.info.isLocal) return await Promise.race([work(ctx.cancellationSignal), ctx.cancelled]);
  ctx.heartbeat(details?.());
  const timer = setInterval(() => ctx.heartbeat(details?.()), intervalMs);
  try {
    return await Promise.race([work(ctx.cancellationSignal), ctx.cancelled]);
  } finally {
    clearInterval(timer);
  }
}

/** True when running inside an activity (tests also call activity functions directly). */
export function inActivity(): boolean {
  try {
    Context.current();
    return true;
  } catch {
    return false;
  }
}
