import { startGeminiStandin, type GeminiStandin } from '../../standin';
import {
  classifyRequestError,
  findOrCreateJob,
  getJob,
  inlinedRequest,
  jobStateOf,
  jsonlLine,
} from '../../src/gemini/batch-api';
import { GeminiGateway } from '../../src/gemini/gateway';
import { FailureType } from '../../src/failures';

const ctx = { keyAlias: 'default', model: 'gemini-3.8-flash' };

describe('Batch API answers, as economy mode reads them', () => {
  test.each([
    [7, 'You do not have permission to access the File abc or it may not exist.', FailureType.FileUnavailable, true],
    [5, 'File files/abc was not found.', FailureType.FileUnavailable, true],
    [5, 'models/gemini-0 is not found.', FailureType.ModelUnavailable, true],
    [13, 'An internal error has occurred.', FailureType.Transient, false],
    [14, 'The model is overloaded.', FailureType.Transient, false],
    [8, 'Resource has been exhausted.', FailureType.QuotaPerMinute, false],
    [3, 'Request contains an invalid argument.', FailureType.BadRequest, true],
  ])('gRPC code %i (%s) is classified as the interactive call would be: %s', (code, message, type, nonRetryable) => {
    const failure = classifyRequestError({ code, message }, ctx);
    expect(failure.type).toBe(type);
    expect(Boolean(failure.nonRetryable)).toBe(nonRetryable);
  });

  test('job states of the SDK and of the REST API read the same', () => {
    expect(
      ['JOB_STATE_PENDING', 'BATCH_STATE_RUNNING', 'JOB_STATE_SUCCEEDED', 'BATCH_STATE_EXPIRED'].map(jobStateOf),
    ).toEqual(['PENDING', 'RUNNING', 'SUCCEEDED', 'EXPIRED']);
  });

  test('a request carries the interactive call’s contents and config, inline (SDK shape) or as a JSONL line (REST shape)', () => {
    const line = {
      key: 'batch/a#1~0',
      request: {
        model: 'gemini-3.8-flash',
        video: { fileUri: 'https://files/abc', mimeType: 'video/mp4', clip: { startSeconds: 0, endSeconds: 60 } },
        prompt: 'Write a lesson plan.',
        systemInstruction: 'You are a teacher.',
        temperature: 0.2,
        maxOutputTokens: 8192,
        mediaResolution: 'low' as const,
        responseJsonSchema: { type: 'object' },
      },
    };
    const inline = inlinedRequest(line);
    expect(inline.metadata).toEqual({ key: 'batch/a#1~0' });
    expect(inline.config).toMatchObject({
      systemInstruction: 'You are a teacher.',
      maxOutputTokens: 8192,
      mediaResolution: 'MEDIA_RESOLUTION_LOW',
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object' },
    });
    expect(JSON.parse(jsonlLine(line))).toEqual({
      key: 'batch/a#1~0',
      request: {
        contents: inline.contents,
        systemInstruction: { parts: [{ text: 'You are a teacher.' }] },
        generationConfig: {
          temperature: 0.2,
          maxOutputTokens: 8192,
          mediaResolution: 'MEDIA_RESOLUTION_LOW',
          responseMimeType: 'application/json',
          responseJsonSchema: { type: 'object' },
        },
      },
    });
    expect(JSON.stringify(inline.contents)).toContain('"videoMetadata":{"startOffset":"0s","endOffset":"60s"}');
  });
});

describe('creating a job is idempotent (real SDK, stand-in)', () => {
  let standin: GeminiStandin;
  const key = 'fake-key-value-batch-api-unit-0123';
  beforeAll(async () => {
    standin = await startGeminiStandin({ keys: [{ name: 'default', value: key }] });
    standin.batches.configure({ pendingMs: 60_000 });
  });
  afterAll(() => standin.close());

  test('a create retried after the first one reached Gemini finds that job instead of making a second', async () => {
    const gemini = new GeminiGateway(
      [{ alias: 'default', envVar: 'GEMINI_API_KEY', value: key, limits: {} }],
      standin.url,
    );
    const src = [
      inlinedRequest({
        key: 'k',
        request: { model: 'gemini-3.8-flash', prompt: 'Hello.', mediaResolution: 'default' },
      }),
    ];
    const job = { model: 'gemini-3.8-flash', displayName: 'lesson-forge nightly 1a2b3c4d #1', src };
    const first = await findOrCreateJob(gemini, 'default', job);
    const again = await findOrCreateJob(gemini, 'default', job);
    expect(first).toMatchObject({ created: true, job: { state: 'PENDING' } });
    expect(again).toEqual({ created: false, job: expect.objectContaining({ name: first.job.name }) });
    const other = await findOrCreateJob(gemini, 'default', { ...job, displayName: 'lesson-forge nightly 1a2b3c4d #2' });
    expect(other.created).toBe(true);
    expect((await standin.batches.jobs()).map((j) => j.displayName)).toEqual([job.displayName, other.job.displayName]);
    standin.batches.advance(first.job.name, 'SUCCEEDED');
    const done = await getJob(gemini, 'default', first.job.name);
    expect(done.state).toBe('SUCCEEDED');
    expect(done.answers).toEqual([{ key: 'k', response: expect.objectContaining({ candidates: expect.any(Array) }) }]);
  });
});
