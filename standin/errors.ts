/**
 * Error bodies shaped like the real Gemini API's: `{"error":{code,message,status,details}}` with
 * the real `@type` URLs. Nothing here ever includes a key value.
 */
import type { HttpFaultKind, HttpFaultStatus } from './types';

export interface ErrorBody {
  error: { code: number; message: string; status: string; details?: Array<Record<string, unknown>> };
}

/** Thrown by handlers; the server turns it into the HTTP answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error.message);
  }
}

export const typeUrl = {
  errorInfo: 'type.googleapis.com/google.rpc.ErrorInfo',
  localizedMessage: 'type.googleapis.com/google.rpc.LocalizedMessage',
  quotaFailure: 'type.googleapis.com/google.rpc.QuotaFailure',
  retryInfo: 'type.googleapis.com/google.rpc.RetryInfo',
  help: 'type.googleapis.com/google.rpc.Help',
  badRequest: 'type.googleapis.com/google.rpc.BadRequest',
} as const;

const statusByCode: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function apiError(
  code: number,
  status: string | undefined,
  message: string,
  details?: Array<Record<string, unknown>>,
): HttpError {
  const error: ErrorBody['error'] = { code, message, status: status ?? statusByCode[code] ?? 'UNKNOWN' };
  if (details && details.length > 0) error.details = details;
  return new HttpError(code, { error });
}

const service = 'generativelanguage.googleapis.com';

export function invalidKey(code = 400): HttpError {
  const message = 'API key not valid. Please pass a valid API key.';
  return apiError(code, 'INVALID_ARGUMENT', message, [
    { '@type': typeUrl.errorInfo, reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service } },
    { '@type': typeUrl.localizedMessage, locale: 'en-US', message },
  ]);
}

export function missingKey(): HttpError {
  return apiError(
    403,
    'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  );
}

/** What the API answers for a missing, deleted, expired or foreign file: 403, not 404. */
export function filePermissionDenied(fileId: string, code = 403): HttpError {
  return apiError(
    code,
    'PERMISSION_DENIED',
    `You do not have permission to access the File ${fileId} or it may not exist.`,
  );
}

export function modelNotFound(model: string, apiVersion = 'v1beta', method = 'generateContent', code = 404): HttpError {
  return apiError(
    code,
    'NOT_FOUND',
    `models/${model} is not found for API version ${apiVersion}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
  );
}

export function fileNotActive(fileId: string, code = 400): HttpError {
  return apiError(
    code,
    'FAILED_PRECONDITION',
    `The File ${fileId} is not in an ACTIVE state and usage is not allowed.`,
  );
}

export function invalidArgument(message: string, code = 400): HttpError {
  return apiError(code, 'INVALID_ARGUMENT', message);
}

export function internal(code = 500): HttpError {
  return apiError(
    code,
    'INTERNAL',
    'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  );
}

/** With `retryMs`, the answer carries a RetryInfo, as Google's APIs may on any retryable error. */
export function unavailable(code = 503, retryMs?: number): HttpError {
  const details = retryMs === undefined ? undefined : [retryInfo(retryMs)];
  return apiError(code, 'UNAVAILABLE', 'The model is overloaded. Please try again later.', details);
}

function retryInfo(retryMs: number): Record<string, unknown> {
  return { '@type': typeUrl.retryInfo, retryDelay: `${Math.max(1, Math.ceil(retryMs / 1000))}s` };
}

export function deadline(code = 504): HttpError {
  return apiError(code, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.');
}

export type QuotaKind = 'minute-requests' | 'minute-tokens' | 'day-requests';

export interface QuotaViolation {
  kind: QuotaKind;
  model: string;
  tier: 'free' | 'paid';
  /** The limit that was exceeded (quotaValue). */
  limit: number;
}

function quotaNames(v: QuotaViolation): { quotaId: string; quotaMetric: string } {
  const free = v.tier === 'free';
  switch (v.kind) {
    case 'minute-requests':
      return free
        ? {
            quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
            quotaMetric: `${service}/generate_content_free_tier_requests`,
          }
        : {
            quotaId: 'GenerateRequestsPerMinutePerProjectPerModel',
            quotaMetric: `${service}/generate_requests_per_model`,
          };
    case 'minute-tokens':
      return free
        ? {
            quotaId: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
            quotaMetric: `${service}/generate_content_free_tier_input_token_count`,
          }
        : {
            quotaId: 'GenerateContentPaidTierInputTokensPerModelPerMinute',
            quotaMetric: `${service}/generate_content_paid_tier_input_token_count`,
          };
    case 'day-requests':
      return free
        ? {
            quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
            quotaMetric: `${service}/generate_content_free_tier_requests`,
          }
        : {
            quotaId: 'GenerateRequestsPerDayPerProjectPerModel',
            quotaMetric: `${service}/generate_requests_per_model_per_day`,
          };
  }
}

/**
 * 429 RESOURCE_EXHAUSTED with Help, QuotaFailure and, when `retryMs` is given (per-minute limits
 * only), RetryInfo with the delay rounded up to whole seconds.
 */
export function quotaExceeded(violations: QuotaViolation[], retryMs?: number, code = 429): HttpError {
  const lines = violations.map(
    (v) => `* Quota exceeded for metric: ${quotaNames(v).quotaMetric}, limit: ${v.limit}, model: ${v.model}`,
  );
  let message =
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: https://ai.dev/rate-limit. \n' +
    lines.join('\n');
  if (retryMs !== undefined) message += `\nPlease retry in ${(retryMs / 1000).toFixed(6)}s.`;
  const details: Array<Record<string, unknown>> = [
    {
      '@type': typeUrl.help,
      links: [
        { description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' },
      ],
    },
    {
      '@type': typeUrl.quotaFailure,
      violations: violations.map((v) => ({
        ...quotaNames(v),
        quotaDimensions: { location: 'global', model: v.model },
        quotaValue: String(v.limit),
      })),
    },
  ];
  if (retryMs !== undefined) details.push(retryInfo(retryMs));
  return apiError(code, 'RESOURCE_EXHAUSTED', message, details);
}

const kindByStatus: Record<HttpFaultStatus, HttpFaultKind> = {
  400: 'invalid-argument',
  403: 'permission-denied',
  404: 'not-found',
  429: 'quota-minute',
  500: 'internal',
  503: 'unavailable',
  504: 'deadline',
};

const statusByKind: Record<HttpFaultKind, HttpFaultStatus> = {
  'quota-minute': 429,
  'quota-day': 429,
  'invalid-key': 400,
  'permission-denied': 403,
  'not-found': 404,
  'failed-precondition': 400,
  'invalid-argument': 400,
  internal: 500,
  unavailable: 503,
  deadline: 504,
};

export interface FaultErrorContext {
  model?: string;
  /** File id when the request names an uploaded file. */
  fileId?: string;
  tier: 'free' | 'paid';
  /** Configured limits, to fill quotaValue; defaults are used otherwise. */
  limits?: { rpm?: number; rpd?: number };
  /** Default RetryInfo for a per-minute fault without retryDelaySeconds. */
  defaultRetryMs: number;
}

/** The error body an `http` fault answers with. */
export function faultError(
  action: { status?: HttpFaultStatus; kind?: HttpFaultKind; retryDelaySeconds?: number },
  ctx: FaultErrorContext,
): HttpError {
  const kind = action.kind ?? kindByStatus[action.status ?? 500] ?? 'internal';
  const code = action.status ?? statusByKind[kind];
  const model = ctx.model ?? 'gemini-2.5-flash';
  switch (kind) {
    case 'quota-minute':
      return quotaExceeded(
        [{ kind: 'minute-requests', model, tier: ctx.tier, limit: ctx.limits?.rpm ?? 10 }],
        action.retryDelaySeconds !== undefined ? action.retryDelaySeconds * 1000 : ctx.defaultRetryMs,
        code,
      );
    case 'quota-day':
      return quotaExceeded(
        [{ kind: 'day-requests', model, tier: ctx.tier, limit: ctx.limits?.rpd ?? 250 }],
        undefined,
        code,
      );
    case 'invalid-key':
      return invalidKey(code);
    case 'permission-denied':
      return ctx.fileId
        ? filePermissionDenied(ctx.fileId, code)
        : apiError(code, 'PERMISSION_DENIED', 'The caller does not have permission');
    case 'not-found':
      return ctx.model
        ? modelNotFound(ctx.model, 'v1beta', 'generateContent', code)
        : apiError(code, 'NOT_FOUND', 'Requested entity was not found.');
    case 'failed-precondition':
      return ctx.fileId
        ? fileNotActive(ctx.fileId, code)
        : apiError(code, 'FAILED_PRECONDITION', 'User location is not supported for the API use.');
    case 'invalid-argument':
      return invalidArgument('Request contains an invalid argument.', code);
    case 'internal':
      return internal(code);
    case 'unavailable':
      return unavailable(code, action.retryDelaySeconds !== undefined ? action.retryDelaySeconds * 1000 : undefined);
    case 'deadline':
      return deadline(code);
  }
}
