/**
 * Task queues for rate-limited Gemini calls. A key (and model) with configured per-minute limits
 * gets its own activity task queue, whose rate the Temporal server enforces across every worker
 * (`maxTaskQueueActivitiesPerSecond`): limits hold however many workers run, with no home-made
 * distributed limiter. Workflow-safe: no Node imports.
 */

/** Per key alias: models with their own limits, and whether a '*' limit covers the others. Names only. */
export type RateLimitedModels = Record<string, string[]>;

/** The queue of one key and model (`*`: the key's other models): `<base>.gemini.<alias>.<model>`. */
export function keyQueueName(baseQueue: string, alias: string, model: string): string {
  return `${baseQueue}${keySeparator}${alias}.${model}`;
}

const keySeparator = '.gemini.';

/** The base queue of a key's queue (the key pool and every other activity live there); a base queue is its own. */
export function baseQueueOf(taskQueue: string): string {
  const i = taskQueue.indexOf(keySeparator);
  return i < 0 ? taskQueue : taskQueue.slice(0, i);
}

export function analysisQueueFor(
  baseQueue: string,
  alias: string,
  model: string,
  limited: RateLimitedModels | undefined,
): string | undefined {
  const models = limited?.[alias];
  if (!models || models.length === 0) return undefined;
  if (models.includes(model)) return keyQueueName(baseQueue, alias, model);
  if (models.includes('*')) return keyQueueName(baseQueue, alias, '*');
  return undefined;
}

/** Leave a little headroom so the server's token bucket never tips a window over the limit. */
export const rateHeadroom = 0.97;

export function activitiesPerSecond(rpm: number): number {
  return (rpm / 60) * rateHeadroom;
}
