import { classifyRequestError, inlinedRequest, jobStateOf, jsonlLine } from '../../src/gemini/batch-api';
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
