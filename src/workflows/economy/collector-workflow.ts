import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setCurrentDetails,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../../failures';
import { failureMessageOf, failureTypeOf } from '../failure-info';
import { clockText, summary } from '../labels';
import {
  EconomyCollectorState,
  type CollectorSnapshot,
  type JobRecord,
  type PlannedJob,
  type RequestOutcome,
} from './collector-state';
import {
  economyAnswerSignal,
  economyDescriptions,
  economyJobSignal,
  economyRequestSignal,
  economyStatusQuery,
  economyWithdrawSignal,
  type EconomyAnswer,
  type EconomyCollectorInput,
  type EconomyStatus,
} from './definitions';
import { batchJobs } from './proxies';

/** Continue as new before the history grows long: a collector may wait a day for its jobs. */
const maxHistoryEvents = 5000;

/**
 * Economy mode of one batch: gathers the videos' analysis requests (signals), sends them to
 * Gemini's Batch API as jobs (per key and model, within the model's enqueued-token limit), waits
 * for each job with durable timers (the interval doubles up to a maximum; no worker is held),
 * collects the answers into the videos' work files, and tells each video its result, its
 * classified failure, or to ask interactively. Ends when nothing is queued or in flight and no
 * request came for a while; a later request starts it again.
 */
export async function EconomyCollectorWorkflow(input: EconomyCollectorInput): Promise<EconomyStatus> {
  const prefix = `lesson-forge ${input.label.slice(0, 60)} ${workflowInfo().firstExecutionRunId.slice(0, 8)}`;
  const state = new EconomyCollectorState(prefix, input.tuning, input.carried as CollectorSnapshot | undefined);
  let arrivals = 0;
  setHandler(
    economyRequestSignal,
    (request) => {
      if (state.add(request, Date.now())) arrivals++;
    },
    { description: economyDescriptions.request },
  );
  setHandler(economyStatusQuery, () => state.status(input.label), { description: economyDescriptions.status });
  const toCancel: string[] = [];
  setHandler(
    economyWithdrawSignal,
    ({ requestId }) => {
      toCancel.push(...state.withdraw(requestId));
    },
    { description: economyDescriptions.withdraw },
  );
  const show = () => setCurrentDetails(detailsText(state.status(input.label)));

  for (;;) {
    show();
    const submitting = state.submitDue(Date.now());
    if (submitting) await submitQueued(state);
    for (const displayName of toCancel.splice(0)) await cancelJob(state, displayName);
    const due = state.dueJobs(Date.now());
    for (const job of due) await lookAt(state, job);
    show();
    if (state.idle()) {
      const seen = arrivals;
      const lingerMs = state.tuning.gatherSeconds * 1000;
      const more = await condition(() => arrivals !== seen, lingerMs, {
        summary: summary(
          `nothing left to send or wait for; ending at ${clockText(Date.now() + lingerMs, Date.now())} unless a video sends more`,
        ),
      });
      if (!more && state.idle()) return state.status(input.label);
      continue;
    }
    if (workflowInfo().historyLength > maxHistoryEvents || workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof EconomyCollectorWorkflow>({ ...input, carried: state.snapshot() });
    const next = state.nextDueMs();
    if (next === undefined) {
      // Only requests waiting for room: a job of theirs ends first, and is polled meanwhile.
      await condition(() => state.nextDueMs() !== undefined || toCancel.length > 0);
      continue;
    }
    if (next <= Date.now()) {
      // Due again at once after doing nothing would spin without yielding: never.
      if (!submitting && due.length === 0) await sleep(1000);
      continue;
    }
    // Woken early when a request makes something due sooner (the first of a new gathering), or a job is orphaned.
    await condition(() => (state.nextDueMs() ?? next) < next || toCancel.length > 0, next - Date.now(), {
      summary: summary(nextWakeText(state, next)),
    });
  }
}

/** Creates the jobs the queue makes up; tells videos whose upload is too old to upload again. */
async function submitQueued(state: EconomyCollectorState): Promise<void> {
  const { jobs, stale } = state.planJobs(Date.now());
  await tellVideos(stale);
  for (const planned of jobs) await submit(state, planned);
}

async function submit(state: EconomyCollectorState, planned: PlannedJob): Promise<void> {
  let created: Awaited<ReturnType<typeof batchJobs.submitEconomyJob>>;
  try {
    created = await createJob(state, planned);
  } catch (err) {
    // Refused for good (a bad request, a revoked key): each video hears it as its own failure.
    await tellVideos(state.abandon(planned.displayName, failureOf(err)));
    return;
  }
  if ('refused' in created) {
    log.warn('Batch API job refused; its requests wait', { job: planned.displayName, reason: created.refused });
    await tellVideos(state.refused(planned.displayName, created.refused, Date.now()));
    return;
  }
  state.created(planned.displayName, created.name || planned.displayName, Date.now());
  const job = state.job(planned.displayName)!;
  if (!created.name) {
    // Every clip was answered by earlier jobs (a job collected before a crash): collect at once.
    state.polled(planned.displayName, 'SUCCEEDED', Date.now());
    await collect(state, job, '');
    return;
  }
  await tellJob(job);
}

function createJob(state: EconomyCollectorState, planned: PlannedJob) {
  return batchJobs.submitEconomyJob.executeWithOptions(
    {
      summary: summary(
        `create Batch API job "${planned.displayName}": ${planned.requests.length} ${planned.requests.length === 1 ? 'request' : 'requests'}, ${planned.model}, key ${planned.keyAlias}, ~${planned.tokens} tokens enqueued`,
      ),
    },
    [
      {
        keyAlias: planned.keyAlias,
        model: planned.model,
        displayName: planned.displayName,
        requests: planned.requests.map((r) => ({ requestId: r.requestId, requestPath: r.requestPath })),
        inlineLimitBytes: state.tuning.inlineLimitBytes,
      },
    ],
  );
}

/** Every video of the job was cancelled: cancel the job too (what it already answered is billed; the rest is not run). */
async function cancelJob(state: EconomyCollectorState, displayName: string): Promise<void> {
  const job = state.job(displayName);
  if (!job?.name) return;
  try {
    await batchJobs.cancelEconomyJob.executeWithOptions(
      { summary: summary(`cancel Batch API job ${job.name}: every video waiting for it was cancelled`) },
      [{ keyAlias: job.keyAlias, name: job.name }],
    );
  } catch (err) {
    log.warn('could not cancel the Batch API job', { job: job.name, error: failureMessageOf(err) });
  }
  // Looked at at once: it ends CANCELLED (or already ended), and is collected as any other.
  job.nextPollAtMs = Date.now();
}

/** Looks at a job; when it has ended, collects its answers and tells the videos. */
async function lookAt(state: EconomyCollectorState, job: JobRecord): Promise<void> {
  const name = job.name!;
  let jobState: string;
  try {
    ({ state: jobState } = await batchJobs.checkEconomyJob.executeWithOptions(
      { summary: summary(`look at Batch API job ${name} (${job.state}, ${job.requests.length} requests)`) },
      [{ keyAlias: job.keyAlias, name }],
    ));
  } catch (err) {
    // The job cannot be read (deleted, gone): as a job that failed, its requests go again.
    log.warn('Batch API job unreadable; its requests go again', { job: name, error: failureMessageOf(err) });
    jobState = 'FAILED';
  }
  const changed = state.polled(job.displayName, jobState, Date.now());
  if (EconomyCollectorState.isEnded(jobState)) {
    await collect(state, job, jobState === 'SUCCEEDED' ? name : undefined);
    return;
  }
  if (changed) await tellJob(job);
}

/** `name` undefined: the job ended without answers (failed, expired, cancelled): everything goes again. */
async function collect(state: EconomyCollectorState, job: JobRecord, name: string | undefined): Promise<void> {
  let outcomes: RequestOutcome[] = [];
  if (name !== undefined) {
    try {
      outcomes = await batchJobs.collectEconomyJob.executeWithOptions(
        {
          summary: summary(
            `collect the answers of Batch API job ${name || job.displayName} (${job.requests.length} requests)`,
          ),
        },
        [
          {
            keyAlias: job.keyAlias,
            name,
            requests: job.requests.map((q) => ({
              requestId: q.request.requestId,
              requestPath: q.request.requestPath,
            })),
          },
        ],
      );
    } catch (err) {
      await tellVideos(state.abandon(job.displayName, failureOf(err)));
      return;
    }
  }
  const answers = state.finish(job.displayName, outcomes, Date.now());
  await tellVideos(answers);
}

function failureOf(err: unknown): { failureType: string; message: string } {
  return {
    failureType: failureTypeOf(err) ?? FailureType.Unclassified,
    message: `Economy mode could not use the Batch API: ${failureMessageOf(err)}`,
  };
}

/** Each video of the job hears the job's name and state (its progress note in the Web UI and `watch`). */
async function tellJob(job: JobRecord): Promise<void> {
  await inGroups(job.requests, (q) =>
    signalVideo(q.request.videoWorkflowId, (h) =>
      h.signal(economyJobSignal, {
        requestId: q.request.requestId,
        jobName: job.name ?? job.displayName,
        state: job.state,
        answered: job.answered,
        total: job.requests.length,
      }),
    ),
  );
}

async function tellVideos(answers: EconomyAnswer[]): Promise<void> {
  await inGroups(answers, (a) =>
    signalVideo(a.requestId.slice(0, a.requestId.lastIndexOf('#')), (h) => h.signal(economyAnswerSignal, a)),
  );
}

/** The server allows a workflow only so many signals in flight (2000 by default): send them in groups. */
async function inGroups<T>(items: T[], send: (item: T) => Promise<void>, size = 500): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(send));
}

/** A video that has ended meanwhile (cancelled, reset) no longer listens: that is fine. */
async function signalVideo(
  workflowId: string,
  send: (h: ReturnType<typeof getExternalWorkflowHandle>) => Promise<void>,
): Promise<void> {
  try {
    await send(getExternalWorkflowHandle(workflowId));
  } catch (err) {
    log.info('video no longer listens', { workflowId, error: String(err) });
  }
}

function nextWakeText(state: EconomyCollectorState, due: number): string {
  const at = clockText(due, Date.now());
  const next = [...state.status('').jobs].find((j) => j.name && !EconomyCollectorState.isEnded(j.state));
  if (next) return `look at Batch API job ${next.name} (${next.state}) again at ${at}`;
  const queued = state.status('').queued;
  return `gather requests until ${at}, then send ${queued === 1 ? 'the request' : `the ${queued} requests`} as Batch API jobs`;
}

export function detailsText(status: EconomyStatus): string {
  const lines = [`**Economy mode of ${status.label}** (Gemini Batch API, half price)`];
  lines.push(
    `Requests queued: ${status.queued} · answered: ${status.answered}${status.sentInteractively ? ` · sent interactively: ${status.sentInteractively}` : ''}`,
  );
  for (const j of status.jobs)
    lines.push(
      `- ${j.name ?? j.displayName} · ${j.state} · ${j.answered}/${j.requests} answered · ${j.model} · key ${j.keyAlias}`,
    );
  return lines.join('\n');
}
