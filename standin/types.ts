/**
 * Public types of the local Gemini stand-in (see gemini-wire.md). The stand-in speaks the real REST
 * protocol so the real `@google/genai` SDK can talk to it; these types only configure and observe it.
 */
import type { StandinBatchControl, StandinCacheControl } from './batch-types';

/** Routes a fault rule can target. */
export type FaultRoute =
  | 'generate'
  | 'upload.start'
  | 'upload.chunk'
  | 'files.get'
  | 'files.delete'
  /** batchGenerateContent itself (http, delay, reset). */
  | 'batch.create'
  /** One request inside a batch job, when the job runs: an http action fails that request only. */
  | 'batch.request'
  | 'any';

/** Every route the stand-in counts in its stats. Streaming generation counts as `generate`. */
export type RouteName =
  | 'upload.start'
  | 'upload.chunk'
  | 'upload.query'
  | 'files.get'
  | 'files.list'
  | 'files.delete'
  | 'generate'
  | 'countTokens'
  | 'models'
  | 'batches.create'
  | 'batches.get'
  | 'batches.list'
  | 'batches.cancel'
  | 'batches.delete'
  | 'caches.create'
  | 'caches.get'
  | 'caches.list'
  | 'caches.update'
  | 'caches.delete'
  | 'files.download'
  | 'unknown';

export const routeNames: readonly RouteName[] = [
  'upload.start',
  'upload.chunk',
  'upload.query',
  'files.get',
  'files.list',
  'files.delete',
  'generate',
  'countTokens',
  'models',
  'batches.create',
  'batches.get',
  'batches.list',
  'batches.cancel',
  'batches.delete',
  'caches.create',
  'caches.get',
  'caches.list',
  'caches.update',
  'caches.delete',
  'files.download',
  'unknown',
];

export interface RateLimit {
  /** Requests per "minute" (a sliding window of `minuteMs`). */
  rpm?: number;
  /** Input (prompt) tokens per "minute". */
  tpm?: number;
  /** Requests per "day" (until `advanceDay()` or real midnight Pacific). */
  rpd?: number;
}

/** Limits by model id, or `'*'` for every model; a model entry overrides `'*'` field by field. */
export type RateLimits = Record<string, RateLimit>;

export interface KeyConfig {
  /** Label used in stats and logs instead of the value. */
  name: string;
  value: string;
  /** false: the API answers 400 API_KEY_INVALID. Default true. */
  valid?: boolean;
  /** Decides the quota ids in 429 bodies (`...-FreeTier` or not). Default 'free'. */
  tier?: 'free' | 'paid';
  /**
   * The Google Cloud project the key belongs to: rate limits are counted per project and model, so
   * keys of one project share them. Default: a project of its own (named like the key).
   */
  project?: string;
  /** The key's limits, used when its project has none in `projectLimits`. */
  limits?: RateLimits;
}

export interface LatencyRange {
  min: number;
  max: number;
}

/** Milliseconds: a fixed number or a uniformly random range. */
export type LatencySpec = number | LatencyRange;

/** One spec for every route, or per route (`default` for the others). */
export type LatencyOption = LatencySpec | Partial<Record<RouteName | 'default', LatencySpec>>;

export interface StandinOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  keys?: KeyConfig[];
  /** Keys not in `keys` are accepted (as their own project). Default true. */
  acceptUnknownKeys?: boolean;
  /** Limits for keys that have none of their own (including unknown keys). Default: none. */
  defaultLimits?: RateLimits;
  /** Limits by project (see KeyConfig.project), shared by the project's keys; over the keys' own. */
  projectLimits?: Record<string, RateLimits>;
  /** Model ids answering generateContent. */
  models?: string[];
  latencyMs?: LatencyOption;
  /** How long an uploaded file stays PROCESSING. Default 300. */
  processingMs?: number;
  /** Length of the rate-limit "minute". Default 60000. */
  minuteMs?: number;
  /** Largest accepted upload. Default 2 GiB. */
  maxFileBytes?: number;
  /** Duration of a YouTube video nobody registered. Default 600. */
  youtubeDefaultSeconds?: number;
  /** Size-based duration estimate for uploads with no registered duration. Default 50_000 B/s. */
  bytesPerVideoSecond?: number;
  /**
   * Timestamps in generated answers for a clipped request: 'absolute' (seconds from the start of
   * the video, inside [startOffset, endOffset]) or 'relative' (seconds from the clip start,
   * inside [0, clip length]). Default 'absolute'.
   */
  clipTimestamps?: 'absolute' | 'relative';
  /** Entries kept in the request log. Default 20000. */
  logLimit?: number;
  /** Called with one line per request (never a key value). Default: silent. */
  logger?: (line: string) => void;
}

export type HttpFaultKind =
  | 'quota-minute'
  | 'quota-day'
  | 'invalid-key'
  | 'permission-denied'
  | 'not-found'
  | 'failed-precondition'
  | 'invalid-argument'
  | 'internal'
  | 'unavailable'
  | 'deadline';

export type HttpFaultStatus = 400 | 403 | 404 | 429 | 500 | 503 | 504;

export type FinishFaultReason =
  'SAFETY' | 'RECITATION' | 'BLOCKLIST' | 'PROHIBITED_CONTENT' | 'SPII' | 'OTHER' | 'MAX_TOKENS';

export type BlockFaultReason = 'SAFETY' | 'PROHIBITED_CONTENT' | 'BLOCKLIST' | 'OTHER';

export type FaultAction =
  /** A real error body. Give `status`, `kind` or both (each is inferred from the other). */
  | { type: 'http'; status?: HttpFaultStatus; kind?: HttpFaultKind; retryDelaySeconds?: number }
  /** generate: HTTP 200 whose candidate ends with this reason (MAX_TOKENS: truncated text). */
  | { type: 'finish'; reason: FinishFaultReason }
  /** generate: MAX_TOKENS with truncated text while the request's maxOutputTokens < tokens. */
  | { type: 'max-tokens-below'; tokens: number }
  /** generate: HTTP 200, no candidates, promptFeedback.blockReason. */
  | { type: 'blocked-prompt'; reason: BlockFaultReason }
  /** generate: STOP with text that is not JSON. */
  | { type: 'invalid-json' }
  /** generate: STOP with JSON that does not validate against the request's schema. */
  | { type: 'schema-mismatch' }
  /** upload.start / upload.chunk (the finalizing one): the file ends in state FAILED. */
  | { type: 'file-failed'; message?: string }
  /** Wait, then go on (later rules may still apply). */
  | { type: 'delay'; ms: number }
  /** Destroy the socket without answering. */
  | { type: 'reset' };

export interface FaultMatch {
  /** Substring of the display name (uploads) or of the YouTube URL. */
  video?: string;
  model?: string;
  /** Key name (label), not the key value. */
  key?: string;
  /** generate: true matches only requests with a video part, false only text-only ones (repairs). */
  withVideo?: boolean;
}

export interface FaultRule {
  route: FaultRoute;
  match?: FaultMatch;
  /** How many times it fires; default unlimited. */
  times?: number;
  /** Chance (0..1) that a matching request is hit; default 1. */
  probability?: number;
  action: FaultAction;
}

export interface VideoStats {
  uploadsStarted: number;
  uploadsCompleted: number;
  generateCalls: number;
  /** 2xx with finishReason STOP. */
  generateSucceeded: number;
  deletes: number;
  lastModel?: string;
}

export interface RequestLogEntry {
  /** Epoch milliseconds when the answer was sent. */
  at: number;
  route: RouteName;
  /** Key label (configured name or key-<8 hex of sha256>), '-' when none. */
  key: string;
  model?: string;
  video?: string;
  /** HTTP status; 0 when the socket was reset. */
  status: number;
  finishReason?: string;
  /** generate: video parts the request carried (0: text only). */
  mediaParts?: number;
  /** generate: the key's project, whose limits counted the request. */
  project?: string;
  /** generate: epoch milliseconds when the request was judged against the limits (and counted, unless refused). */
  admittedAt?: number;
  /** generate 2xx: input tokens counted against the project's tokens per minute. */
  promptTokens?: number;
}

export interface TokenTotals {
  calls: number;
  prompt: number;
  candidates: number;
  thoughts: number;
  total: number;
}

export interface StandinStats {
  /** Requests by route. */
  totals: Record<RouteName, number>;
  /** Requests by key label, then route. */
  byKey: Record<string, Partial<Record<RouteName, number>>>;
  /** By display name (uploads) or YouTube URL. */
  byVideo: Record<string, VideoStats>;
  /** Answers by HTTP status ("0" for resets). */
  byStatus: Record<string, number>;
  /** How many 429 answers were sent (limits and faults). */
  count429: number;
  /** Usage reported in 2xx generate answers, by model. */
  tokensByModel: Record<string, TokenTotals>;
  /** Bytes received by upload chunks. */
  bytesUploaded: number;
  /** Last `logLimit` requests, oldest first. */
  log: RequestLogEntry[];
  /** Entries that fell off the log. */
  logDropped: number;
}

export interface GeminiStandin {
  /** e.g. http://127.0.0.1:PORT */
  url: string;
  stats(): StandinStats;
  resetStats(): void;
  addFault(rule: FaultRule): string;
  clearFaults(): void;
  configure(patch: Partial<StandinOptions>): void;
  setVideoDuration(displayNameOrYoutubeUrl: string, seconds: number): void;
  /** The file then answers 403 like an expired one. Accepts `files/x` or `x`. */
  expireFile(name: string): void;
  /** Simulates the daily quota reset (midnight Pacific). */
  advanceDay(): void;
  /** Batch API turnaround, outcomes, limits and bills (batches.ts). */
  batches: StandinBatchControl;
  /** Context caches: minimum size, expiry, storage (caches.ts). */
  caches: StandinCacheControl;
  close(): Promise<void>;
}
