/**
 * Types shared by workflows, activities, the CLI and tests. Everything here travels in Temporal
 * payloads, so it stays small and serialisable: paths, ids, numbers and short strings, never video
 * bytes or model output. No secrets either: keys are referred to by alias.
 */

/** A video to process: a file on a disk every worker can read, or a public YouTube link. */
export type VideoSource = { kind: 'file'; path: string } | { kind: 'youtube'; url: string; videoId: string };

/** One entry of a batch, with a stable key used in workflow ids and output names. */
export interface VideoItem {
  /** Stable, filesystem- and id-safe key, unique within a batch (e.g. `stage-lighting-a1b2c3`). */
  key: string;
  /** Human title derived from the file name or URL (e.g. `Stage lighting basics`). */
  title: string;
  source: VideoSource;
}

/** Why a discovered entry was not turned into a video. */
export interface SkippedEntry {
  entry: string;
  reason: string;
}

export type MediaResolution = 'default' | 'low';

/** What the user asked for, shared by every video of a batch. */
export interface ProcessingOptions {
  template: string;
  templateParams: Record<string, string>;
  /** Models to try in order: the chosen one first, then the fallback chain. */
  models: string[];
  outputDir: string;
  /** Output path pattern relative to outputDir, e.g. `{template}/{name}.md`. */
  outputPattern: string;
  /** Extra template folders (user templates) besides the built-in ones. */
  templateDirs: string[];
  /** Re-process even when an up-to-date output exists. */
  force: boolean;
  /** Keep uploaded files on Gemini after a successful analysis. */
  keepUploads: boolean;
  /** Key alias to use; undefined lets the worker choose. */
  keyAlias?: string;
  /** Force a media resolution; undefined lets the tool choose from the video's length. */
  mediaResolution?: MediaResolution;
  /** After a step fails for good: wait this long for a person to retry or skip (0: fail at once). */
  failureGraceSeconds: number;
  /** While every key waits for its daily reset, ask the key pool again this often (default 300 s). */
  quotaRecheckSeconds?: number;
  /** Keys (by name) with per-minute limits, and the models those limits cover ('*' for all). Names only. */
  rateLimitedModels?: Record<string, string[]>;
  /** Keys (by name) whose project has a tokens-per-minute limit, and the models it covers ('*' for all). Names only. */
  tokenLimitedModels?: Record<string, string[]>;
  /** Each key's project (by key name), where it differs from the key's name: its rate-limited queue is the project's. */
  keyProjects?: Record<string, string>;
  /**
   * Several notes from one upload: every template asked for, in order (`template` is the first).
   * Absent when only one is asked for, so such a batch runs exactly as before.
   */
  templates?: string[];
  /** Set by a video's run for its analyses: the context cache holding its video (see src/gemini/cache-plan.ts). */
  cachedContent?: CachedVideo;
  /** Economy mode: analyses go through Gemini's Batch API at its price (half), answered within 24 h. */
  economy?: boolean;
  /** Economy mode's timings and limits; the defaults suit real jobs (tests shorten them). */
  economyTuning?: EconomyTuning;
}

/** A video put in an explicit context cache, read by every template's analysis. Names only, no content. */
export interface CachedVideo {
  /** `cachedContents/abc123`. */
  name: string;
  /** The model it was made for: a cache serves requests to that model only. */
  model: string;
  /** The key it belongs to (a cache, like an upload, is of no use to another key's project). */
  keyAlias: string;
  /** Tokens it holds (`usageMetadata.totalTokenCount`). */
  tokens: number;
  createTime: string;
  expireTime: string;
}

/** How economy mode gathers requests into Batch API jobs and waits for them. */
export interface EconomyTuning {
  /** Requests are gathered this long after the first one arrives, then sent as jobs (default 60 s). */
  gatherSeconds?: number;
  /** First check of a job after it is created (default 30 s); each next wait is twice as long... */
  firstPollSeconds?: number;
  /** ...up to this (default 600 s). */
  maxPollSeconds?: number;
  /** Jobs a request may go into (a job that failed, expired or was cancelled, a retryable error) before it is sent interactively (default 3). */
  maxJobsPerRequest?: number;
  /** A file uploaded longer ago than this is uploaded again before its request goes into a job (default 20 h: files expire after 48 h, a job may take 24 h). */
  fileMaxAgeHours?: number;
  /** Requests go inline up to this many bytes per job; above it, as a JSONL file (default 10 MB; the API's limit is 20 MB). */
  inlineLimitBytes?: number;
  /** A video with no answer after this long sends its request again (default 6 h): the collector dedupes it, and a collector that was terminated by hand is started anew. */
  resendAfterSeconds?: number;
}

export interface TokenUsage {
  promptTokens: number;
  outputTokens: number;
  thoughtsTokens: number;
  totalTokens: number;
  /** Of promptTokens, those read from a context cache (`cachedContentTokenCount`); absent when none. */
  cachedTokens?: number;
}

export const emptyUsage = (): TokenUsage => ({ promptTokens: 0, outputTokens: 0, thoughtsTokens: 0, totalTokens: 0 });

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const sum: TokenUsage = {
    promptTokens: a.promptTokens + b.promptTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    thoughtsTokens: a.thoughtsTokens + b.thoughtsTokens,
    totalTokens: a.totalTokens + b.totalTokens,
  };
  // Only where a cache was read, so usage without one stays exactly as it was.
  if (a.cachedTokens !== undefined || b.cachedTokens !== undefined)
    sum.cachedTokens = (a.cachedTokens ?? 0) + (b.cachedTokens ?? 0);
  return sum;
}

/** Facts about a video established before anything is spent. */
export interface VideoFacts {
  title: string;
  /** Canonical source: absolute path or canonical YouTube URL. */
  source: string;
  sizeBytes?: number;
  mimeType: string;
  durationSeconds?: number;
  /** Content hash (sha256 hex) of a local file; the video id for YouTube. */
  contentHash: string;
  /** Set when the video needs no work (an up-to-date output exists). */
  upToDate?: { outputPath: string };
  /** Several templates: the notes already up to date, by template (the others need work). */
  notesUpToDate?: Record<string, string>;
}

/** A video uploaded to Gemini's Files API. */
export interface UploadedFile {
  /** Gemini resource name, `files/abc123`. */
  name: string;
  uri: string;
  mimeType: string;
  keyAlias: string;
}

export interface AnalysisResult {
  /** Where the model's structured output was stored (JSON), never the output itself. */
  analysisPath: string;
  model: string;
  keyAlias: string;
  usage: TokenUsage;
  costUsd: number;
  finishReason: string;
  truncated: boolean;
  mediaResolution: MediaResolution;
  /** How the video was analysed: whole, or in clips that were merged. */
  strategy: 'whole' | 'clips';
  /** The output limit the final call used, so a truncated answer can be retried with more. */
  maxOutputTokens: number;
  /** The limit is already the model's maximum: asking again cannot give a longer answer. */
  atModelLimit?: boolean;
  /** Answers fixed by a text-only call (no video sent again): schema repairs and completions of cut answers. */
  repairs?: number;
  /** In clips: each clip's input tokens as Gemini counted them (each settles its own booking in the project's minute). */
  clipPromptTokens?: number[];
}

export type VideoStatus = 'succeeded' | 'failed' | 'skipped';

/** A finished video, as recorded by its batch and returned by `VideoWorkflow`. */
export interface VideoOutcome {
  key: string;
  title: string;
  source: string;
  status: VideoStatus;
  outputPath?: string;
  /** For failed: the failure type and a message a person can act on. For skipped: why. */
  reason?: string;
  errorType?: string;
  model?: string;
  /** The key (by name) the video's calls used. */
  keyAlias?: string;
  usage: TokenUsage;
  costUsd: number;
  truncated?: boolean;
  /** Answers repaired by text-only calls instead of analysing the video again. */
  repairs?: number;
  /** Several templates: each template's note (outputPath above is the first one's). */
  notes?: NoteOutcome[];
  /** The video was read from a context cache: its cost (creation and storage are in costUsd too). */
  cache?: { tokens: number; storageUsd: number };
}

/** One template's note of a video, when a batch asks for several. */
export interface NoteOutcome {
  template: string;
  status: 'written' | 'up-to-date' | 'failed' | 'not-started';
  outputPath?: string;
  costUsd?: number;
  reason?: string;
}

/**
 * What a batch expected its finished videos to cost, beside what they did cost (the same videos:
 * those that ran, not those found up to date). `ceiling` prices every answer at its output limit.
 */
export interface ExpectedTotals {
  videos: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  ceilingUsd: number;
  /** Of those videos, how many had their expected output from earlier answers (the rest: typical sizes). */
  fromHistory: number;
  actualUsage: TokenUsage;
  actualCostUsd: number;
}

export interface BatchSummary {
  batchId: string;
  total: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Entries found during discovery that are not videos, with the reason. */
  notVideos: SkippedEntry[];
  usage: TokenUsage;
  costUsd: number;
  /** Capped lists: the full record is in the batch report file. */
  failures: Array<{ key: string; title: string; source: string; errorType?: string; reason: string }>;
  outputs: string[];
  skippedVideos: Array<{ key: string; title: string; reason: string }>;
  /** True when lists above were cut short. */
  listsTruncated: boolean;
  /** Set when the batch stopped starting new videos (budget reached, cancelled). */
  stoppedEarly?: string;
  /** Videos never started because the batch stopped early. */
  notStarted?: number;
  /** The full per-video report (JSON and Markdown) written when the batch ended. */
  reportPath?: string;
  /** Things a person should know, e.g. a key near its daily limit. */
  warnings?: string[];
  /** With several keys: what the batch spent per key, and per project (the keys sharing a quota). */
  keys?: Array<{ key: string; project: string; videos: number; promptTokens: number; totalTokens: number }>;
  projects?: Array<{ project: string; keys: string[]; videos: number; promptTokens: number; totalTokens: number }>;
  startedAt: string;
  finishedAt?: string;
  /** Expected against actual, over the videos that ran. */
  expected?: ExpectedTotals;
  /** Answers repaired without sending the video again. */
  repairs?: number;
}

export interface BatchProgress {
  batchId: string;
  state: 'discovering' | 'running' | 'finishing' | 'completed' | 'cancelling';
  total: number;
  started: number;
  running: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Videos whose step failed for good and that wait for a person (retry or skip). */
  waiting: number;
  usage: TokenUsage;
  costUsd: number;
  startedAt: string;
  /** Workflow run number (continue-as-new generation), for the curious. */
  generation: number;
  /** Expected against actual, over the videos finished so far. */
  expected?: ExpectedTotals;
  /** Expected cost and ceiling of the videos still running. */
  inFlight?: { expectedUsd: number; ceilingUsd: number };
  /** Several templates: the notes each video gets. */
  templates?: string[];
}

/** What to scan for a batch: folders, video files, YouTube links, list files, with filters. */
export interface BatchSources {
  inputs: string[];
  listFiles: string[];
  recursive: boolean;
  include: string[];
  exclude: string[];
  /** false: symbolic links found while scanning are skipped, so a scan stays inside its folder. */
  followSymlinks?: boolean;
}

/** A video as the batch plans it: the item, plus its estimated cost (`estimatedCostUsd` is the ceiling). */
export interface PlannedVideo extends VideoItem {
  estimatedCostUsd?: number;
  /** Expected figures (see ExpectedTotals); set with `estimatedCostUsd`. */
  expectedCostUsd?: number;
  expectedInputTokens?: number;
  expectedOutputTokens?: number;
  /** The expected output came from earlier answers, not a typical size. */
  expectedFromHistory?: boolean;
}

/**
 * Limits of one batch run. The defaults suit any batch; tests and benchmarks lower them to see
 * several continue-as-new generations without thousands of videos.
 */
export interface BatchTuning {
  /** Videos loaded per page from the batch's list file: the list never travels whole. */
  pageSize?: number;
  /** Children waiting for a person don't use the window, but every pending child counts against the server's limit of 2000. */
  maxPendingChildren?: number;
  /** Continue as new well before the history grows large; children survive it (ABANDON). */
  maxStartsPerRun?: number;
  maxHistoryEventsPerRun?: number;
  /** How often children carried over from an earlier run are checked for having ended silently. */
  reconcileEverySeconds?: number;
}

/** A webhook by name: `{env: NAME}` reads the URL from the worker's environment; `{config: true}` from its config file. */
export type WebhookRef = { env: string } | { config: true };

export interface BatchInput {
  batchId: string;
  /** Human label shown in summaries (folder name or schedule name). */
  label: string;
  sources: BatchSources;
  options: ProcessingOptions;
  /** Videos processed at once. */
  concurrency: number;
  /** Names of the Gemini keys the workers hold (never the values). */
  keyAliases: string[];
  maxCostUsd?: number;
  /**
   * Which webhook hears when the batch ends, by name (its URL is often a secret, so it never rides
   * in an input or a history): an environment variable of the workers, or the workers' config.
   */
  webhook?: WebhookRef;
  /** Batches started before webhooks were named carried the URL itself; kept so they still replay. */
  webhookUrl?: string;
  /** Warn in the summary when a key has used this share of a daily limit (default 90). */
  quotaWarningPercent?: number;
  /** Set by the batch itself when it continues as new; absent when a person starts it. */
  carried?: BatchCarriedState;
  /** Run limits; defaults suit any batch (tests lower them). */
  tuning?: BatchTuning;
}

export interface PendingVideo {
  key: string;
  title: string;
  source: string;
  waiting: boolean;
  /** The ceiling: what the budget must be ready for. */
  estimatedCostUsd: number;
  expectedCostUsd?: number;
  expectedInputTokens?: number;
  expectedOutputTokens?: number;
  expectedFromHistory?: boolean;
}

/** Everything a batch run hands to its next run at continue-as-new. Kept small on purpose. */
export interface BatchCarriedState {
  generation: number;
  startedAt: string;
  discovered?: { total: number; listPath: string; notVideos: SkippedEntry[]; notVideosCount: number };
  cursor: number;
  pending: Record<string, PendingVideo>;
  succeeded: number;
  failed: number;
  skipped: number;
  usage: TokenUsage;
  costUsd: number;
  failures: BatchSummary['failures'];
  outputs: string[];
  skippedVideos: BatchSummary['skippedVideos'];
  listsTruncated: boolean;
  stopReason?: string;
  /** Tokens per "key\u0000model" not yet reported to the key pool (sent in bulk, not per video). */
  unreportedTokens?: Record<string, number>;
  /** Finished-video count at the last usage report. */
  reportedAt?: number;
  /** What this batch spent through each key (by key name), for the summary per project and per key. */
  usageByKey?: Record<string, { videos: number; promptTokens: number; totalTokens: number }>;
  /** Expected against actual over the finished videos that ran. */
  expected?: ExpectedTotals;
  repairs?: number;
  /** Videos recorded as failed (by workflow id) and what they had spent: a later success, after a Reset, replaces the failure. */
  failedVideos?: Record<string, { usage: TokenUsage; costUsd: number }>;
}

export interface VideoInput {
  batchId?: string;
  item: VideoItem;
  options: ProcessingOptions;
  keyAliases: string[];
  /**
   * Set by batches from 0.4.0 on: the video writes its search attributes once, at the end (model
   * and status; the batch starts it as running), instead of three times: each write is a server
   * round trip and a visibility update. Videos started without it replay exactly as they ran.
   */
  leanHistory?: boolean;
}

/** What the video workflow answers to its `status` query and shows as current details. */
export interface VideoState {
  step: 'inspect' | 'upload' | 'analyze' | 'format' | 'write' | 'cleanup' | 'done';
  /** Several templates: the one whose note is being made. */
  template?: string;
  status: 'running' | 'needs-attention' | 'waiting-for-quota' | 'succeeded' | 'failed' | 'skipped';
  model?: string;
  keyAlias?: string;
  /** `until`: when the grace period ends and the step is recorded as failed (ISO time). */
  attention?: { step: string; errorType?: string; message: string; since: string; until?: string };
  note?: string;
}
