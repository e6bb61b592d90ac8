/**
 * Task queues for rate-limited Gemini calls. A project (and model) with configured per-minute
 * request limits gets its own activity task queue, shared by the project's keys (Gemini counts
 * requests per project, not per key), whose rate the Temporal server enforces across every worker
 * (`maxTaskQueueActivitiesPerSecond`): limits hold however many workers run, with no home-made
 * distributed limiter. Workflow-safe: no Node imports.
 */

/** Per key alias: models with their own limits, and whether a '*' limit covers the others. Names only. */
export type RateLimitedModels = Record<string, string[]>;

/**
 * The queue of one project and model (`*`: the project's other models): `<base>.gemini.<project>.<model>`.
 * A key that is its own project (the default) keeps the name its queue always had.
 */
export function keyQueueName(baseQueue: string, project: string, model: string): string {
  return `${baseQueue}${keySeparator}${project}.${model}`;
}

const keySeparator = '.gemini.';

/** The base queue of a key's queue (the key pool and every other activity live there); a base queue is its own. */
export function baseQueueOf(taskQueue: string): string {
  const i = taskQueue.indexOf(keySeparator);
  return i < 0 ? taskQueue : taskQueue.slice(0, i);
}

/** The rate-limited queue a key's call goes through (its project's), or undefined without an rpm limit. */
export function analysisQueueFor(
  baseQueue: string,
  project: string,
  model: string,
  limited: RateLimitedModels | undefined,
  alias: string = project,
): string | undefined {
  const models = limited?.[alias];
  if (!models || models.length === 0) return undefined;
  if (models.includes(model)) return keyQueueName(baseQueue, project, model);
  if (models.includes('*')) return keyQueueName(baseQueue, project, '*');
  return undefined;
}

/** Leave a little headroom so the server's token bucket never tips a window over the limit. */
export const rateHeadroom = 0.97;

export function activitiesPerSecond(rpm: number): number {
  return (rpm / 60) * rateHeadroom;
}
