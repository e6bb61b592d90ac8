/**
 * Context caches of the stand-in, driven by the REAL @google/genai SDK over HTTP: create, get,
 * list, update, delete, generate requests that read a cache (usage with cachedContentTokenCount),
 * the API's refusals, expiry, storage metering, and a batch request that reads a cache.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Content, File as GeminiFile, GoogleGenAI } from '@google/genai';
import { minimumCacheTokens, startGeminiStandin, type GeminiStandin } from '..';
import { apiErrorOf, sdkFor } from './sdk-support';

const keyA = 'fake-test-key-value-caches-project-a';
const keyB = 'fake-test-key-value-caches-project-b';
const model = 'gemini-3.8-flash';

let standin: GeminiStandin;
let dir: string;
let video: GeminiFile;
const sdk = (key = keyA): GoogleGenAI => sdkFor(standin.url, key);

const videoContent = (): Content[] => [
  { role: 'user', parts: [{ fileData: { fileUri: video.uri as string, mimeType: 'video/mp4' } }] },
];
const system = 'You are a teacher who writes lesson plans.';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-caches-'));
  standin = await startGeminiStandin({ processingMs: 10, keys: [{ name: 'alpha', value: keyA }] });
  standin.setVideoDuration('cached-lesson', 120);
  const path = join(dir, 'cached-lesson.mp4');
  writeFileSync(path, randomBytes(1000));
  const ai = sdk();
  const file = await ai.files.upload({ file: path, config: { displayName: 'cached-lesson', mimeType: 'video/mp4' } });
  for (let i = 0; i < 100 && (await ai.files.get({ name: file.name as string })).state !== 'ACTIVE'; i++)
    await new Promise((r) => setTimeout(r, 10));
  video = await ai.files.get({ name: file.name as string });
});

afterAll(async () => {
  await standin.close();
  rmSync(dir, { recursive: true, force: true });
});

test('create, then generate from the cache: the cached tokens are reported and the answer is the same', async () => {
  const ai = sdk();
  const cache = await ai.caches.create({
    model,
    config: { contents: videoContent(), systemInstruction: system, ttl: '600s', displayName: 'lesson video' },
  });
  expect(cache.name).toMatch(/^cachedContents\/[a-z0-9]+$/);
  expect(cache.model).toBe(`models/${model}`);
  expect(cache.displayName).toBe('lesson video');
  expect(Date.parse(cache.expireTime as string) - Date.parse(cache.createTime as string)).toBe(600_000);
  const cachedTokens = cache.usageMetadata?.totalTokenCount as number;
  // 120 s at 70 video (one frame a second, Gemini 3 rate) + 32 audio tokens per second, plus the system instruction.
  expect(cachedTokens).toBe(120 * (70 + 32) + Math.ceil(system.length / 4));

  const prompt = 'Write a quiz of five questions.';
  const fromCache = await ai.models.generateContent({
    model,
    contents: prompt,
    config: { cachedContent: cache.name as string },
  });
  const direct = await ai.models.generateContent({
    model,
    contents: [...videoContent(), { role: 'user', parts: [{ text: prompt }] }],
    config: { systemInstruction: system },
  });
  expect(fromCache.text).toBe(direct.text);
  expect(fromCache.usageMetadata?.cachedContentTokenCount).toBe(cachedTokens);
  expect(fromCache.usageMetadata?.promptTokenCount).toBe(direct.usageMetadata?.promptTokenCount);
  expect(direct.usageMetadata?.cachedContentTokenCount).toBeUndefined();
  expect(fromCache.usageMetadata?.cacheTokensDetails).toEqual([
    { modality: 'VIDEO', tokenCount: 120 * 70 },
    { modality: 'AUDIO', tokenCount: 120 * 32 },
    { modality: 'TEXT', tokenCount: Math.ceil(system.length / 4) },
  ]);

  let last: number | undefined;
  for await (const chunk of await ai.models.generateContentStream({
    model,
    contents: prompt,
    config: { cachedContent: cache.name as string },
  }))
    last = chunk.usageMetadata?.cachedContentTokenCount;
  expect(last).toBe(cachedTokens);

  const ledger = standin.caches.caches().find((c) => c.name === cache.name);
  expect(ledger).toMatchObject({ reads: 2, tokens: cachedTokens, deleted: false, expired: false, owner: 'alpha' });
  expect(ledger?.storageTokenHours).toBeGreaterThan(0);
});

test('get, list, update the ttl, delete; then the cache is gone', async () => {
  const ai = sdk();
  const cache = await ai.caches.create({ model, config: { contents: videoContent() } });
  const name = cache.name as string;
  // Without a ttl: one hour.
  expect(Date.parse(cache.expireTime as string) - Date.parse(cache.createTime as string)).toBe(3600_000);
  expect((await ai.caches.get({ name })).usageMetadata?.totalTokenCount).toBe(120 * (70 + 32));
  const listed: string[] = [];
  for await (const c of await ai.caches.list({ config: { pageSize: 1 } })) listed.push(c.name as string);
  expect(listed).toContain(name);
  const updated = await ai.caches.update({ name, config: { ttl: '60s' } });
  expect(Date.parse(updated.expireTime as string) - Date.parse(updated.updateTime as string)).toBe(60_000);
  await ai.caches.delete({ name });
  expect(await apiErrorOf(ai.caches.get({ name }))).toEqual({
    status: 403,
    body: expect.objectContaining({
      status: 'PERMISSION_DENIED',
      message: expect.stringMatching(/^CachedContent not found/),
    }),
  });
  const gone = await apiErrorOf(ai.models.generateContent({ model, contents: 'x', config: { cachedContent: name } }));
  expect(gone.status).toBe(403);
  expect(standin.caches.caches().find((c) => c.name === name)).toMatchObject({ deleted: true, reads: 0 });
});

test("the API's refusals: too small, another model, a system instruction beside the cache, another project", async () => {
  const ai = sdk();
  const small = await apiErrorOf(ai.caches.create({ model, config: { contents: 'A short text.' } }));
  expect(small.status).toBe(400);
  expect(small.body.message).toBe(
    `Cached content is too small. total_token_count=4, min_total_token_count=${minimumCacheTokens(model)}`,
  );
  expect(minimumCacheTokens('gemini-3.1-pro-preview')).toBe(4096);

  const cache = await ai.caches.create({ model, config: { contents: videoContent() } });
  const name = cache.name as string;
  const otherModel = await apiErrorOf(
    ai.models.generateContent({ model: 'gemini-3.5-flash', contents: 'x', config: { cachedContent: name } }),
  );
  expect(otherModel.status).toBe(400);
  expect(otherModel.body.message).toMatch(/has to be the same/);
  const withSystem = await apiErrorOf(
    ai.models.generateContent({ model, contents: 'x', config: { cachedContent: name, systemInstruction: 'y' } }),
  );
  expect(withSystem.body.message).toMatch(
    /^CachedContent can not be used with GenerateContent request setting system_instruction/,
  );
  expect((await apiErrorOf(sdk(keyB).caches.get({ name }))).status).toBe(403);
  expect(
    (await apiErrorOf(ai.caches.create({ model: 'gemini-0-nope', config: { contents: videoContent() } }))).status,
  ).toBe(404);
});

test('an expired cache answers like a deleted one; the minimum size can be lowered for small test videos', async () => {
  const ai = sdk();
  const cache = await ai.caches.create({ model, config: { contents: videoContent() } });
  expect(standin.caches.expire(cache.name as string)).toBe(true);
  expect((await apiErrorOf(ai.caches.get({ name: cache.name as string }))).status).toBe(403);
  expect(standin.caches.caches().find((c) => c.name === cache.name)?.expired).toBe(true);

  standin.caches.setMinimumTokens(1);
  try {
    const tiny = await ai.caches.create({ model, config: { contents: 'A short text.' } });
    expect(tiny.usageMetadata?.totalTokenCount).toBe(4);
  } finally {
    standin.caches.setMinimumTokens(undefined);
  }
});

test('a batch request reads a cache: cached tokens in its usage and its bill', async () => {
  const ai = sdk();
  standin.batches.configure({ pendingMs: 0, runningMs: 0 });
  const cache = await ai.caches.create({ model, config: { contents: videoContent() } });
  const job = await ai.batches.create({
    model,
    src: [{ contents: 'Write a summary.', config: { cachedContent: cache.name as string } }],
  });
  let done = await ai.batches.get({ name: job.name as string });
  for (let i = 0; i < 100 && done.state !== 'JOB_STATE_SUCCEEDED'; i++)
    done = await ai.batches.get({ name: job.name as string });
  const usage = done.dest?.inlinedResponses?.[0]?.response?.usageMetadata;
  expect(usage?.cachedContentTokenCount).toBe(120 * (70 + 32));
  const bill = (await standin.batches.jobs()).find((j) => j.name === job.name)?.bills[0];
  expect(bill).toMatchObject({
    ok: true,
    cachedTokens: 120 * (70 + 32),
    priceFactor: 0.5,
    promptTokens: usage?.promptTokenCount,
  });
});
