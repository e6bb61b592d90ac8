/** Every fault kind, as the real SDK sees it. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, type GoogleGenAI, type GenerateContentResponse } from '@google/genai';
import { z } from 'zod';
import {
  startGeminiStandin,
  validateAgainstSchema,
  type GeminiStandin,
  type HttpFaultKind,
  type HttpFaultStatus,
} from '..';
import { apiErrorOf, sdkFor, standinHooks } from './sdk-support';

const key = 'AIzaSy-faults-test-key';
const youtube = 'https://www.youtube.com/watch?v=aaaaaaaaaaa';
let standin: GeminiStandin;
let dir: string;

const sdk = (apiKey = key): GoogleGenAI => sdkFor(standin.url, apiKey);

const schema = z.object({
  title: z.string(),
  moments: z.array(z.object({ atSeconds: z.number(), note: z.string() })).min(1),
});
const jsonSchema = z.toJSONSchema(schema);

function ask(
  opts: { model?: string; video?: string; maxOutputTokens?: number; json?: boolean } = {},
): Promise<GenerateContentResponse> {
  return sdk().models.generateContent({
    model: opts.model ?? 'gemini-2.5-flash',
    contents: [
      { role: 'user', parts: [{ fileData: { fileUri: opts.video ?? youtube } }, { text: 'Make a lesson plan' }] },
    ],
    config: {
      maxOutputTokens: opts.maxOutputTokens,
      ...(opts.json === false ? {} : { responseMimeType: 'application/json', responseJsonSchema: jsonSchema }),
    },
  });
}

function videoPath(name: string, bytes: number): string {
  const p = join(dir, name);
  writeFileSync(p, Buffer.alloc(bytes, 7));
  return p;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-faults-'));
  standin = await startGeminiStandin({ processingMs: 20, keys: [{ name: 'main', value: key }] });
});

standinHooks(() => ({ standin, dir }));

const httpCases: Array<[HttpFaultKind, HttpFaultStatus, string]> = [
  ['quota-minute', 429, 'RESOURCE_EXHAUSTED'],
  ['quota-day', 429, 'RESOURCE_EXHAUSTED'],
  ['invalid-key', 400, 'INVALID_ARGUMENT'],
  ['permission-denied', 403, 'PERMISSION_DENIED'],
  ['not-found', 404, 'NOT_FOUND'],
  ['failed-precondition', 400, 'FAILED_PRECONDITION'],
  ['invalid-argument', 400, 'INVALID_ARGUMENT'],
  ['internal', 500, 'INTERNAL'],
  ['unavailable', 503, 'UNAVAILABLE'],
  ['deadline', 504, 'DEADLINE_EXCEEDED'],
];

test.each(httpCases)('http fault %s answers %i %s with a real error body', async (kind, status, grpcStatus) => {
  standin.addFault({ route: 'generate', times: 1, action: { type: 'http', status, kind, retryDelaySeconds: 7 } });
  const err = await apiErrorOf(ask());
  expect(err.status).toBe(status);
  expect(err.body.code).toBe(status);
  expect(err.body.status).toBe(grpcStatus);
  expect(typeof err.body.message).toBe('string');
  const types = (err.body.details ?? []).map((d) => d['@type']);
  if (kind === 'quota-minute') {
    const failure = err.body.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.QuotaFailure') as {
      violations: Array<{ quotaId: string; quotaMetric: string; quotaDimensions: { model: string } }>;
    };
    expect(failure.violations[0].quotaId).toBe('GenerateRequestsPerMinutePerProjectPerModel-FreeTier');
    expect(failure.violations[0].quotaMetric).toBe(
      'generativelanguage.googleapis.com/generate_content_free_tier_requests',
    );
    expect(failure.violations[0].quotaDimensions.model).toBe('gemini-2.5-flash');
    expect(err.body.details).toContainEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '7s' });
  } else if (kind === 'quota-day') {
    const failure = err.body.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.QuotaFailure') as {
      violations: Array<{ quotaId: string }>;
    };
    expect(failure.violations[0].quotaId).toBe('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    expect(types).not.toContain('type.googleapis.com/google.rpc.RetryInfo');
  } else if (kind === 'invalid-key') {
    expect(err.body.details?.[0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'API_KEY_INVALID',
    });
  } else if (kind === 'not-found') {
    expect(err.body.message).toContain('models/gemini-2.5-flash is not found for API version v1beta');
  }
  // times: 1 → the next call succeeds.
  expect((await ask()).candidates?.[0]?.finishReason).toBe('STOP');
  const stats = standin.stats();
  expect(stats.count429).toBe(status === 429 ? 1 : 0);
  expect(stats.byVideo[youtube]).toMatchObject({ generateCalls: 2, generateSucceeded: 1 });
});

test('a status alone picks the matching kind', async () => {
  standin.addFault({ route: 'generate', times: 1, action: { type: 'http', status: 503 } });
  const err = await apiErrorOf(ask());
  expect(err.body).toMatchObject({
    code: 503,
    status: 'UNAVAILABLE',
    message: 'The model is overloaded. Please try again later.',
  });
});

test('faults on files.get, files.delete, upload.start and upload.chunk', async () => {
  const ai = sdk();
  /** The HTTP status the SDK's upload of a small video fails with. */
  const uploadStatus = async (file: string, displayName: string) =>
    (await apiErrorOf(ai.files.upload({ file: videoPath(file, 1000), config: { displayName, mimeType: 'video/mp4' } })))
      .status;
  standin.addFault({ route: 'upload.start', times: 1, action: { type: 'http', status: 503 } });
  expect(await uploadStatus('a.mp4', 'A.mp4')).toBe(503);

  standin.addFault({ route: 'upload.chunk', times: 1, action: { type: 'http', status: 500 } });
  expect(await uploadStatus('b.mp4', 'B.mp4')).toBe(500);

  const file = await ai.files.upload({
    file: videoPath('c.mp4', 1000),
    config: { displayName: 'C.mp4', mimeType: 'video/mp4' },
  });
  standin.addFault({ route: 'files.get', match: { video: 'C.mp4' }, times: 1, action: { type: 'http', status: 504 } });
  expect((await apiErrorOf(ai.files.get({ name: file.name as string }))).body.status).toBe('DEADLINE_EXCEEDED');
  expect((await ai.files.get({ name: file.name as string })).name).toBe(file.name);

  standin.addFault({ route: 'files.delete', times: 1, action: { type: 'http', kind: 'permission-denied' } });
  const denied = await apiErrorOf(ai.files.delete({ name: file.name as string }));
  expect(denied.status).toBe(403);
  expect(denied.body.message).toContain(`File ${(file.name as string).slice(6)}`);
  await ai.files.delete({ name: file.name as string });

  const stats = standin.stats();
  expect(stats.byVideo['A.mp4']).toMatchObject({ uploadsStarted: 0, uploadsCompleted: 0 });
  expect(stats.byVideo['B.mp4']).toMatchObject({ uploadsStarted: 1, uploadsCompleted: 0 });
  expect(stats.byVideo['C.mp4']).toMatchObject({ uploadsStarted: 1, uploadsCompleted: 1, deletes: 1 });
});

test.each(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'OTHER'] as const)(
  'finish %s: HTTP 200, that finishReason, no text',
  async (reason) => {
    standin.addFault({ route: 'generate', times: 1, action: { type: 'finish', reason } });
    const res = await ask();
    expect(res.candidates?.[0]?.finishReason).toBe(reason);
    expect(res.text).toBeUndefined();
    expect(standin.stats().byVideo[youtube]).toMatchObject({ generateCalls: 1, generateSucceeded: 0 });
    expect(standin.stats().log.at(-1)).toMatchObject({ status: 200, finishReason: reason });
  },
);

test('finish MAX_TOKENS returns truncated JSON', async () => {
  standin.addFault({ route: 'generate', times: 1, action: { type: 'finish', reason: 'MAX_TOKENS' } });
  const res = await ask();
  expect(res.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
  expect(res.text?.length).toBeGreaterThan(0);
  expect(() => JSON.parse(res.text as string)).toThrow();
});

test('max-tokens-below answers MAX_TOKENS only while maxOutputTokens is too small', async () => {
  standin.addFault({ route: 'generate', action: { type: 'max-tokens-below', tokens: 4000 } });
  const small = await ask({ maxOutputTokens: 1000 });
  expect(small.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
  expect(() => JSON.parse(small.text as string)).toThrow();
  const again = await ask({ maxOutputTokens: 1000 });
  expect(again.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
  const big = await ask({ maxOutputTokens: 8000 });
  expect(big.candidates?.[0]?.finishReason).toBe('STOP');
  expect(schema.safeParse(JSON.parse(big.text as string)).success).toBe(true);
});

test('a tiny maxOutputTokens truncates naturally with MAX_TOKENS', async () => {
  const res = await ask({ maxOutputTokens: 10 });
  expect(res.candidates?.[0]?.finishReason).toBe('MAX_TOKENS');
  expect(res.text?.length).toBeLessThanOrEqual(40);
});

test.each(['SAFETY', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'OTHER'] as const)(
  'blocked-prompt %s: HTTP 200, no candidates',
  async (reason) => {
    standin.addFault({ route: 'generate', times: 1, action: { type: 'blocked-prompt', reason } });
    const res = await ask();
    expect(res.candidates).toBeUndefined();
    expect(res.promptFeedback?.blockReason).toBe(reason);
    expect(res.text).toBeUndefined();
    expect(res.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
  },
);

test('invalid-json: STOP with text that does not parse', async () => {
  standin.addFault({ route: 'generate', times: 1, action: { type: 'invalid-json' } });
  const res = await ask();
  expect(res.candidates?.[0]?.finishReason).toBe('STOP');
  expect(() => JSON.parse(res.text as string)).toThrow();
  // A STOP answer counts as succeeded: the stand-in cannot know the caller rejects it.
  expect(standin.stats().byVideo[youtube].generateSucceeded).toBe(1);
});

test('schema-mismatch: STOP with JSON that fails the schema', async () => {
  standin.addFault({ route: 'generate', times: 1, action: { type: 'schema-mismatch' } });
  const res = await ask();
  expect(res.candidates?.[0]?.finishReason).toBe('STOP');
  const value: unknown = JSON.parse(res.text as string);
  expect(schema.safeParse(value).success).toBe(false);
  expect(validateAgainstSchema(value, jsonSchema).length).toBeGreaterThan(0);
});

test('file-failed: the uploaded file ends FAILED with an error and cannot be used', async () => {
  const ai = sdk();
  standin.addFault({ route: 'upload.chunk', match: { video: 'Broken' }, times: 1, action: { type: 'file-failed' } });
  const file = await ai.files.upload({
    file: videoPath('broken.mp4', 3000),
    config: { displayName: 'Broken.mp4', mimeType: 'video/mp4' },
  });
  expect(file.state).toBe('PROCESSING');
  await new Promise((r) => setTimeout(r, 40));
  const got = await ai.files.get({ name: file.name as string });
  expect(got.state).toBe('FAILED');
  expect(got.error?.message).toEqual(expect.any(String));
  const err = await apiErrorOf(
    ai.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ fileData: { fileUri: got.uri as string } }, { text: 'x' }] }],
    }),
  );
  expect(err.body.status).toBe('FAILED_PRECONDITION');

  standin.addFault({ route: 'upload.start', times: 1, action: { type: 'file-failed', message: 'unsupported codec' } });
  const second = await ai.files.upload({
    file: videoPath('broken2.mp4', 3000),
    config: { displayName: 'Other.mp4', mimeType: 'video/mp4' },
  });
  await new Promise((r) => setTimeout(r, 40));
  expect((await ai.files.get({ name: second.name as string })).error).toEqual({
    code: 3,
    message: 'unsupported codec',
  });
});

test('delay waits and lets a later rule fire; reset destroys the socket', async () => {
  standin.addFault({ route: 'generate', times: 1, action: { type: 'delay', ms: 150 } });
  standin.addFault({ route: 'generate', times: 1, action: { type: 'http', status: 500 } });
  const started = Date.now();
  expect((await apiErrorOf(ask())).status).toBe(500);
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);

  standin.addFault({ route: 'any', times: 1, action: { type: 'reset' } });
  const err = await ask().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(ApiError);
  expect((err as Error).message).toMatch(/fetch failed/);
  expect(standin.stats().byStatus['0']).toBe(1);
  expect((await ask()).candidates?.[0]?.finishReason).toBe('STOP');
});

test('match by model, video and key name; probability 0 never fires; rules run in order', async () => {
  standin.configure({
    keys: [
      { name: 'main', value: key },
      { name: 'spare', value: 'AIzaSy-spare' },
    ],
  });
  standin.addFault({ route: 'generate', match: { model: 'gemini-2.5-pro' }, action: { type: 'http', status: 503 } });
  standin.addFault({ route: 'generate', match: { video: 'bbbbbbbbbbb' }, action: { type: 'http', status: 500 } });
  standin.addFault({ route: 'generate', match: { key: 'spare' }, action: { type: 'http', status: 429 } });
  standin.addFault({ route: 'generate', probability: 0, action: { type: 'http', status: 504 } });
  expect((await apiErrorOf(ask({ model: 'gemini-2.5-pro' }))).status).toBe(503);
  expect((await apiErrorOf(ask({ model: 'gemini-2.5-pro', video: 'https://youtu.be/bbbbbbbbbbb' }))).status).toBe(503);
  expect((await apiErrorOf(ask({ video: 'https://youtu.be/bbbbbbbbbbb' }))).status).toBe(500);
  const spare = await apiErrorOf(
    sdk('AIzaSy-spare').models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    }),
  );
  expect(spare.status).toBe(429);
  expect((await ask()).candidates?.[0]?.finishReason).toBe('STOP');
});
