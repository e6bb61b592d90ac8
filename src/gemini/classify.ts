import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../failures';
import {
  errorInfoReason,
  parseDurationMs,
  parseErrorBody,
  quotaIds,
  detailOfType,
  type GeminiErrorBody,
} from './api-error';
import { nextPacificMidnight } from './quota-reset';

export type GeminiOperation = 'upload' | 'files.get' | 'files.delete' | 'generate' | 'caches' | 'batches';

export interface ClassifyContext {
  operation: GeminiOperation;
  keyAlias: string;
  model?: string;
  now?: Date;
}

/** Fallback wait for a per-minute 429 that names no retryDelay. */
export const defaultQuotaRetryMs = 30_000;

interface HttpLikeError {
  status: number;
  message: string;
}

function isHttpError(err: unknown): err is HttpLikeError {
  return typeof err === 'object' && err !== null && typeof (err as HttpLikeError).status === 'number';
}

const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
]);

function isNetworkError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = (err as { code?: string }).code ?? cause?.code;
  return (
    (code !== undefined && (networkCodes.has(code) || code.startsWith('UND_ERR'))) ||
    /fetch failed|socket hang up|network|terminated/i.test(err.message)
  );
}

function shortMessage(body: GeminiErrorBody, fallback: string): string {
  const text = body.message ?? fallback;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/**
 * Turns whatever the Gemini SDK threw into a typed Temporal failure: retryable or not, why, and
 * what a person can do. This is the only place Gemini errors are interpreted.
 */
export function classifyGeminiError(err: unknown, ctx: ClassifyContext): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const who = `key "${ctx.keyAlias}"`;
  const modelText = ctx.model ? ` on model ${ctx.model}` : '';

  if (isHttpError(err)) {
    const body = parseErrorBody(err.message);
    const status = body.status ?? '';
    const detail = shortMessage(body, err.message);
    switch (err.status) {
      case 429: {
        const ids = quotaIds(body);
        if (ids.some((id) => /PerDay/i.test(id))) {
          const resetAt = nextPacificMidnight(ctx.now ?? new Date());
          return ApplicationFailure.create({
            type: FailureType.QuotaPerDay,
            nonRetryable: true,
            message: `Daily Gemini quota used up for ${who}${modelText} (${ids.join(', ')}); it resets at ${resetAt.toISOString()} (midnight Pacific). Add another key or wait.`,
            details: [{ keyAlias: ctx.keyAlias, model: ctx.model, resetAt: resetAt.toISOString(), quotaIds: ids }],
          });
        }
        const retryInfo = detailOfType(body, 'google.rpc.RetryInfo');
        const delayMs = parseDurationMs(retryInfo?.retryDelay) ?? defaultQuotaRetryMs;
        return ApplicationFailure.create({
          type: FailureType.QuotaPerMinute,
          message: `Per-minute Gemini quota reached for ${who}${modelText}; retrying in ${Math.ceil(delayMs / 1000)} s as the server asked.`,
          nextRetryDelay: delayMs,
          details: [{ keyAlias: ctx.keyAlias, model: ctx.model, retryDelayMs: delayMs, quotaIds: ids }],
        });
      }
      case 400: {
        if (errorInfoReason(body) === 'API_KEY_INVALID' || /API key not valid/i.test(detail)) {
          return ApplicationFailure.create({
            type: FailureType.InvalidApiKey,
            nonRetryable: true,
            message: `Gemini rejected ${who} as invalid (API_KEY_INVALID). Check the value of its environment variable, or remove the key from the config.`,
            details: [{ keyAlias: ctx.keyAlias }],
          });
        }
        if (status === 'FAILED_PRECONDITION' && ctx.operation === 'generate') {
          // The file is not ACTIVE yet (or briefly not visible): a short wait fixes it.
          return ApplicationFailure.create({
            type: FailureType.Transient,
            message: `Gemini says the uploaded file is not ready yet: ${detail}`,
            nextRetryDelay: 5_000,
          });
        }
        return ApplicationFailure.create({
          type: FailureType.BadRequest,
          nonRetryable: true,
          message: `Gemini refused the request${modelText} (${status || 400}): ${detail}`,
        });
      }
      case 401:
      case 403: {
        if (/\bfile\b/i.test(detail) && ctx.operation !== 'upload') {
          return ApplicationFailure.create({
            type: FailureType.FileUnavailable,
            nonRetryable: true,
            message: `The uploaded video is no longer available to ${who} (missing, expired after 48 h, or uploaded with another key); it will be uploaded again. Gemini said: ${detail}`,
          });
        }
        return ApplicationFailure.create({
          type: FailureType.InvalidApiKey,
          nonRetryable: true,
          message: `Gemini denied ${who} (${status || err.status}): ${detail}. Check that the key is valid and the Generative Language API is enabled for its project.`,
          details: [{ keyAlias: ctx.keyAlias }],
        });
      }
      case 404: {
        if (ctx.operation === 'generate') {
          return ApplicationFailure.create({
            type: FailureType.ModelUnavailable,
            nonRetryable: true,
            message: `Model ${ctx.model ?? '(unknown)'} is not available (unknown or retired): ${detail}. The next model of the fallback chain is tried; update catalog/models.json or --model.`,
            details: [{ model: ctx.model }],
          });
        }
        return ApplicationFailure.create({
          type: FailureType.FileUnavailable,
          nonRetryable: true,
          message: `The uploaded video was not found for ${who}; it will be uploaded again. Gemini said: ${detail}`,
        });
      }
      case 408:
      case 500:
      case 502:
      case 503:
      case 504: {
        // A RetryInfo on a server error is rare but binding: wait as long as the server asked.
        const delayMs = parseDurationMs(detailOfType(body, 'google.rpc.RetryInfo')?.retryDelay);
        return ApplicationFailure.create({
          type: FailureType.Transient,
          message: `Gemini is having trouble${modelText} (${err.status} ${status}): ${detail}. ${delayMs === undefined ? 'Retrying with backoff.' : `Retrying in ${Math.ceil(delayMs / 1000)} s as the server asked.`}`,
          nextRetryDelay: delayMs,
          details: [{ httpStatus: err.status, model: ctx.model }],
        });
      }
      default:
        if (err.status >= 500) {
          return ApplicationFailure.create({
            type: FailureType.Transient,
            message: `Gemini error ${err.status}: ${detail}`,
          });
        }
        return ApplicationFailure.create({
          type: FailureType.BadRequest,
          nonRetryable: true,
          message: `Gemini refused the request${modelText} (${err.status} ${status}): ${detail}`,
        });
    }
  }

  if (isNetworkError(err)) {
    return ApplicationFailure.create({
      type: FailureType.Transient,
      message: `Could not reach Gemini (${(err as Error).message}). Retrying with backoff.`,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type: FailureType.Transient,
    message: `Unexpected error talking to Gemini: ${message}`,
  });
}

/** A model that answered 503 this many attempts in a row is treated as unavailable. */
export const unavailableAfterAttempts = 4;

/**
 * 503 again and again from one model (retired models have been seen doing this): stop waiting on
 * it and let the workflow fall back to the next model. `attempt` is the activity's attempt number.
 */
export function escalatePersistentUnavailability(err: unknown, model: string, attempt: number): unknown {
  if (!(err instanceof ApplicationFailure) || err.type !== FailureType.Transient) return err;
  const status = (err.details?.[0] as { httpStatus?: number } | undefined)?.httpStatus;
  if (status !== 503 || attempt < unavailableAfterAttempts) return err;
  return ApplicationFailure.create({
    type: FailureType.ModelUnavailable,
    nonRetryable: true,
    message: `Model ${model} answered 503 UNAVAILABLE ${attempt} times in a row; treating it as unavailable and trying the next model of the chain. ${err.message}`,
    details: [{ model }],
  });
}

/** Finish reasons that mean the answer was withheld; asking again gives the same. */
const blockedFinishReasons = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'IMAGE_SAFETY',
  'LANGUAGE',
]);

/**
 * An HTTP 200 that is still a refusal: a blocked prompt (no candidates, promptFeedback.blockReason)
 * or a withheld answer (finishReason SAFETY, RECITATION...). Undefined when the answer can be used.
 */
export function classifyRefusal(
  result: { blockReason?: string; finishReason?: string },
  details: Record<string, unknown> = {},
): ApplicationFailure | undefined {
  const withheld = result.finishReason !== undefined && blockedFinishReasons.has(result.finishReason);
  if (!result.blockReason && !withheld) return undefined;
  const reason = result.blockReason
    ? `the prompt was blocked (${result.blockReason})`
    : `the answer was withheld (${result.finishReason})`;
  return ApplicationFailure.create({
    type: FailureType.ContentBlocked,
    nonRetryable: true,
    message: `Gemini refused this video: ${reason}. Retrying gives the same answer; skip it or try another template or model.`,
    details: [{ ...details, finishReason: result.finishReason, blockReason: result.blockReason }],
  });
}

/** An uploaded file Gemini put in state FAILED: the video itself is the problem. */
export function fileProcessingFailure(error?: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.VideoProcessingFailed,
    nonRetryable: true,
    message: `Gemini could not process this video${error ? ` (${error})` : ''}. Check that it plays, or re-encode it (H.264 MP4).`,
  });
}
