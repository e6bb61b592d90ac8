/** How tests steer batch jobs: settings, outcome rules, moving a job on, and the jobs with their bills. */
import type { BatchEnding, BatchJobSummary, BatchOutcomeRule, BatchSettings } from './batch-types';
import { phase, settle, storeOf } from './batch-jobs';
import type { StandinState } from './state';
import { randomToken } from './util';

export function configureBatches(state: StandinState, patch: Partial<BatchSettings>): void {
  const store = storeOf(state);
  const defined = Object.fromEntries(
    Object.entries(patch).filter(([, v]) => v !== undefined),
  ) as Partial<BatchSettings>;
  store.settings = { ...store.settings, ...defined };
}

export function batchSettings(state: StandinState): BatchSettings {
  return structuredClone(storeOf(state).settings);
}

export function addBatchOutcome(state: StandinState, rule: BatchOutcomeRule): string {
  const id = `outcome-${randomToken(6)}`;
  storeOf(state).outcomes.push({ id, rule: structuredClone(rule), remaining: rule.times ?? Number.POSITIVE_INFINITY });
  return id;
}

export function clearBatchOutcomes(state: StandinState): void {
  storeOf(state).outcomes = [];
}

/** Moves a job on now. Throws for an unknown job or one that already ended. */
export function advanceBatch(state: StandinState, name: string, to: 'RUNNING' | BatchEnding): void {
  const job = storeOf(state).jobs.get(name.replace(/^batches\//, ''));
  if (!job) throw new Error(`no batch job ${name}`);
  if (job.ended) throw new Error(`batch job ${name} already ended (${job.ended.state})`);
  const now = Date.now();
  job.runAt = Math.min(job.runAt, now);
  if (to === 'RUNNING') {
    job.endAt = Math.max(job.endAt, now + 1);
    return;
  }
  job.endAt = now;
  job.ending = to;
  // An explicit end wins over the expiry clock.
  job.expireAt = Number.POSITIVE_INFINITY;
}

export async function batchJobs(state: StandinState): Promise<BatchJobSummary[]> {
  const jobs = [...storeOf(state).jobs.values()].sort((a, b) => a.seq - b.seq);
  for (const job of jobs) if (!job.deleted) await settle(state, job);
  const now = Date.now();
  return jobs.map((j) => ({
    name: `batches/${j.id}`,
    owner: j.owner,
    model: j.model,
    ...(j.displayName !== undefined ? { displayName: j.displayName } : {}),
    state: phase(j, now),
    requestCount: j.requests.length,
    enqueuedTokens: j.enqueuedTokens,
    deleted: j.deleted,
    bills: j.bills,
  }));
}
