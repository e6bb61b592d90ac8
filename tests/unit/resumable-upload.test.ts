/**
 * The resumable upload client against the real stand-in: multi-chunk uploads arrive intact, an
 * interrupted upload resumes from the server's received size (not byte 0), and errors carry the
 * HTTP status and body the way the SDK's ApiError does.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import { GeminiHttpError, resumableUpload, type UploadProgress } from '../../src/gemini/resumable-upload';
import { classifyGeminiError } from '../../src/gemini/classify';
import { FailureType } from '../../src/failures';
import { MockActivityEnvironment } from '@temporalio/testing';
import { GeminiGateway } from '../../src/gemini/gateway';
import { uploadActivities } from '../../src/activities/upload';
import { ActivityContext } from '../../src/activities/context';

const key = 'AIzaSy-resumable-test-key';
const revokedKey = 'AIzaSy-revoked-test-key';
const size = 17 * 1024 * 1024 + 12_345;
let standin: GeminiStandin;
let dir: string;
let file: string;
let sha256Base64: string;

beforeAll(async () => {
  standin = await startGeminiStandin({
    processingMs: 0,
    keys: [
      { name: 'uploader', value: key },
      { name: 'revoked', value: revokedKey, valid: false },
    ],
  });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-resumable-'));
  file = path.join(dir, 'lesson.mp4');
  const data = randomBytes(size);
  fs.writeFileSync(file, data);
  // The stand-in reports sha256Hash as base64 of the hex digest (see standin.upload.test.ts).
  sha256Base64 = Buffer.from(createHash('sha256').update(data).digest('hex')).toString('base64');
});

afterAll(async () => {
  await standin.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

beforeEach(() => {
  standin.resetStats();
  standin.clearFaults();
});

const options = (extra: Partial<Parameters<typeof resumableUpload>[0]> = {}) => ({
  baseUrl: standin.url,
  apiKey: key,
  path: file,
  displayName: 'Lesson.mp4',
  mimeType: 'video/mp4',
  ...extra,
});

test('a multi-chunk upload arrives whole, in 8 MiB chunks, with progress', async () => {
  const progress: UploadProgress[] = [];
  const remote = await resumableUpload(options({ onProgress: (p) => progress.push(p) }));
  expect(remote).toMatchObject({
    displayName: 'Lesson.mp4',
    mimeType: 'video/mp4',
    sizeBytes: String(size),
    sha256Hash: sha256Base64,
  });
  expect(progress.map((p) => p.bytesSent)).toEqual([0, 8 * 1024 * 1024, 16 * 1024 * 1024]);
  expect(progress[0].uploadUrl).toMatch(/upload_id=/);
  const stats = standin.stats();
  expect(stats.totals['upload.chunk']).toBe(3);
  expect(stats.bytesUploaded).toBe(size);
});

test('after an interrupted chunk, a resume continues from the bytes the server has', async () => {
  // Abort part-way through the second chunk, like a worker that died mid-request.
  const abort = new AbortController();
  let uploadUrl = '';
  const first = resumableUpload(
    options({
      signal: abort.signal,
      onProgress: (p) => {
        uploadUrl = p.uploadUrl;
        if (p.bytesSent > 0) setTimeout(() => abort.abort(), 5);
      },
    }),
  );
  await expect(first).rejects.toMatchObject({ name: 'AbortError' });
  await new Promise((r) => setTimeout(r, 100));
  const partial = standin.stats().bytesUploaded;
  expect(partial).toBeGreaterThanOrEqual(8 * 1024 * 1024);

  // A reset on the next chunk fails the second attempt with a network error the classifier retries.
  standin.addFault({ route: 'upload.chunk', times: 1, action: { type: 'reset' } });
  const reset = await resumableUpload(options({ resumeUrl: uploadUrl })).catch((err: unknown) => err);
  expect((reset as { cause?: { code?: string } }).cause?.code).toMatch(/ECONNRESET|EPIPE/);
  expect(classifyGeminiError(reset, { operation: 'upload', keyAlias: 'k' }).type).toBe(FailureType.Transient);

  const progress: UploadProgress[] = [];
  const remote = await resumableUpload(options({ resumeUrl: uploadUrl, onProgress: (p) => progress.push(p) }));
  expect(remote).toMatchObject({ sizeBytes: String(size), sha256Hash: sha256Base64 });
  expect(progress[0]).toEqual({ uploadUrl, bytesSent: partial, bytesTotal: size });
  const stats = standin.stats();
  expect(stats.bytesUploaded).toBe(size); // every byte once: nothing sent twice
  expect(stats.totals['upload.start']).toBe(1);
  expect(stats.totals['upload.query']).toBe(2);

  // Resuming a finished session just returns its file.
  expect(await resumableUpload(options({ resumeUrl: uploadUrl }))).toMatchObject({ name: remote.name });
  expect(standin.stats().totals['upload.start']).toBe(1);
});

test('an unknown or expired upload URL starts over cleanly', async () => {
  const stale = `${standin.url}/upload/v1beta/files?upload_id=expired&upload_protocol=resumable`;
  const remote = await resumableUpload(options({ resumeUrl: stale }));
  expect(remote).toMatchObject({ sizeBytes: String(size), sha256Hash: sha256Base64 });
  // The stand-in counts a query of an unknown session as a 404 upload.chunk.
  expect(standin.stats()).toMatchObject({
    bytesUploaded: size,
    totals: { 'upload.start': 1, 'upload.chunk': 4 },
    byStatus: { '404': 1 },
  });
});

test('HTTP errors carry the status and the JSON body, never the key; the classifier reads them', async () => {
  standin.addFault({ route: 'upload.start', times: 1, action: { type: 'http', status: 429, retryDelaySeconds: 7 } });
  const quota = await resumableUpload(options()).catch((err: unknown) => err);
  expect(quota).toBeInstanceOf(GeminiHttpError);
  expect((quota as GeminiHttpError).status).toBe(429);
  expect(JSON.parse((quota as GeminiHttpError).message).error.code).toBe(429);
  const failure = classifyGeminiError(quota, { operation: 'upload', keyAlias: 'k' });
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe(FailureType.QuotaPerMinute);

  standin.addFault({ route: 'upload.chunk', times: 1, action: { type: 'http', status: 400 } });
  const bad = await resumableUpload(options()).catch((err: unknown) => err);
  expect((bad as GeminiHttpError).status).toBe(400);
  expect(JSON.parse((bad as GeminiHttpError).message).error.status).toBe('INVALID_ARGUMENT');
  expect(classifyGeminiError(bad, { operation: 'upload', keyAlias: 'k' }).type).toBe(FailureType.BadRequest);

  const denied = await resumableUpload(options({ apiKey: revokedKey })).catch((err: unknown) => err);
  expect((denied as GeminiHttpError).status).toBe(400);
  expect((denied as Error).message).not.toContain(revokedKey);
  expect(classifyGeminiError(denied, { operation: 'upload', keyAlias: 'k' }).type).toBe(FailureType.InvalidApiKey);
});

test('network errors keep their code in cause', async () => {
  const closed = await startGeminiStandin({ processingMs: 0 });
  const url = closed.url;
  await closed.close();
  const err = (await resumableUpload(options({ baseUrl: url })).catch((e: unknown) => e)) as Error & {
    cause?: { code?: string };
  };
  expect(err.cause?.code).toBe('ECONNREFUSED');
  expect(classifyGeminiError(err, { operation: 'upload', keyAlias: 'k' }).type).toBe(FailureType.Transient);
});

test('uploadVideo heartbeats the upload URL and a retry resumes from those heartbeat details', async () => {
  const gemini = new GeminiGateway([{ alias: 'main', envVar: 'X', value: key, limits: {} }], standin.url);
  const { uploadVideo } = uploadActivities(new ActivityContext({ gemini, catalog: {} as never, filePollMs: 10 }));
  const input = {
    workflowId: 'wf',
    item: { key: 'resumed-lesson', title: 'Resumed', source: { kind: 'file' as const, path: file } },
    facts: { title: 'Resumed', source: file, mimeType: 'video/mp4', contentHash: 'x' },
    keyAlias: 'main',
  };
  // A first attempt that died after the first chunk: the session exists, 8 MiB arrived.
  let uploadUrl = '';
  const abort = new AbortController();
  await resumableUpload(
    options({
      signal: abort.signal,
      onProgress: (p) => {
        uploadUrl = p.uploadUrl;
        if (p.bytesSent > 0) abort.abort();
      },
    }),
  ).catch(() => undefined);
  const env = new MockActivityEnvironment({
    heartbeatDetails: { phase: 'uploading', uploadUrl, bytesSent: 8 * 1024 * 1024 },
  });
  const beats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => beats.push(d));
  const uploaded = await env.run(uploadVideo, input);
  expect(uploaded).toMatchObject({ keyAlias: 'main', mimeType: 'video/mp4' });
  expect(beats[0]).toMatchObject({ phase: 'uploading', uploadUrl });
  const stats = standin.stats();
  expect(stats.totals['upload.start']).toBe(1);
  expect(stats.bytesUploaded).toBe(size);
});
