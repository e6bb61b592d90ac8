/**
 * What a video and its batch's economy collector say to each other. Workflow-safe: no Node imports.
 * Everything here is small: paths, ids, counts, an AnalysisResult, never model output.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AnalysisResult, EconomyTuning } from '../../types';

/** One analysis a video asks the Batch API for: where its prepared calls are, and what they need. */
export interface EconomyRequest {
  /** Unique per analysis attempt: `<video workflow id>#<run>-<n>`. */
  requestId: string;
  videoWorkflowId: string;
  /** The video's name, for labels. */
  label: string;
  keyAlias: string;
  model: string;
  /** The prepared calls (one per clip) and the analysis input, in the video's work folder. */
  requestPath: string;
  clipCount: number;
  /** Expected prompt tokens of the calls: what the job enqueues against the model's limit. */
  estimatedTokens: number;
  /** The model's enqueued-token limit (catalog), if known. */
  enqueuedTokenLimit?: number;
  /** The uploaded file the calls read, and when the video saw it uploaded (workflow time, ms). */
  file?: { name: string; uploadedAtMs: number };
}

/** The collector's answer to one request. */
export type EconomyAnswer =
  | { requestId: string; kind: 'result'; result: AnalysisResult; jobName: string }
  /** Classified as an interactive call's failure would be; the video's recovery policy applies. */
  | {
      requestId: string;
      kind: 'failure';
      failureType: string;
      message: string;
      details?: Record<string, unknown>;
      jobName?: string;
    }
  /** Jobs did not answer it after several tries: the video asks interactively instead. */
  | { requestId: string; kind: 'interactive'; reason: string };

/** Where a video's request stands, for its progress note. */
export interface EconomyJobNote {
  requestId: string;
  jobName: string;
  state: string;
  answered: number;
  total: number;
}

export interface EconomyCollectorInput {
  collectorId: string;
  /** The batch (or video) the collector serves, for labels. */
  label: string;
  tuning?: EconomyTuning;
  /** Set by the collector itself when it continues as new. */
  carried?: unknown;
}

export interface EconomyJobView {
  displayName: string;
  name?: string;
  model: string;
  keyAlias: string;
  state: string;
  requests: number;
  answered: number;
  createdAtMs?: number;
}

export interface EconomyStatus {
  label: string;
  queued: number;
  answered: number;
  sentInteractively: number;
  jobs: EconomyJobView[];
}

export const economyRequestSignal = defineSignal<[EconomyRequest]>('economyRequest');
export const economyAnswerSignal = defineSignal<[EconomyAnswer]>('economyAnswer');
export const economyJobSignal = defineSignal<[EconomyJobNote]>('economyJob');
export const economyStatusQuery = defineQuery<EconomyStatus>('economyStatus');
/** Sent by a video cancelled while it waits: its request is no longer wanted. */
export const economyWithdrawSignal = defineSignal<[{ requestId: string }]>('economyWithdraw');

/** One collector per batch (or per video run alone), outside the batch's id prefix so video listings never see it. */
export const economyCollectorId = (batchOrVideoId: string): string => `lesson-forge-economy/${batchOrVideoId}`;

export const economyDescriptions = {
  request: 'Sent by a video (through an activity): one analysis to put into a Batch API job.',
  status: 'Batch API jobs of this batch: name, state, requests answered of total; requests queued.',
  withdraw:
    'Sent by a video cancelled while it waits: its request is dropped, and a job nobody waits for is cancelled.',
  answer: 'Sent by the economy collector: the analysis result, its classified failure, or "ask interactively".',
  job: "Sent by the economy collector: the Batch API job holding this video's request, and its state.",
} as const;
