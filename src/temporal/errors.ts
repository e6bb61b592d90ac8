import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { CancelledFailure, NamespaceNotFoundError } from '@temporalio/common';
import { FailureType } from '../failures';
import { ExitCode } from '../cli/exit-codes';
import { ConfigurationError } from '../config';
import { missingSearchAttributeIn, searchAttributeCommands } from './search-attribute-commands';

/** Where the command was talking to, so a message can name it. */
export interface TemporalTarget {
  address: string;
  namespace: string;
  fromEnv: boolean;
}

export function targetFromEnv(env: NodeJS.ProcessEnv = process.env): TemporalTarget {
  return {
    address: env.TEMPORAL_ADDRESS || 'localhost:7233',
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    fromEnv: Boolean(env.TEMPORAL_ADDRESS),
  };
}

/** A Temporal problem told as what to do, with the exit code the README promises. */
export class TemporalProblem extends ConfigurationError {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.configuration,
  ) {
    super(message);
  }
}

// gRPC status codes (https://grpc.github.io/grpc/core/md_doc_statuscodes.html).
const Status = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** The gRPC status code of an error or of its causes, if any. */
export function grpcCode(err: unknown): number | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'number') return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** Every message of an error and its causes, for the patterns only their text carries (TLS, DNS). */
function allText(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as { message?: unknown; details?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.message === 'string') parts.push(e.message);
    if (typeof e.details === 'string') parts.push(e.details);
    e = e.cause as typeof e;
  }
  return parts.join(' | ');
}

/** The server's own words (details of the gRPC error), or the message. */
function serverSays(err: unknown): string {
  for (
    let e = err as { details?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (typeof e.details === 'string' && e.details) return e.details;
    e = e.cause as typeof e;
  }
  return (err as Error)?.message ?? String(err);
}

const tlsPattern =
  /tls|ssl|certificate|handshake|InvalidContentType|wrong version number|http2 error|frame with invalid size/i;

function tlsHint(target: TemporalTarget, tlsOn: boolean): string {
  return tlsOn
    ? `TLS is on (TEMPORAL_TLS=true or an API key), but the server at ${target.address} did not complete a TLS handshake. ` +
        'A local or plain cluster speaks plain gRPC: unset TEMPORAL_TLS and TEMPORAL_API_KEY_ENV. For Temporal Cloud, check the address (<namespace>.<account>.tmprl.cloud:7233).'
    : `The server at ${target.address} expects TLS. Set TEMPORAL_TLS=true (and, for Temporal Cloud, TEMPORAL_API_KEY_ENV naming the variable that holds your API key).`;
}

/**
 * Explains a Temporal error to a person: what happened, at which server, and what to do. Returns
 * undefined for errors that are not Temporal's (they are reported as they are).
 */
export function explainTemporalError(
  err: unknown,
  target: TemporalTarget = targetFromEnv(),
  tlsOn = process.env.TEMPORAL_TLS === 'true' || Boolean(process.env.TEMPORAL_API_KEY_ENV),
): TemporalProblem | undefined {
  if (err instanceof TemporalProblem) return err;
  const where = `${target.address}${target.fromEnv ? ' (TEMPORAL_ADDRESS)' : ''}`;
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return new TemporalProblem(
      `A workflow with id ${err.workflowId} is already running in namespace ${target.namespace}. Watch it with \`lesson-forge watch ${err.workflowId}\`, or cancel it first.`,
      ExitCode.input,
    );
  if (err instanceof WorkflowNotFoundError)
    return new TemporalProblem(
      `No batch ${err.workflowId} in namespace ${target.namespace} at ${where}. \`lesson-forge list\` shows recent batches; check TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE if it ran elsewhere.`,
      ExitCode.input,
    );
  if (err instanceof ScheduleNotFoundError)
    return new TemporalProblem(
      `No schedule ${err.scheduleId} in namespace ${target.namespace} at ${where}. \`lesson-forge schedule list\` shows them.`,
      ExitCode.input,
    );
  if (err instanceof ScheduleAlreadyRunning)
    return new TemporalProblem(
      `A schedule named ${err.scheduleId} already exists. Pick another name, or \`lesson-forge schedule delete ${err.scheduleId}\` first.`,
      ExitCode.input,
    );
  if (err instanceof NamespaceNotFoundError) return namespaceMissing(target);

  const code = grpcCode(err);
  const text = allText(err);
  if (
    code === undefined &&
    !/ServiceError|TransportError|tonic|grpc|Failed to connect|connection/i.test(`${(err as Error)?.name} ${text}`)
  )
    return undefined;

  const missing = missingSearchAttributeIn(text);
  if (missing)
    return new TemporalProblem(
      `Namespace ${target.namespace} at ${where} has no search attribute ${missing}. Register the project's search attributes once:\n` +
        searchAttributeCommands(target),
    );
  if (/namespace .* (is )?not found|namespace not found/i.test(text)) return namespaceMissing(target);
  if (code === Status.PERMISSION_DENIED || code === Status.UNAUTHENTICATED)
    return new TemporalProblem(
      `The Temporal server at ${where} refused the request (${code === Status.UNAUTHENTICATED ? 'not authenticated' : 'permission denied'}): ${serverSays(err)}.\n` +
        'Check the API key (TEMPORAL_API_KEY_ENV names the variable holding it) and that it may use namespace ' +
        `${target.namespace}; for mTLS clusters, the client certificate.`,
    );
  if (tlsPattern.test(text)) return new TemporalProblem(tlsHint(target, tlsOn));
  if (
    code === Status.UNAVAILABLE ||
    code === Status.DEADLINE_EXCEEDED ||
    /Failed to connect|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|transport error|connection refused|dns error/i.test(text)
  )
    return new TemporalProblem(
      `Cannot reach the Temporal server at ${where}: ${serverSays(err)}.\n` +
        (target.fromEnv
          ? 'Check the address and that the server is running, or unset TEMPORAL_ADDRESS to use a local dev server started for you.'
          : 'Start one with `lesson-forge server` (or `lesson-forge serve`), or set TEMPORAL_ADDRESS.') +
        (tlsOn
          ? `\n${tlsHint(target, true)}`
          : target.fromEnv && !/^(localhost|127\.|\[?::1)/.test(target.address)
            ? '\nIf that server uses TLS (Temporal Cloud does), set TEMPORAL_TLS=true, or TEMPORAL_API_KEY_ENV for an API key.'
            : ''),
    );
  if (code === Status.RESOURCE_EXHAUSTED)
    return new TemporalProblem(
      `The Temporal server at ${where} is rate-limiting this namespace: ${serverSays(err)}. Try again in a minute; nothing was lost.`,
      ExitCode.unexpected,
    );
  if (code === Status.UNIMPLEMENTED)
    return new TemporalProblem(
      `The Temporal server at ${where} does not support a call this command needs: ${serverSays(err)}. Temporal Server 1.24 or later is required.`,
    );
  return new TemporalProblem(
    `The Temporal server at ${where} answered: ${serverSays(err)}. Nothing was changed by this command; try again, and if it persists check the server's logs.`,
    ExitCode.unexpected,
  );
}

function namespaceMissing(target: TemporalTarget): TemporalProblem {
  return new TemporalProblem(
    `Namespace ${target.namespace} does not exist at ${target.address}. Set TEMPORAL_NAMESPACE to an existing one, or create it: ` +
      `\`temporal operator namespace create --address ${target.address} --namespace ${target.namespace}\`.`,
  );
}

/**
 * The innermost reason a workflow failed: a failed batch wraps an activity failure that wraps the
 * real problem, whose type (a FailureType) says what kind of problem it is.
 */
export function rootFailureOf(err: unknown): { type?: string; message: string; cancelled: boolean } {
  let e: unknown = err instanceof WorkflowFailedError ? err.cause : err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  if (!(e instanceof Error)) return { message: String(e), cancelled: false };
  const type = (e as { type?: unknown }).type;
  return {
    ...(typeof type === 'string' && type ? { type } : {}),
    message: e.message,
    cancelled: e instanceof CancelledFailure,
  };
}

/** A batch that failed as a whole (not one of its videos): its reason, with the exit code of its kind. */
export function batchFailure(batchId: string, err: WorkflowFailedError): TemporalProblem {
  const root = rootFailureOf(err);
  if (root.cancelled) return new TemporalProblem(`Batch ${batchId} was cancelled.`, ExitCode.stoppedEarly);
  const exitCode =
    root.type === FailureType.VideoRejected
      ? ExitCode.input
      : root.type === FailureType.OutputWriteFailed
        ? ExitCode.writeFailed
        : root.type === FailureType.InputNotAllowed ||
            root.type === FailureType.Configuration ||
            root.type === FailureType.TemplateError
          ? ExitCode.configuration
          : ExitCode.unexpected;
  return new TemporalProblem(
    `Batch ${batchId} failed${root.type ? ` (${root.type})` : ''}: ${root.message}\n` +
      'Run the same command again once that is fixed; the Web UI shows the batch and where it stopped.',
    exitCode,
  );
}
