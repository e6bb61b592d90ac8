/** How tests steer the Batch API and context caches of the stand-in (in process, or over /__standin/). */

export type BatchStateName =
  | 'BATCH_STATE_PENDING'
  | 'BATCH_STATE_RUNNING'
  | 'BATCH_STATE_SUCCEEDED'
  | 'BATCH_STATE_FAILED'
  | 'BATCH_STATE_CANCELLED'
  | 'BATCH_STATE_EXPIRED';

/** A terminal state, short or long form (`FAILED` or `BATCH_STATE_FAILED`). */
export type BatchEnding = 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'EXPIRED';

export interface BatchSettings {
  /** How long a new job stays PENDING. Default 100 ms. */
  pendingMs: number;
  /** How long it then stays RUNNING before it ends. Default 200 ms. */
  runningMs: number;
  /** A job not ended this long after creation ends EXPIRED, without results (the API: 48 h). */
  expireAfterMs: number;
  /** Enqueued prompt tokens allowed per model across an owner's unfinished jobs; `'*'` for every model. */
  enqueuedTokenLimits: Record<string, number>;
  /** Unfinished jobs per owner (the API: 100). */
  maxConcurrentJobs: number;
  /** Share of the interactive price a batch request is billed at (the API: 0.5). */
  priceFactor: number;
}

/** Decides how the next matching jobs end, instead of SUCCEEDED. */
export interface BatchOutcomeRule {
  match?: {
    /** Substring of the job's display name. */
    displayName?: string;
    model?: string;
    /** Key name (label). */
    key?: string;
  };
  /** How many jobs it applies to; default unlimited. */
  times?: number;
  state: Exclude<BatchEnding, 'SUCCEEDED'>;
  /** Message of the job's error when it FAILED. */
  message?: string;
}

/** One request of a job as billed: usage as interactive generate reports it, priced at `priceFactor`. */
export interface BatchRequestBill {
  /** The request's key (file input) or its index (inline). */
  key: string;
  ok: boolean;
  /** gRPC code of a failed request. */
  errorCode?: number;
  promptTokens: number;
  cachedTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
  priceFactor: number;
}

export interface BatchJobSummary {
  name: string;
  owner: string;
  model: string;
  displayName?: string;
  state: BatchStateName;
  requestCount: number;
  enqueuedTokens: number;
  deleted: boolean;
  /** Filled once the job has run. */
  bills: BatchRequestBill[];
}

export interface CacheSummary {
  name: string;
  owner: string;
  model: string;
  displayName?: string;
  tokens: number;
  /** Generate requests that read it. */
  reads: number;
  deleted: boolean;
  expired: boolean;
  /** tokens × hours alive (creation to deletion, expiry or now): what storage is billed on. */
  storageTokenHours: number;
}

export interface StandinBatchControl {
  /** Changes turnaround, expiry, limits or price factor for jobs created from now on. */
  configure(patch: Partial<BatchSettings>): void;
  settings(): BatchSettings;
  /** Returns the rule's id. */
  addOutcome(rule: BatchOutcomeRule): string;
  clearOutcomes(): void;
  /** Moves a job on now: to RUNNING, or to an end (SUCCEEDED runs its requests). `batches/x` or `x`. */
  advance(name: string, to: 'RUNNING' | BatchEnding): void;
  /** Every job, with its per-request bills once run. */
  jobs(): Promise<BatchJobSummary[]>;
}

export interface StandinCacheControl {
  /** Smallest cache accepted (default: 1,024 tokens, 4,096 for pro models); undefined restores it. */
  setMinimumTokens(tokens: number | undefined): void;
  /** The cache then answers like an expired one. `cachedContents/x` or `x`; false when unknown. */
  expire(name: string): boolean;
  caches(): CacheSummary[];
}
