/**
 * The Batch API of the stand-in, driven by the REAL @google/genai SDK over HTTP: inline and JSONL
 * file input, the job's states, inline responses and a downloadable results file, partial
 * failures, expiry, cancel, delete, list, the enqueued-token limit and the bills at half price.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatchJob, File as GeminiFile, GoogleGenAI, InlinedRequest } from '@google/genai';
import { connectGeminiStandin, startGeminiStandin, type GeminiStandin } from '..';
import { apiErrorOf, sdkFor, uploadActive } from './sdk-support';

const keyA = 'fake-test-key-value-batches-project-a';
const keyB = 'fake-test-key-value-batches-project-b';
const model = 'gemini-3.8-flash';

let standin: GeminiStandin;
let dir: string;
const sdk = (key = keyA): GoogleGenAI => sdkFor(standin.url, key);

const lessonSchema = {
  type: 'object',
  properties: { title: { type: 'string' }, summary: { type: 'string' } },
  required: ['title', 'summary'],
};

async function upload(ai: GoogleGenAI, displayName: string, seconds: number): Promise<GeminiFile> {
  standin.setVideoDuration(displayName, seconds);
  const path = join(dir, `${displayName}.mp4`);
  writeFileSync(path, randomBytes(2000));
  return uploadActive(ai, path, displayName, 10);
}

function lessonRequest(file: GeminiFile, id: string): InlinedRequest {
  return {
    contents: [
      {
        role: 'user',
        parts: [{ fileData: { fileUri: file.uri as string, mimeType: 'video/mp4' } }, { text: 'Write a lesson plan.' }],
      },
    ],
    config: { responseMimeType: 'application/json', responseJsonSchema: lessonSchema },
    metadata: { video: id },
  };
}

/** Polls the job until it has ended, as a product would (with a short interval). */
async function waitForEnd(ai: GoogleGenAI, name: string): Promise<BatchJob> {
  for (let i = 0; i < 300; i++) {
    const job = await ai.batches.get({ name });
    if (!['JOB_STATE_PENDING', 'JOB_STATE_RUNNING'].includes(job.state as string)) return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${name} never ended`);
}

let lessonA: GeminiFile;
let lessonB: GeminiFile;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-batches-'));
  standin = await startGeminiStandin({
    processingMs: 20,
    keys: [
      { name: 'alpha', value: keyA },
      { name: 'beta', value: keyB },
    ],
  });
  lessonA = await upload(sdk(), 'lesson-a', 60);
  lessonB = await upload(sdk(), 'lesson-b', 90);
});

afterAll(async () => {
  await standin.close();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  standin.clearFaults();
  standin.batches.clearOutcomes();
  standin.batches.configure({ pendingMs: 30, runningMs: 30, expireAfterMs: 48 * 3600 * 1000, enqueuedTokenLimits: {} });
});

test('inline requests: PENDING, RUNNING, SUCCEEDED, with the answers interactive calls give, billed at half price', async () => {
  const ai = sdk();
  standin.batches.configure({ pendingMs: 100, runningMs: 1000 });
  const created = await ai.batches.create({
    model,
    src: [lessonRequest(lessonA, 'a'), lessonRequest(lessonB, 'b')],
    config: { displayName: 'nightly lesson plans' },
  });
  expect(created.name).toMatch(/^batches\/[a-z0-9]+$/);
  expect(created.state).toBe('JOB_STATE_PENDING');
  expect(created.displayName).toBe('nightly lesson plans');
  expect(created.model).toBe(`models/${model}`);
  expect(created.dest).toBeUndefined();

  let seen = created;
  for (let i = 0; i < 200 && seen.state === 'JOB_STATE_PENDING'; i++) {
    await new Promise((r) => setTimeout(r, 10));
    seen = await ai.batches.get({ name: created.name as string });
  }
  expect(seen.state).toBe('JOB_STATE_RUNNING');
  expect(seen.dest).toBeUndefined();

  const done = await waitForEnd(ai, created.name as string);
  expect(done.state).toBe('JOB_STATE_SUCCEEDED');
  expect(Date.parse(done.endTime as string) - Date.parse(done.createTime as string)).toBe(1100);
  const responses = done.dest?.inlinedResponses ?? [];
  expect(responses.map((r) => r.metadata)).toEqual([{ video: 'a' }, { video: 'b' }]);

  // The same request answered interactively: same text, same usage.
  const { metadata: _m, ...single } = lessonRequest(lessonA, 'a');
  const interactive = await ai.models.generateContent({ model, ...single } as never);
  const first = responses[0]?.response;
  // Inline responses arrive as plain objects (no `.text` getter): read the part.
  const text = first?.candidates?.[0]?.content?.parts?.[0]?.text;
  expect(text).toBe(interactive.text);
  expect(JSON.parse(text as string)).toEqual({ title: expect.any(String), summary: expect.any(String) });
  expect(first?.usageMetadata).toEqual(interactive.usageMetadata);

  const [job] = (await standin.batches.jobs()).filter((j) => j.name === created.name);
  expect(job).toMatchObject({ state: 'BATCH_STATE_SUCCEEDED', requestCount: 2, owner: 'alpha' });
  expect(job?.bills).toEqual([
    expect.objectContaining({
      key: '0',
      ok: true,
      priceFactor: 0.5,
      promptTokens: interactive.usageMetadata?.promptTokenCount,
    }),
    expect.objectContaining({ key: '1', ok: true, priceFactor: 0.5 }),
  ]);
  // 60 s and 90 s of video plus the prompt: the enqueued estimate is the prompt tokens.
  expect(job?.enqueuedTokens).toBe((job?.bills ?? []).reduce((sum, b) => sum + b.promptTokens, 0));
});

test('some requests fail: classified errors (gRPC codes) beside the answers; the job still succeeds', async () => {
  const ai = sdk();
  standin.addFault({
    route: 'batch.request',
    match: { video: 'lesson-b' },
    times: 1,
    action: { type: 'http', kind: 'internal' },
  });
  standin.addFault({
    route: 'generate',
    match: { video: 'lesson-a' },
    times: 1,
    action: { type: 'finish', reason: 'SAFETY' },
  });
  const created = await ai.batches.create({
    model,
    src: [lessonRequest(lessonA, 'a'), lessonRequest(lessonB, 'b'), lessonRequest(lessonA, 'a-again')],
  });
  const done = await waitForEnd(ai, created.name as string);
  expect(done.state).toBe('JOB_STATE_SUCCEEDED');
  const [a, b, again] = done.dest?.inlinedResponses ?? [];
  expect(a?.response?.candidates?.[0]?.finishReason).toBe('SAFETY');
  expect(b?.error).toEqual({ code: 13, message: expect.stringMatching(/internal error/) });
  expect(b?.metadata).toEqual({ video: 'b' });
  expect(again?.response?.candidates?.[0]?.finishReason).toBe('STOP');
  const raw = (await (
    await fetch(`${standin.url}/v1beta/${created.name}`, { headers: { 'x-goog-api-key': keyA } })
  ).json()) as { metadata: { batchStats: Record<string, string> } };
  expect(raw.metadata.batchStats).toEqual({ requestCount: '3', successfulRequestCount: '2', failedRequestCount: '1' });
  const bills = (await standin.batches.jobs()).find((j) => j.name === created.name)?.bills;
  expect(bills?.map((bill) => [bill.ok, bill.errorCode])).toEqual([
    [true, undefined],
    [false, 13],
    [true, undefined],
  ]);
});

test('a file that expired before its request ran fails that request with PERMISSION_DENIED (7)', async () => {
  const ai = sdk();
  const short = await upload(ai, 'lesson-short-lived', 30);
  standin.batches.configure({ pendingMs: 60_000 });
  const created = await ai.batches.create({ model, src: [lessonRequest(short, 's'), lessonRequest(lessonA, 'a')] });
  standin.expireFile(short.name as string);
  standin.batches.advance(created.name as string, 'SUCCEEDED');
  const done = await ai.batches.get({ name: created.name as string });
  expect(done.state).toBe('JOB_STATE_SUCCEEDED');
  const [expired, fine] = done.dest?.inlinedResponses ?? [];
  expect(expired?.error).toEqual({
    code: 7,
    message: `You do not have permission to access the File ${(short.name as string).slice(6)} or it may not exist.`,
  });
  expect(fine?.response?.candidates?.[0]?.finishReason).toBe('STOP');
});

test('jobs that fail, expire or are cancelled end without results', async () => {
  const ai = sdk();
  standin.batches.addOutcome({
    match: { displayName: 'doomed' },
    times: 1,
    state: 'FAILED',
    message: 'Internal failure.',
  });
  const failed = await ai.batches.create({
    model,
    src: [lessonRequest(lessonA, 'a')],
    config: { displayName: 'doomed' },
  });
  const failedEnd = await waitForEnd(ai, failed.name as string);
  expect(failedEnd.state).toBe('JOB_STATE_FAILED');
  expect(failedEnd.dest).toBeUndefined();

  standin.batches.configure({ pendingMs: 60_000, expireAfterMs: 400 });
  const slow = await ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] });
  expect((await ai.batches.get({ name: slow.name as string })).state).toBe('JOB_STATE_PENDING');
  const expired = await waitForEnd(ai, slow.name as string);
  expect(expired.state).toBe('JOB_STATE_EXPIRED');
  expect(expired.dest).toBeUndefined();
  expect(Date.parse(expired.endTime as string) - Date.parse(expired.createTime as string)).toBe(400);

  standin.batches.configure({ pendingMs: 60_000, expireAfterMs: 48 * 3600 * 1000 });
  const cancelled = await ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] });
  await ai.batches.cancel({ name: cancelled.name as string });
  await ai.batches.cancel({ name: cancelled.name as string });
  expect((await ai.batches.get({ name: cancelled.name as string })).state).toBe('JOB_STATE_CANCELLED');
  // Nothing ran, so nothing is billed.
  expect((await standin.batches.jobs()).find((j) => j.name === cancelled.name)?.bills).toEqual([]);
});

test('delete, and jobs are private to their project', async () => {
  const ai = sdk();
  const job = await ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] });
  const foreign = await apiErrorOf(sdk(keyB).batches.get({ name: job.name as string }));
  expect(foreign).toEqual({ status: 404, body: expect.objectContaining({ status: 'NOT_FOUND' }) });
  await ai.batches.delete({ name: job.name as string });
  expect((await apiErrorOf(ai.batches.get({ name: job.name as string }))).status).toBe(404);
});

test('list pages through operations, newest first', async () => {
  const ai = sdk(keyB);
  const { names, files } = { names: [] as string[], files: await upload(ai, 'lesson-beta', 20) };
  for (let i = 0; i < 3; i++) {
    const job = await ai.batches.create({
      model,
      src: [lessonRequest(files, String(i))],
      config: { displayName: `job ${i}` },
    });
    names.push(job.name as string);
  }
  const page = await fetch(`${standin.url}/v1beta/batches?pageSize=2`, { headers: { 'x-goog-api-key': keyB } });
  const body = (await page.json()) as { operations: Array<{ name: string }>; nextPageToken?: string };
  expect(body.operations.map((o) => o.name)).toEqual([names[2], names[1]]);
  expect(body.nextPageToken).toEqual(expect.any(String));
  const seen: string[] = [];
  for await (const job of await ai.batches.list({ config: { pageSize: 2 } })) seen.push(job.name as string);
  expect(seen).toEqual([...names].reverse());
});

test('JSONL file input: results as a file, downloaded through the SDK and the /download route', async () => {
  const ai = sdk();
  const line = (key: string, file: GeminiFile): string =>
    JSON.stringify({
      key,
      request: {
        contents: [
          { role: 'user', parts: [{ fileData: { fileUri: file.uri, mimeType: 'video/mp4' } }, { text: 'Summarise.' }] },
        ],
      },
    });
  const input = join(dir, 'requests.jsonl');
  writeFileSync(input, [line('lesson-a', lessonA), 'not json', line('lesson-b', lessonB)].join('\n') + '\n');
  const uploaded = await ai.files.upload({ file: input, config: { displayName: 'requests', mimeType: 'jsonl' } });
  const created = await ai.batches.create({ model, src: uploaded.name as string });
  const done = await waitForEnd(ai, created.name as string);
  expect(done.state).toBe('JOB_STATE_SUCCEEDED');
  const resultsName = done.dest?.fileName as string;
  expect(resultsName).toMatch(/^files\/batch-[a-z0-9]+$/);
  expect((await ai.files.get({ name: resultsName })).mimeType).toBe('application/jsonl');

  const downloaded = join(dir, 'results.jsonl');
  await ai.files.download({ file: resultsName, downloadPath: downloaded });
  for (let i = 0; i < 100 && readFileSync(downloaded, 'utf8') === ''; i++) await new Promise((r) => setTimeout(r, 10));
  const lines = readFileSync(downloaded, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, never>);
  expect(lines.map((l) => l.key)).toEqual(['lesson-a', 'line-2', 'lesson-b']);
  expect(lines[0]).toMatchObject({ response: { candidates: [expect.objectContaining({ finishReason: 'STOP' })] } });
  expect(lines[1]).toEqual({
    key: 'line-2',
    error: { code: 3, message: expect.stringMatching(/^Line 2 of the input file/) },
  });

  const other = await fetch(`${standin.url}/download/v1beta/${resultsName}:download?alt=media`, {
    headers: { 'x-goog-api-key': keyA },
  });
  expect(await other.text()).toBe(readFileSync(downloaded, 'utf8'));
  const video = await fetch(`${standin.url}/v1beta/${lessonA.name}:download?alt=media`, {
    headers: { 'x-goog-api-key': keyA },
  });
  expect(video.status).toBe(400);
});

test('the enqueued-token limit per model refuses a job until earlier ones end', async () => {
  const ai = sdk();
  standin.batches.configure({ pendingMs: 60_000, enqueuedTokenLimits: { [model]: 10_000 } });
  // 60 s at 70 video + 32 audio tokens/s (Gemini 3 rates) is ~6.1k tokens: one job fits, two do not.
  const first = await ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] });
  const refused = await apiErrorOf(ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] }));
  expect(refused.status).toBe(429);
  expect(refused.body.status).toBe('RESOURCE_EXHAUSTED');
  expect(refused.body.details?.[0]).toMatchObject({
    violations: [expect.objectContaining({ quotaId: 'BatchEnqueuedTokensPerModelPerProject', quotaValue: '10000' })],
  });
  // Another model has its own quota; and once the first job ends, the model has room again.
  await ai.batches.create({ model: 'gemini-3.5-flash', src: [lessonRequest(lessonA, 'a')] });
  standin.batches.advance(first.name as string, 'SUCCEEDED');
  await ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] });
});

test('refusals: unknown model, batch.create faults, inline input without requests', async () => {
  const ai = sdk();
  expect(
    (await apiErrorOf(ai.batches.create({ model: 'gemini-0-nope', src: [lessonRequest(lessonA, 'a')] }))).status,
  ).toBe(404);
  standin.addFault({ route: 'batch.create', times: 1, action: { type: 'http', kind: 'unavailable' } });
  expect((await apiErrorOf(ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] }))).status).toBe(503);
  const empty = await fetch(`${standin.url}/v1beta/models/${model}:batchGenerateContent`, {
    method: 'POST',
    headers: { 'x-goog-api-key': keyA, 'content-type': 'application/json' },
    body: JSON.stringify({ batch: { inputConfig: { requests: { requests: [] } } } }),
  });
  expect(empty.status).toBe(400);
});

test('the control API steers jobs from another process', async () => {
  const ai = sdk();
  const control = (path: string, body?: unknown): Promise<Response> =>
    fetch(`${standin.url}/__standin/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  expect((await control('batches/settings', { pendingMs: 60_000 })).status).toBe(200);
  expect((await control('batches/outcomes', { state: 'EXPIRED', times: 1 })).status).toBe(200);
  const job = await ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] });
  expect((await ai.batches.get({ name: job.name as string })).state).toBe('JOB_STATE_PENDING');
  expect((await control('batches/advance', { name: job.name, to: 'RUNNING' })).status).toBe(200);
  expect((await ai.batches.get({ name: job.name as string })).state).toBe('JOB_STATE_RUNNING');
  expect((await control('batches/advance', { name: job.name, to: 'BATCH_STATE_EXPIRED' })).status).toBe(200);
  expect((await ai.batches.get({ name: job.name as string })).state).toBe('JOB_STATE_EXPIRED');
  expect((await control('batches/advance', { name: job.name, to: 'SUCCEEDED' })).status).toBe(409);
  const listed = (await (await control('batches')).json()) as { jobs: Array<{ name: string; state: string }> };
  expect(listed.jobs.find((j) => j.name === job.name)?.state).toBe('BATCH_STATE_EXPIRED');
  expect((await control('batches/outcomes', { state: 'LOST' })).status).toBe(400);
});

test('connectGeminiStandin drives batches and caches of a stand-in in another process', async () => {
  const ai = sdk();
  const remote = connectGeminiStandin(standin.url);
  expect(await remote.batches.configure({ pendingMs: 60_000 })).toMatchObject({ pendingMs: 60_000, priceFactor: 0.5 });
  await remote.batches.addOutcome({ state: 'CANCELLED', times: 1 });
  const job = await ai.batches.create({ model, src: [lessonRequest(lessonA, 'a')] });
  await remote.batches.advance(job.name as string, 'RUNNING');
  expect((await ai.batches.get({ name: job.name as string })).state).toBe('JOB_STATE_RUNNING');
  await remote.batches.clearOutcomes();
  await remote.batches.advance(job.name as string, 'SUCCEEDED');
  const jobs = await remote.batches.jobs();
  expect(jobs.find((j) => j.name === job.name)).toMatchObject({ state: 'BATCH_STATE_SUCCEEDED', requestCount: 1 });
  await remote.caches.setMinimumTokens(1);
  const cache = await ai.caches.create({ model, config: { contents: 'Tiny.' } });
  await remote.caches.setMinimumTokens(undefined);
  await remote.caches.expire(cache.name as string);
  expect((await remote.caches.caches()).find((c) => c.name === cache.name)).toMatchObject({ expired: true });
  await expect(remote.caches.expire('cachedContents/none')).rejects.toThrow(/404 no cache/);
});

test('an inline request keeps its system instruction and schema, as the SDK moves them into the request', async () => {
  const ai = sdk();
  const request = lessonRequest(lessonB, 'b');
  request.config = { ...request.config, systemInstruction: 'You write for ten-year-olds.', temperature: 0.2 };
  const job = await ai.batches.create({ model, src: [request] });
  const done = await waitForEnd(ai, job.name as string);
  const { metadata: _m, ...single } = request;
  const interactive = await ai.models.generateContent({ model, ...single } as never);
  const response = done.dest?.inlinedResponses?.[0]?.response;
  expect(response?.candidates?.[0]?.content?.parts?.[0]?.text).toBe(interactive.text);
  expect(response?.usageMetadata?.promptTokenCount).toBe(interactive.usageMetadata?.promptTokenCount);
  // The system instruction counts: the same request without it has fewer prompt tokens.
  const plain = await ai.models.generateContent({
    model,
    ...lessonRequest(lessonB, 'b'),
    metadata: undefined,
  } as never);
  expect(interactive.usageMetadata?.promptTokenCount).toBeGreaterThan(plain.usageMetadata?.promptTokenCount as number);
});
