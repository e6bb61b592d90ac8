/**
 * The economy collector's bookkeeping, as a plain class (unit-tested without Temporal): requests
 * queued, jobs in flight, which request went into which job, when to look at a job again, and what
 * each video is told when its job ends. Nothing answered is ever sent again; nothing unanswered
 * is lost when a job fails, expires or is cancelled. Workflow-safe: no Node imports.
 */
import type { AnalysisResult, EconomyTuning } from '../../types';
import type { EconomyAnswer, EconomyJobView, EconomyRequest, EconomyStatus } from './definitions';

export const defaultEconomyTuning: Required<EconomyTuning> = {
  gatherSeconds: 60,
  firstPollSeconds: 30,
  maxPollSeconds: 600,
  maxJobsPerRequest: 3,
  fileMaxAgeHours: 20,
  inlineLimitBytes: 10_000_000,
  resendAfterSeconds: 6 * 3600,
};

/** What the collect activity found for one request of a job that ended with answers. */
export type RequestOutcome =
  | { requestId: string; kind: 'result'; result: AnalysisResult }
  | { requestId: string; kind: 'failure'; failureType: string; message: string; details?: Record<string, unknown> }
  /** A retryable per-request error, or no answer at all: it goes into a later job. */
  | { requestId: string; kind: 'retry'; reason: string };

export interface QueuedRequest {
  request: EconomyRequest;
  /** Jobs it has been in already. */
  jobs: number;
  queuedAtMs: number;
  lastProblem?: string;
  /** No room under the model's enqueued-token limit: not due again until one of its jobs ends. */
  waitsForRoom?: boolean;
  /** Times the API refused to create a job holding it (enqueued-token quota). */
  refusals?: number;
  /** Its video was cancelled: no answer is wanted, and it is never sent again. */
  withdrawn?: boolean;
}

export interface JobRecord {
  displayName: string;
  /** `batches/…`, once created. */
  name?: string;
  keyAlias: string;
  model: string;
  requests: QueuedRequest[];
  tokens: number;
  state: string;
  answered: number;
  createdAtMs?: number;
  nextPollAtMs: number;
  pollMs: number;
}

/** A job to create now: its deterministic display name (so a retried create finds it) and requests. */
export interface PlannedJob {
  displayName: string;
  keyAlias: string;
  model: string;
  requests: EconomyRequest[];
  tokens: number;
}

export interface CollectorSnapshot {
  seq: number;
  queue: QueuedRequest[];
  jobs: JobRecord[];
  ended: EconomyJobView[];
  answered: string[];
  interactive: number;
  holdUntilMs?: number;
  /** Enqueued-token limits learned from refusals, per "key\u0000model", below the catalog's. */
  learnedLimits?: Record<string, number>;
}

const endedStates = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED']);
/** Ended jobs kept for the status query and the Web UI. */
const endedShown = 20;

export class EconomyCollectorState {
  readonly tuning: Required<EconomyTuning>;
  private seq: number;
  private queue: QueuedRequest[];
  private jobs: JobRecord[];
  private ended: EconomyJobView[];
  private readonly answered: Set<string>;
  private interactive: number;
  /** After the API refused a job (enqueued-token quota), nothing new is created before this. */
  private holdUntilMs: number | undefined;
  private readonly learnedLimits: Record<string, number>;

  constructor(
    /** Display names are `<prefix> #<n>`: the prefix names the batch and this collector's first run. */
    private readonly namePrefix: string,
    tuning: EconomyTuning = {},
    snapshot?: CollectorSnapshot,
  ) {
    this.tuning = { ...defaultEconomyTuning, ...stripUndefined(tuning) };
    this.seq = snapshot?.seq ?? 0;
    this.queue = snapshot?.queue ?? [];
    this.jobs = snapshot?.jobs ?? [];
    this.ended = snapshot?.ended ?? [];
    this.answered = new Set(snapshot?.answered ?? []);
    this.interactive = snapshot?.interactive ?? 0;
    this.holdUntilMs = snapshot?.holdUntilMs;
    this.learnedLimits = snapshot?.learnedLimits ?? {};
  }

  snapshot(): CollectorSnapshot {
    return {
      seq: this.seq,
      queue: this.queue,
      jobs: this.jobs,
      ended: this.ended,
      answered: [...this.answered],
      interactive: this.interactive,
      holdUntilMs: this.holdUntilMs,
      learnedLimits: this.learnedLimits,
    };
  }

  /** Queues a request; a request already queued, in a job or answered is ignored (signals may repeat). */
  add(request: EconomyRequest, nowMs: number): boolean {
    const id = request.requestId;
    if (this.answered.has(id) || this.queue.some((q) => q.request.requestId === id)) return false;
    if (this.jobs.some((j) => j.requests.some((q) => q.request.requestId === id))) return false;
    this.queue.push({ request, jobs: 0, queuedAtMs: nowMs });
    return true;
  }

  idle(): boolean {
    return this.queue.length === 0 && this.jobs.length === 0;
  }

  /** When something is due next (a gathered queue, a job to look at), in workflow time. */
  nextDueMs(): number | undefined {
    const times = this.jobs.filter((j) => j.name).map((j) => j.nextPollAtMs);
    const gathered = this.gatheredAtMs();
    if (gathered !== undefined) times.push(Math.max(gathered, this.holdUntilMs ?? 0));
    return times.length ? Math.min(...times) : undefined;
  }

  private gatheredAtMs(): number | undefined {
    const ready = this.queue.filter((q) => !q.waitsForRoom);
    if (ready.length === 0) return undefined;
    return Math.min(...ready.map((q) => q.queuedAtMs)) + this.tuning.gatherSeconds * 1000;
  }

  /** The queue has gathered long enough (and no refusal holds it back): time to create jobs. */
  submitDue(nowMs: number): boolean {
    const at = this.gatheredAtMs();
    return at !== undefined && at <= nowMs && (this.holdUntilMs ?? 0) <= nowMs;
  }

  /**
   * Takes the queue apart into jobs: one per key and model (a file belongs to its key's project),
   * each within the model's enqueued-token limit less what that key's jobs of the model already
   * hold. What does not fit waits for a job to end. Requests whose file is too old to outlive a
   * job are returned as `stale`: the video uploads again and sends a new request.
   */
  planJobs(nowMs: number): { jobs: PlannedJob[]; stale: EconomyAnswer[] } {
    const maxAgeMs = this.tuning.fileMaxAgeHours * 3_600_000;
    const stale: EconomyAnswer[] = [];
    const fresh: QueuedRequest[] = [];
    for (const q of this.queue) {
      const file = q.request.file;
      if (file && nowMs - file.uploadedAtMs > maxAgeMs) {
        this.answered.add(q.request.requestId);
        stale.push({
          requestId: q.request.requestId,
          kind: 'failure',
          failureType: 'GeminiFileUnavailable',
          message: `The upload ${file.name} is ${Math.round((nowMs - file.uploadedAtMs) / 3_600_000)} h old: Gemini deletes files after 48 h and a Batch API job may take 24 h, so it is uploaded again before its request is sent.`,
        });
      } else fresh.push(q);
    }
    const groups = new Map<string, QueuedRequest[]>();
    for (const q of fresh) {
      const key = groupKey(q.request.keyAlias, q.request.model);
      groups.set(key, [...(groups.get(key) ?? []), q]);
    }
    const jobs: PlannedJob[] = [];
    const waiting: QueuedRequest[] = [];
    for (const group of groups.values()) {
      const { keyAlias, model } = group[0]!.request;
      const limits = [group[0]!.request.enqueuedTokenLimit, this.learnedLimits[groupKey(keyAlias, model)]];
      const known = limits.filter((l): l is number => l !== undefined);
      const enqueuedTokenLimit = known.length ? Math.min(...known) : undefined;
      const inFlight = this.jobs
        .filter((j) => j.keyAlias === keyAlias && j.model === model)
        .reduce((sum, j) => sum + j.tokens, 0);
      let room = enqueuedTokenLimit === undefined ? Number.POSITIVE_INFINITY : enqueuedTokenLimit - inFlight;
      let current: QueuedRequest[] = [];
      let tokens = 0;
      const close = () => {
        if (current.length === 0) return;
        jobs.push(this.open(keyAlias, model, current, tokens, nowMs));
        room -= tokens;
        current = [];
        tokens = 0;
      };
      for (const q of group) {
        const t = q.request.estimatedTokens;
        if (tokens + t <= room) {
          current.push(q);
          tokens += t;
          continue;
        }
        close();
        // Larger than the whole limit: it goes alone once nothing else of the model is enqueued.
        const alone = enqueuedTokenLimit !== undefined && t > enqueuedTokenLimit && room === enqueuedTokenLimit;
        if (t <= room || alone) {
          current.push(q);
          tokens += t;
          if (alone) close();
        } else waiting.push({ ...q, waitsForRoom: true });
      }
      close();
    }
    this.queue = waiting;
    return { jobs, stale };
  }

  private open(keyAlias: string, model: string, requests: QueuedRequest[], tokens: number, nowMs: number): PlannedJob {
    const displayName = `${this.namePrefix} #${++this.seq}`;
    this.jobs.push({
      displayName,
      keyAlias,
      model,
      requests,
      tokens,
      state: 'CREATING',
      answered: 0,
      nextPollAtMs: nowMs,
      pollMs: this.tuning.firstPollSeconds * 1000,
    });
    return { displayName, keyAlias, model, requests: requests.map((q) => q.request), tokens };
  }

  job(displayName: string): JobRecord | undefined {
    return this.jobs.find((j) => j.displayName === displayName);
  }

  /** The job exists (its name is now in the history): look at it after the first poll interval. */
  created(displayName: string, name: string, nowMs: number): void {
    const job = this.job(displayName);
    if (!job) return;
    job.name = name;
    job.state = 'PENDING';
    job.createdAtMs = nowMs;
    job.nextPollAtMs = nowMs + job.pollMs;
  }

  /**
   * The API refused to create the job (the model's enqueued-token quota, shared with anything else
   * the key's project runs). Its requests wait: for a job of theirs to end if one is in flight;
   * else a poll interval, in smaller jobs (the limit learned is half the refused job). A request
   * refused alone again and again is asked interactively. Returns what to tell those videos.
   */
  refused(displayName: string, reason: string, nowMs: number): EconomyAnswer[] {
    const job = this.job(displayName);
    if (!job) return [];
    this.jobs = this.jobs.filter((j) => j !== job);
    const key = groupKey(job.keyAlias, job.model);
    if (job.requests.length > 1) this.learnedLimits[key] = Math.max(1, Math.floor(job.tokens / 2));
    const othersInFlight = this.jobs.some((j) => groupKey(j.keyAlias, j.model) === key);
    const answers: EconomyAnswer[] = [];
    const back: QueuedRequest[] = [];
    for (const q of job.requests) {
      const refusals = (q.refusals ?? 0) + (job.requests.length === 1 && !othersInFlight ? 1 : 0);
      if (refusals >= this.tuning.maxJobsPerRequest) {
        this.answered.add(q.request.requestId);
        this.interactive++;
        answers.push({
          requestId: q.request.requestId,
          kind: 'interactive',
          reason: `The Batch API refused a job with this request ${refusals} times (${reason}); asking interactively.`,
        });
      } else back.push({ ...q, refusals, lastProblem: reason, waitsForRoom: othersInFlight });
    }
    this.queue.unshift(...back);
    if (!othersInFlight) {
      this.holdUntilMs = nowMs + this.tuning.firstPollSeconds * 1000;
      for (const q of this.queue) delete q.waitsForRoom;
    }
    return answers;
  }

  /** What the last look at the job found. Returns true when its state changed. */
  polled(displayName: string, state: string, nowMs: number): boolean {
    const job = this.job(displayName);
    if (!job) return false;
    const changed = job.state !== state;
    job.state = state;
    job.pollMs = Math.min(job.pollMs * 2, this.tuning.maxPollSeconds * 1000);
    job.nextPollAtMs = nowMs + job.pollMs;
    return changed;
  }

  /** Jobs whose next look is due. */
  dueJobs(nowMs: number): JobRecord[] {
    return this.jobs.filter((j) => j.name && j.nextPollAtMs <= nowMs);
  }

  /**
   * A job ended. Answered requests (a result, or a failure the video's recovery handles) are
   * done for good; the rest — every request of a job that failed, expired or was cancelled, and
   * retryable errors — go into a later job, or, after `maxJobsPerRequest` jobs, are asked
   * interactively. Returns what to tell each video.
   */
  finish(displayName: string, outcomes: RequestOutcome[], nowMs: number): EconomyAnswer[] {
    const job = this.job(displayName);
    if (!job) return [];
    const byId = new Map(outcomes.map((o) => [o.requestId, o]));
    const answers: EconomyAnswer[] = [];
    const jobName = job.name ?? displayName;
    for (const q of job.requests) {
      const id = q.request.requestId;
      if (q.withdrawn) continue; // its video is gone: nothing to tell, nothing to send again
      const outcome = byId.get(id) ?? {
        requestId: id,
        kind: 'retry' as const,
        reason: job.state === 'SUCCEEDED' ? `no answer in ${jobName}` : `job ${jobName} ended ${job.state}`,
      };
      if (outcome.kind === 'result') {
        this.answered.add(id);
        job.answered++;
        answers.push({ requestId: id, kind: 'result', result: outcome.result, jobName });
      } else if (outcome.kind === 'failure') {
        this.answered.add(id);
        job.answered++;
        answers.push({ ...outcome, jobName });
      } else if (q.jobs + 1 >= this.tuning.maxJobsPerRequest) {
        this.answered.add(id);
        this.interactive++;
        answers.push({
          requestId: id,
          kind: 'interactive',
          reason: `${q.jobs + 1} Batch API jobs did not answer it (last: ${outcome.reason}); asking interactively.`,
        });
      } else {
        // Due at once: it already waited for a whole job.
        this.queue.push({
          request: q.request,
          jobs: q.jobs + 1,
          queuedAtMs: nowMs - this.tuning.gatherSeconds * 1000,
          lastProblem: outcome.reason,
        });
      }
    }
    this.jobs = this.jobs.filter((j) => j !== job);
    this.ended = [viewOf(job), ...this.ended].slice(0, endedShown);
    // Its tokens no longer count against the limit: requests waiting for room are due again.
    for (const q of this.queue) delete q.waitsForRoom;
    return answers;
  }

  /**
   * A job the collector could not create or collect (a failure retries did not fix): each of its
   * requests is answered with that failure, so each video fails (or recovers) as it would have
   * interactively instead of waiting forever.
   */
  abandon(displayName: string, failure: { failureType: string; message: string }): EconomyAnswer[] {
    const job = this.job(displayName);
    if (!job) return [];
    this.jobs = this.jobs.filter((j) => j !== job);
    job.state = job.name ? job.state : 'NOT CREATED';
    this.ended = [viewOf(job), ...this.ended].slice(0, endedShown);
    for (const q of this.queue) delete q.waitsForRoom;
    return job.requests.map((q) => {
      this.answered.add(q.request.requestId);
      return { requestId: q.request.requestId, kind: 'failure' as const, ...failure, jobName: job.name };
    });
  }

  status(label: string): EconomyStatus {
    return {
      label,
      queued: this.queue.length,
      answered: this.answered.size - this.interactive,
      sentInteractively: this.interactive,
      jobs: [...this.jobs.map(viewOf), ...this.ended],
    };
  }

  /**
   * A video cancelled while it waits withdraws its request: a queued one is dropped; one in a job
   * is not sent again. Returns the jobs (by display name) nobody waits for any more: worth
   * cancelling, so what no one will read is not paid for.
   */
  withdraw(requestId: string): string[] {
    this.answered.add(requestId);
    this.queue = this.queue.filter((q) => q.request.requestId !== requestId);
    const orphaned: string[] = [];
    for (const job of this.jobs) {
      const q = job.requests.find((r) => r.request.requestId === requestId);
      if (!q) continue;
      q.withdrawn = true;
      if (job.name && job.requests.every((r) => r.withdrawn)) orphaned.push(job.displayName);
    }
    return orphaned;
  }

  /** A job in one of these states will not change again. */
  static isEnded(state: string): boolean {
    return endedStates.has(state);
  }
}

const groupKey = (keyAlias: string, model: string): string => `${keyAlias}\u0000${model}`;

function viewOf(job: JobRecord): EconomyJobView {
  return {
    displayName: job.displayName,
    ...(job.name ? { name: job.name } : {}),
    model: job.model,
    keyAlias: job.keyAlias,
    state: job.state,
    requests: job.requests.length,
    answered: job.answered,
    ...(job.createdAtMs !== undefined ? { createdAtMs: job.createdAtMs } : {}),
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
