import { FailureType } from '../../failures';
import type { AnalysisResult } from '../../types';

/** How often a video tries again by itself before a person is asked. */
export const maxInvalidOutputRetries = 2;
export const maxReuploads = 2;

/** What an analysis that failed does next. Pure: decided from facts, carried out by the analysis. */
export type Recovery =
  | { kind: 'next-model'; note: string }
  | { kind: 'upload-again'; note: string }
  | { kind: 'ask-again'; note: string }
  /** The key's daily quota is used up: rest it until its reset (another key takes over, or this one waits). */
  | { kind: 'rest-key'; resetAt: string; note: string }
  | { kind: 'drop-key' }
  | { kind: 'give-up' };

export interface RecoveryFacts {
  failureType: string | undefined;
  details: Record<string, unknown> | undefined;
  /** The model that failed and the ones after it, in order. */
  models: string[];
  reuploads: number;
  invalidOutputs: number;
  /** A file (uploaded, can be uploaded again), not a link. */
  isFile: boolean;
  /** The key in use, if one was chosen. */
  keyAlias: string | undefined;
  /** Several keys share the work through the key pool. */
  usePool: boolean;
  /** Workflow time, ms since the epoch. */
  now: number;
}

/**
 * The analysis recovery rules: a retired or failing model gives way to the next, an expired file
 * is uploaded again, an answer that does not match the template is asked for again, a used-up
 * daily quota rests its key, a revoked key is dropped when there are others. Anything else, or
 * any of these once too often, is given up (and may then wait for a person).
 */
export function recoveryFor(f: RecoveryFacts): Recovery {
  switch (f.failureType) {
    case FailureType.ModelUnavailable:
      if (f.models.length > 1)
        return { kind: 'next-model', note: `Model ${f.models[0]} unavailable; falling back to ${f.models[1]}.` };
      break;
    case FailureType.FileUnavailable:
      if (f.reuploads < maxReuploads && f.isFile)
        return { kind: 'upload-again', note: 'The uploaded file was gone; uploading again.' };
      break;
    case FailureType.InvalidModelOutput:
      if (f.invalidOutputs < maxInvalidOutputRetries)
        return {
          kind: 'ask-again',
          note: `The model's answer did not match the template (${f.invalidOutputs + 1}/${maxInvalidOutputRetries} retries).`,
        };
      break;
    case FailureType.QuotaPerDay:
      if (f.keyAlias) {
        const resetAt =
          typeof f.details?.resetAt === 'string' ? f.details.resetAt : new Date(f.now + 3_600_000).toISOString();
        return {
          kind: 'rest-key',
          resetAt,
          note: `Daily quota of key "${f.keyAlias}" used up; it rests until ${resetAt}.`,
        };
      }
      break;
    case FailureType.InvalidApiKey:
      if (f.keyAlias && f.usePool) return { kind: 'drop-key' };
      break;
  }
  return { kind: 'give-up' };
}

/** A truncated answer is asked for once more with twice the output limit, unless that cannot help. */
export function longerAnswerLimit(result: AnalysisResult, alreadyAskedLonger: boolean): number | undefined {
  if (!result.truncated || alreadyAskedLonger || result.atModelLimit) return undefined;
  return result.maxOutputTokens * 2;
}

/** The daily-quota wait of the only key: until its reset, and a minute more, never less than a second. */
export function quotaWaitMs(resetAt: string, now: number): number {
  return Math.max(1000, Date.parse(resetAt) - now + 60_000);
}
