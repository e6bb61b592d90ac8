import { ApiError } from '@google/genai';
import type { ApplicationFailure } from '@temporalio/common';
import { FailureType, nonRetryableFailureTypes } from '../../src/failures';
import {
  classifyGeminiError,
  classifyRefusal,
  escalatePersistentUnavailability,
  fileProcessingFailure,
  unavailableAfterAttempts,
  type ClassifyContext,
} from '../../src/gemini/classify';
import { GeminiGateway } from '../../src/gemini/gateway';
import * as wire from '../../standin/errors';

/** The error the real SDK throws for an HTTP answer: ApiError whose message is the JSON body. */
const sdkError = (e: wire.HttpError) => new ApiError({ message: JSON.stringify(e.body), status: e.status });
const generate: ClassifyContext = {
  operation: 'generate',
  keyAlias: 'school-2',
  model: 'gemini-3.8-flash',
  now: new Date('2026-11-20T12:00:00Z'),
};
const classify = (e: wire.HttpError, ctx: ClassifyContext = generate) => classifyGeminiError(sdkError(e), ctx);
/** Whether Temporal will retry it: nonRetryable, or a type the retry policies list as non-retryable. */
const retried = (f: ApplicationFailure) => !f.nonRetryable && !nonRetryableFailureTypes.includes(f.type ?? '');

describe('classifyGeminiError: every HTTP outcome becomes a typed failure with an actionable reason', () => {
  test('429 per minute: retried after the server’s retryDelay', () => {
    const f = classify(
      wire.quotaExceeded([{ kind: 'minute-requests', model: 'gemini-3.8-flash', tier: 'free', limit: 10 }], 26_000),
    );
    expect(f.type).toBe(FailureType.QuotaPerMinute);
    expect(retried(f)).toBe(true);
    expect(f.nextRetryDelay).toBe(26_000);
    expect(f.message).toContain('"school-2"');
  });

  test('429 per minute without RetryInfo: a default delay, still retried', () => {
    const f = classify(wire.quotaExceeded([{ kind: 'minute-tokens', model: 'm', tier: 'paid', limit: 1 }]));
    expect(f.type).toBe(FailureType.QuotaPerMinute);
    expect(f.nextRetryDelay).toBe(30_000);
  });

  test('429 per day: not retried with this key; says when it resets (midnight Pacific)', () => {
    const f = classify(
      wire.quotaExceeded([{ kind: 'day-requests', model: 'gemini-3.8-flash', tier: 'free', limit: 250 }]),
    );
    expect(f.type).toBe(FailureType.QuotaPerDay);
    expect(retried(f)).toBe(false);
    // 2026-11-20 is PST (UTC-8): the next midnight is 08:00 UTC the next day.
    expect(f.details?.[0]).toMatchObject({ keyAlias: 'school-2', resetAt: '2026-11-21T08:00:00.000Z' });
  });

  test('400 API_KEY_INVALID: not retried; names the alias', () => {
    const f = classify(wire.invalidKey(), { ...generate, operation: 'upload' });
    expect(f.type).toBe(FailureType.InvalidApiKey);
    expect(retried(f)).toBe(false);
    expect(f.message).toContain('"school-2"');
  });

  test('the gateway redacts a key value that an error message might carry', () => {
    const gateway = new GeminiGateway([{ alias: 'school-2', envVar: 'X', value: 'AIzaSECRET-123456', limits: {} }]);
    expect(gateway.redact('key=AIzaSECRET-123456 rejected')).toBe('key=[redacted key] rejected');
  });

  test('403 on a file (missing or expired): upload again, not retried as is', () => {
    const f = classify(wire.filePermissionDenied('abc123'));
    expect(f.type).toBe(FailureType.FileUnavailable);
    expect(retried(f)).toBe(false);
    expect(f.message).toMatch(/uploaded again/);
  });

  test('403 that is not about a file: the key is refused', () => {
    expect(classify(wire.missingKey()).type).toBe(FailureType.InvalidApiKey);
  });

  test('404 on generate: the model is unknown or retired, fall back', () => {
    const f = classify(wire.modelNotFound('gemini-2.5-pro'));
    expect(f.type).toBe(FailureType.ModelUnavailable);
    expect(retried(f)).toBe(false);
    expect(f.message).toMatch(/fallback chain/);
  });

  test.each([
    ['500', wire.internal()],
    ['503', wire.unavailable()],
    ['504', wire.deadline()],
  ])('%s: transient, retried with backoff', (_name, e) => {
    const f = classify(e);
    expect(f.type).toBe(FailureType.Transient);
    expect(retried(f)).toBe(true);
    expect(f.nextRetryDelay).toBeUndefined(); // the policy's backoff decides
  });

  test('400 FAILED_PRECONDITION on generate: the file is not ACTIVE yet, retried shortly', () => {
    const f = classify(wire.fileNotActive('abc123'));
    expect(f.type).toBe(FailureType.Transient);
    expect(f.nextRetryDelay).toBe(5_000);
  });

  test('any other 400: a bad request, not retried', () => {
    const f = classify(wire.invalidArgument('Request contains an invalid argument.'));
    expect(f.type).toBe(FailureType.BadRequest);
    expect(retried(f)).toBe(false);
  });

  test('a network failure is transient', () => {
    const err = new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) });
    expect(classifyGeminiError(err, generate).type).toBe(FailureType.Transient);
  });
});

describe('503s that persist mean the model is unavailable', () => {
  const transient503 = () => classify(wire.unavailable());

  test('before the threshold the 503 stays transient', () => {
    const err = transient503();
    expect(escalatePersistentUnavailability(err, 'gemini-2.5-flash', unavailableAfterAttempts - 1)).toBe(err);
  });

  test('at the threshold it becomes ModelUnavailable, not retried', () => {
    const f = escalatePersistentUnavailability(
      transient503(),
      'gemini-2.5-flash',
      unavailableAfterAttempts,
    ) as ApplicationFailure;
    expect(f.type).toBe(FailureType.ModelUnavailable);
    expect(retried(f)).toBe(false);
    expect(f.message).toContain('gemini-2.5-flash');
  });

  test('a RetryInfo on a 503 is honoured, and the message says so', () => {
    const f = classify(wire.unavailable(503, 2_000));
    expect(f.type).toBe(FailureType.Transient);
    expect(f.nextRetryDelay).toBe(2_000);
    expect(f.message).toMatch(/Retrying in 2 s as the server asked/);
    expect(classify(wire.unavailable()).nextRetryDelay).toBeUndefined();
  });

  test('500s never do', () => {
    const err = classify(wire.internal());
    expect(escalatePersistentUnavailability(err, 'm', 10)).toBe(err);
  });
});

describe('answers that are HTTP 200 but refusals', () => {
  test.each(['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII'])(
    'finishReason %s: blocked, not retried, names the reason',
    (reason) => {
      const f = classifyRefusal({ finishReason: reason })!;
      expect(f.type).toBe(FailureType.ContentBlocked);
      expect(retried(f)).toBe(false);
      expect(f.message).toContain(reason);
    },
  );

  test('a blocked prompt names its blockReason', () => {
    expect(classifyRefusal({ blockReason: 'PROHIBITED_CONTENT' })!.message).toMatch(
      /prompt was blocked \(PROHIBITED_CONTENT\)/,
    );
  });

  test.each(['STOP', 'MAX_TOKENS', undefined])('finishReason %s is not a refusal', (reason) => {
    expect(classifyRefusal({ finishReason: reason })).toBeUndefined();
  });

  test('file state FAILED: the video fails with a reason a person understands', () => {
    const f = fileProcessingFailure('unsupported codec');
    expect(f.type).toBe(FailureType.VideoProcessingFailed);
    expect(retried(f)).toBe(false);
    expect(f.message).toMatch(/^Gemini could not process this video \(unsupported codec\)/);
  });
});
