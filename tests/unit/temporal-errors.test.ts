import { ServiceError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure, RetryState } from '@temporalio/common';
import { ExitCode } from '../../src/cli/exit-codes';
import { FailureType } from '../../src/failures';
import { batchFailure, explainTemporalError, type TemporalTarget } from '../../src/temporal/errors';
import { missingSearchAttributeIn, searchAttributeCommands } from '../../src/temporal/search-attribute-commands';

const target: TemporalTarget = { address: 'temporal.example.org:7233', namespace: 'lessons', fromEnv: true };
/** A gRPC error as @grpc/grpc-js raises it, wrapped the way the client wraps it. */
const grpc = (code: number, details: string) =>
  new ServiceError('Failed to start Workflow', {
    cause: Object.assign(new Error(`${code} ${details}`), { code, details }),
  });

describe('Temporal errors, told as what to do', () => {
  test('a missing search attribute: exit 3 and the exact command for this address and namespace', () => {
    const problem = explainTemporalError(
      grpc(3, 'Namespace lessons has no mapping defined for search attribute BatchId'),
      target,
    );
    expect(problem?.exitCode).toBe(ExitCode.configuration);
    expect(problem?.message).toContain('has no search attribute BatchId');
    expect(problem?.message).toContain(
      'temporal operator search-attribute create --address temporal.example.org:7233 --namespace lessons --name BatchId --type Keyword',
    );
  });

  test('unreachable, permission denied and namespace missing are configuration problems (3)', () => {
    const unreachable = explainTemporalError(grpc(14, 'No connection established'), target);
    expect(unreachable?.message).toMatch(
      /^Cannot reach the Temporal server at temporal\.example\.org:7233 \(TEMPORAL_ADDRESS\)/,
    );
    const denied = explainTemporalError(grpc(7, 'Request unauthorized.'), target);
    expect(denied?.message).toContain('refused the request (permission denied)');
    expect(denied?.message).toContain('TEMPORAL_API_KEY_ENV');
    const noNamespace = explainTemporalError(grpc(5, 'Namespace lessons is not found.'), target);
    expect(noNamespace?.message).toContain('Namespace lessons does not exist');
    for (const p of [unreachable, denied, noNamespace]) expect(p?.exitCode).toBe(ExitCode.configuration);
  });

  test('a TLS mismatch says which way to switch TLS', () => {
    const plainToTls = explainTemporalError(grpc(14, 'Connection dropped: tls handshake eof'), target, false);
    expect(plainToTls?.message).toContain('expects TLS. Set TEMPORAL_TLS=true');
    const tlsToPlain = explainTemporalError(grpc(14, 'InvalidContentType'), target, true);
    expect(tlsToPlain?.message).toContain('did not complete a TLS handshake');
  });

  test('an unknown batch is an input problem (4); a busy server is worth a retry (1); other errors are not Temporal problems', () => {
    expect(explainTemporalError(new WorkflowNotFoundError('gone', 'b-1', undefined), target)?.exitCode).toBe(
      ExitCode.input,
    );
    expect(explainTemporalError(grpc(8, 'namespace rate limit exceeded'), target)?.exitCode).toBe(ExitCode.unexpected);
    expect(explainTemporalError(new TypeError('x is undefined'), target)).toBeUndefined();
  });
});

/** A batch failed the way the client reports it: the workflow failure, its activity's, the real one. */
const failedBatch = (cause: Error) =>
  new WorkflowFailedError(
    'Workflow execution failed',
    new ActivityFailure('Activity task failed', 'discoverVideos', '1', RetryState.NON_RETRYABLE_FAILURE, 'w', cause),
    RetryState.NON_RETRYABLE_FAILURE,
  );

describe('a batch that failed as a whole', () => {
  test('says the innermost reason and its type, with the exit code of its kind', () => {
    const refused = batchFailure(
      'videos-1',
      failedBatch(
        ApplicationFailure.create({
          type: FailureType.InputNotAllowed,
          nonRetryable: true,
          message: 'This worker does not write to /tmp/notes',
        }),
      ),
    );
    expect(refused.exitCode).toBe(ExitCode.configuration);
    expect(refused.message).toMatch(
      /^Batch videos-1 failed \(InputNotAllowed\): This worker does not write to \/tmp\/notes\nRun the same command again/,
    );
    const unwritable = batchFailure(
      'videos-1',
      failedBatch(ApplicationFailure.create({ type: FailureType.OutputWriteFailed, message: 'disk full' })),
    );
    expect(unwritable.exitCode).toBe(ExitCode.writeFailed);
    const unknown = batchFailure('videos-1', failedBatch(new Error('something odd')));
    expect(unknown).toMatchObject({ exitCode: ExitCode.unexpected });
    expect(unknown.message).toMatch(/^Batch videos-1 failed: something odd/);
  });

  test('a cancelled batch stopped early (7)', () => {
    const cancelled = batchFailure(
      'videos-1',
      new WorkflowFailedError(
        'Workflow execution cancelled',
        new CancelledFailure('cancelled'),
        RetryState.CANCEL_REQUESTED,
      ),
    );
    expect(cancelled).toMatchObject({ exitCode: ExitCode.stoppedEarly, message: 'Batch videos-1 was cancelled.' });
  });
});

describe('search attribute commands', () => {
  test('Temporal Cloud gets tcld, with every missing attribute', () => {
    const text = searchAttributeCommands({ address: 'lessons.a1b2c.tmprl.cloud:7233', namespace: 'lessons.a1b2c' }, [
      'BatchId',
      'Model',
    ]);
    expect(text).toContain(
      'tcld namespace search-attributes add --namespace lessons.a1b2c --search-attribute "BatchId=Keyword" --search-attribute "Model=Keyword"',
    );
  });

  test('only our attributes are recognised in an error', () => {
    expect(missingSearchAttributeIn('invalid search attribute: VideoStatus is not defined')).toBe('VideoStatus');
    expect(missingSearchAttributeIn('invalid search attribute: Colour is not defined')).toBeUndefined();
  });
});
