/**
 * The failure types the product raises, shared by activities (which throw them) and workflows
 * (which decide what to do next). Every error is classified once, where it happens, into one of
 * these; the Web UI then shows the type and a message a person can act on.
 * Workflow-safe: no Node imports.
 */
export const FailureType = {
  /** 429 per-minute quota: retry after the server's delay. */
  QuotaPerMinute: 'GeminiQuotaPerMinute',
  /**
   * One call of this video needs more input tokens than its project may send in a whole minute (even
   * at low resolution where that saves tokens): waiting never helps.
   */
  OverTokenBudget: 'GeminiOverTokenBudget',
  /** 429 per-day quota: not with this key until the daily reset (midnight Pacific). */
  QuotaPerDay: 'GeminiQuotaPerDay',
  /** 400 API_KEY_INVALID: the key is wrong or revoked. */
  InvalidApiKey: 'GeminiInvalidApiKey',
  /** 403 on a file: missing, expired (48 h) or uploaded with another key: upload again. */
  FileUnavailable: 'GeminiFileUnavailable',
  /** 404 model, or a model that keeps answering 503: try the next model of the chain. */
  ModelUnavailable: 'GeminiModelUnavailable',
  /** 500 / 503 / 504 / network trouble: retry with backoff. */
  Transient: 'GeminiTransient',
  /** Any other 4xx: the request itself is wrong; retrying will not help. */
  BadRequest: 'GeminiBadRequest',
  /** Gemini could not process the uploaded video (file state FAILED). */
  VideoProcessingFailed: 'GeminiVideoProcessingFailed',
  /** The prompt or the answer was blocked (SAFETY, RECITATION, PROHIBITED_CONTENT...). */
  ContentBlocked: 'GeminiContentBlocked',
  /** The model's JSON did not parse or did not match the template's schema. */
  InvalidModelOutput: 'InvalidModelOutput',
  /** The input is not something we can send (empty, too large, not a video, unreadable). */
  VideoRejected: 'VideoRejected',
  /** The template is broken or a parameter is wrong. */
  TemplateError: 'TemplateError',
  /** The output could not be written (permissions, disk full, bad path). */
  OutputWriteFailed: 'OutputWriteFailed',
  /** A setting is missing or wrong on the worker (for example an unknown key alias). */
  Configuration: 'ConfigurationError',
  /**
   * A workflow named a folder, file or webhook the worker's own settings do not allow (an output
   * folder outside its output roots, a template folder it was not given, a non-http webhook).
   */
  InputNotAllowed: 'InputNotAllowed',
  /** The video was cancelled (its batch, or a person, cancelled it) before it was done. */
  Cancelled: 'Cancelled',
  /** A video's workflow failed, was terminated or timed out, as its batch saw it end. */
  VideoWorkflowFailed: 'VideoWorkflowFailed',
  /** A video's workflow carried over from an earlier run closed without reporting. */
  VideoWorkflowClosed: 'VideoWorkflowClosed',
  /** The webhook receiver did not accept the batch summary. */
  WebhookFailed: 'WebhookFailed',
  /** An error nobody classified (a bug): its message is all there is. */
  Unclassified: 'Error',
} as const;

export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/** Types the activity retry policies must never retry: waiting does not change the outcome. */
export const nonRetryableFailureTypes: string[] = [
  FailureType.QuotaPerDay,
  FailureType.OverTokenBudget,
  FailureType.InvalidApiKey,
  FailureType.FileUnavailable,
  FailureType.ModelUnavailable,
  FailureType.BadRequest,
  FailureType.VideoProcessingFailed,
  FailureType.ContentBlocked,
  FailureType.InvalidModelOutput,
  FailureType.VideoRejected,
  FailureType.TemplateError,
  FailureType.Configuration,
  FailureType.InputNotAllowed,
];

/** File-system error codes that waiting does not fix (permission, a name too long, a file where a folder should be). */
export const fatalFileErrorCodes: readonly string[] = [
  'EACCES',
  'EPERM',
  'EROFS',
  'ENAMETOOLONG',
  'ENOTDIR',
  'EISDIR',
  'ELOOP',
  // A symbolic link or special file where the output must be a regular file (src/output/safe-path.ts).
  'EUNSAFEPATH',
];

/**
 * What a person can do about each failure, said where the failure is shown (a failed video in the
 * Web UI, the batch's details). "Reset" is the Web UI's button on the failed video: it runs the
 * video again from the step that failed.
 */
export const whatToDo: Record<string, string> = {
  [FailureType.QuotaPerDay]: 'Wait for the daily reset (midnight Pacific) or add a key, then Reset this video.',
  [FailureType.InvalidApiKey]:
    'Fix or replace the key named here (the worker reads it from its environment), then Reset this video.',
  [FailureType.FileUnavailable]: 'Reset this video: it is uploaded again.',
  [FailureType.ModelUnavailable]:
    'Choose an available model (lesson-forge retry-failed <batchId> --model <id>), or Reset this video later.',
  [FailureType.Transient]: 'Gemini kept failing; Reset this video when it answers again.',
  [FailureType.BadRequest]: 'Check the template and the video named here, then Reset this video.',
  [FailureType.VideoProcessingFailed]:
    'Gemini could not process this file: re-encode it (for example to H.264 MP4) and start it again.',
  [FailureType.ContentBlocked]: 'Leave this video out, or Reset it after changing the template or the model.',
  [FailureType.InvalidModelOutput]: 'Reset this video to ask again, or try another model (retry-failed --model).',
  [FailureType.VideoRejected]: 'Fix or replace the file named here, then start it again.',
  [FailureType.TemplateError]: 'Fix the template (lesson-forge templates show <name>), then Reset this video.',
  [FailureType.OutputWriteFailed]: 'Make the output folder writable, then Reset this video.',
  [FailureType.Configuration]: "Fix the worker's settings named here, then Reset this video.",
};
