import { analyzeActivities } from './analyze';
import { cacheActivities } from './cache';
import { batchActivities } from './batch';
import { batchJobActivities } from './batch-jobs';
import { ActivityContext, type ActivityDeps } from './context';
import { formatActivities } from './format';
import { guardActivities } from './input-policy';
import { inspectActivities } from './inspect';
import { keyActivities } from './keys';
import { reconcileActivities } from './reconcile';
import { reportActivities } from './report';
import { uploadActivities } from './upload';
import { writeActivities } from './write';

export type { ActivityDeps } from './context';

/**
 * Every activity, built from its dependencies (Gemini gateway, model catalog, clients) so tests
 * can inject their own. Names say what each does; the Web UI shows them.
 */
export function createActivities(deps: ActivityDeps) {
  const ctx = new ActivityContext(deps);
  const activities = {
    ...batchActivities(ctx),
    ...inspectActivities(ctx),
    ...uploadActivities(ctx),
    ...analyzeActivities(ctx),
    ...formatActivities(ctx),
    ...writeActivities(ctx),
    ...reportActivities(ctx),
    ...keyActivities(ctx),
    ...reconcileActivities(ctx),
    ...cacheActivities(ctx),
    ...batchJobActivities(ctx),
  };
  // A worker checks every input against its own settings: whoever starts a workflow chooses the inputs.
  return deps.policy ? guardActivities(activities, deps.policy) : activities;
}

export type Activities = ReturnType<typeof createActivities>;
