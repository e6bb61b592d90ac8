/**
 * The stand-in driven by the REAL @google/genai SDK over HTTP: upload, poll until ACTIVE,
 * generate (file URI and YouTube, JSON schema and Markdown, streaming), list, delete, and the
 * errors the SDK raises for the API's refusals.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GoogleGenAI, MediaResolution } from '@google/genai';
import { z } from 'zod';
import { startGeminiStandin, validateAgainstSchema, type GeminiStandin } from '..';
import { apiErrorOf, sdkFor, standinHooks, uploadActive } from './sdk-support';
import { sectionPlace } from './lesson-schema';

const keyA = 'fake-test-key-value-for-project-a';
const keyB = 'fake-test-key-value-for-project-b';

let standin: GeminiStandin;
let dir: string;

const sdk = (apiKey = keyA): GoogleGenAI => sdkFor(standin.url, apiKey);

function videoFile(name: string, bytes: number): string {
  const path = join(dir, name);
  writeFileSync(path, randomBytes(bytes));
  return path;
}

const lessonSchema = z.object({
  title: z.string().min(3),
  level: z.enum(['beginner', 'intermediate', 'advanced']),
  sections: z
    .array(
      z.object({
        ...sectionPlace,
        notes: z.string().nullable(),
      }),
    )
    .min(2)
    .max(6),
  quiz: z.array(z.object({ question: z.string(), answer: z.string() })).optional(),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'standin-sdk-'));
  standin = await startGeminiStandin({
    processingMs: 50,
    keys: [
      { name: 'alpha', value: keyA },
      { name: 'beta', value: keyB },
    ],
  });
});

standinHooks(() => ({ standin, dir }));

test('upload from a path, PROCESSING then ACTIVE, with the File fields of the real API', async () => {
  const ai = sdk();
  const path = videoFile('fractions.mp4', 150_000);
  const uploaded = await ai.files.upload({
    file: path,
    config: { displayName: 'Fractions made easy.mp4', mimeType: 'video/mp4' },
  });
  expect(uploaded.name).toMatch(/^files\/[a-z0-9]+$/);
  expect(uploaded.state).toBe('PROCESSING');
  expect(uploaded.displayName).toBe('Fractions made easy.mp4');
  expect(uploaded.sizeBytes).toBe('150000');
  expect(uploaded.source).toBe('UPLOADED');
  expect(uploaded.uri).toBe(`${standin.url}/v1beta/${uploaded.name}`);
  expect(uploaded.videoMetadata).toBeUndefined();

  const active = await uploadActive(ai, path, 'Fractions again.mp4');
  expect(active.state).toBe('ACTIVE');
  // 150 kB at 50 kB per second: 3 s.
  expect(active.videoMetadata).toEqual({ videoDuration: '3s' });
  expect(Date.parse(active.expirationTime as string) - Date.parse(active.createTime as string)).toBe(48 * 3600 * 1000);
});

test("a 17 MiB file goes up in three chunks and its hash is the real API's (base64 of the hex digest)", async () => {
  const ai = sdk();
  const path = videoFile('big.mp4', 17 * 1024 * 1024);
  const bytes = readFileSync(path);
  const hex = createHash('sha256').update(bytes).digest('hex');
  const file = await ai.files.upload({ file: path, config: { displayName: 'Big lecture.mp4', mimeType: 'video/mp4' } });
  expect(file.sizeBytes).toBe(String(17 * 1024 * 1024));
  expect(file.sha256Hash).toBe(Buffer.from(hex).toString('base64'));
  const stats = standin.stats();
  expect(stats.totals['upload.start']).toBe(1);
  expect(stats.totals['upload.chunk']).toBe(3);
  expect(stats.bytesUploaded).toBe(17 * 1024 * 1024);
  expect(stats.byVideo['Big lecture.mp4']).toMatchObject({ uploadsStarted: 1, uploadsCompleted: 1 });
});

test('generateContent with an uploaded file and a JSON schema returns JSON that validates', async () => {
  const ai = sdk();
  const file = await uploadActive(ai, videoFile('color.mp4', 100_000), 'Colour theory intro.mp4');
  standin.setVideoDuration('Colour theory intro.mp4', 245);
  const jsonSchema = z.toJSONSchema(lessonSchema);
  const res = await ai.models.generateContent({
    model: 'gemini-3.8-flash',
    contents: [
      {
        role: 'user',
        parts: [{ fileData: { fileUri: file.uri as string, mimeType: 'video/mp4' } }, { text: 'Write a lesson plan.' }],
      },
    ],
    config: {
      temperature: 0.2,
      maxOutputTokens: 8192,
      responseMimeType: 'application/json',
      responseJsonSchema: jsonSchema,
    },
  });
  expect(res.candidates?.[0]?.finishReason).toBe('STOP');
  const parsed = lessonSchema.parse(JSON.parse(res.text as string));
  expect(validateAgainstSchema(JSON.parse(res.text as string), jsonSchema)).toEqual([]);
  expect(parsed.title).toContain('Colour theory intro');
  for (const s of parsed.sections) {
    expect(s.startSeconds).toBeLessThanOrEqual(245);
    expect(s.endSeconds).toBeLessThanOrEqual(245);
    expect(s.startSeconds).toBeLessThanOrEqual(s.endSeconds);
  }
  // A Gemini 3 model: 70 tokens per frame at 1 fps + 32 audio tokens per second, plus the text:
  // prompt and response schema at 4 characters per token.
  const usage = res.usageMetadata;
  const text = Math.ceil(('Write a lesson plan.'.length + JSON.stringify(jsonSchema).length) / 4);
  expect(usage?.promptTokensDetails).toEqual([
    { modality: 'VIDEO', tokenCount: 245 * 70 },
    { modality: 'AUDIO', tokenCount: 245 * 32 },
    { modality: 'TEXT', tokenCount: text },
  ]);
  expect(usage?.promptTokenCount).toBe(245 * 102 + text);
  expect(usage?.candidatesTokenCount).toBe(Math.ceil((res.text as string).length / 4));
  expect(usage?.totalTokenCount).toBe(
    (usage?.promptTokenCount ?? 0) + (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
  );
  expect(res.modelVersion).toBe('gemini-3.8-flash');
  expect(res.responseId).toMatch(/^[A-Za-z0-9_-]{16,}$/);
});

test('the same video and prompt give the same answer; a clip keeps timestamps inside it', async () => {
  const ai = sdk();
  const url = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';
  standin.setVideoDuration('https://youtu.be/dQw4w9WgXcQ', 900);
  const schema = z.toJSONSchema(lessonSchema);
  const ask = (clip?: { startOffset: string; endOffset: string }) =>
    ai.models.generateContent({
      model: 'gemini-2.5-flash-lite',
      contents: [
        {
          role: 'user',
          parts: [
            { fileData: { fileUri: url, mimeType: 'video/*' }, ...(clip ? { videoMetadata: clip } : {}) },
            { text: 'Plan it.' },
          ],
        },
      ],
      config: {
        responseMimeType: 'application/json',
        responseJsonSchema: schema,
        mediaResolution: MediaResolution.MEDIA_RESOLUTION_LOW,
      },
    });
  const a = await ask();
  const b = await ask();
  expect(a.text).toBe(b.text);
  // An earlier model at low resolution: 66 tokens per frame + 32 audio tokens per second, plus the text.
  const text = Math.ceil(('Plan it.'.length + JSON.stringify(schema).length) / 4);
  expect(a.usageMetadata?.promptTokenCount).toBe(900 * 98 + text);
  expect(a.usageMetadata?.thoughtsTokenCount).toBeUndefined();

  const clipped = await ask({ startOffset: '300s', endOffset: '420s' });
  const plan = lessonSchema.parse(JSON.parse(clipped.text as string));
  for (const s of plan.sections) {
    expect(s.startSeconds).toBeGreaterThanOrEqual(300);
    expect(s.endSeconds).toBeLessThanOrEqual(420);
  }
  expect(clipped.usageMetadata?.promptTokenCount).toBe(120 * 98 + text);
  expect(standin.stats().byVideo[url]).toMatchObject({
    generateCalls: 3,
    generateSucceeded: 3,
    lastModel: 'gemini-2.5-flash-lite',
  });
});

test('without a schema the answer is Markdown text mentioning the video; streaming sends it in pieces', async () => {
  const ai = sdk();
  const url = 'https://youtu.be/abcdefghijk';
  const res = await ai.models.generateContent({
    model: 'gemini-2.5-pro',
    contents: [{ role: 'user', parts: [{ fileData: { fileUri: url } }, { text: 'Summarise.' }] }],
  });
  expect(res.text).toMatch(/^# YouTube video abcdefghijk/);
  expect(res.text).toContain('## Key moments');

  const stream = await ai.models.generateContentStream({
    model: 'gemini-2.5-pro',
    contents: [{ role: 'user', parts: [{ fileData: { fileUri: url } }, { text: 'Summarise.' }] }],
  });
  let text = '';
  let last: string | undefined;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    text += chunk.text ?? '';
    last = chunk.candidates?.[0]?.finishReason ?? last;
  }
  expect(chunks).toBeGreaterThan(1);
  expect(text).toBe(res.text);
  expect(last).toBe('STOP');
});

test('Gemini-style responseSchema (upper-case types, nullable) is honoured too', async () => {
  const ai = sdk();
  const responseSchema = {
    type: 'OBJECT',
    properties: {
      summary: { type: 'STRING' },
      timestamps: { type: 'ARRAY', items: { type: 'INTEGER', minimum: 0, maximum: 600 }, minItems: 3 },
      difficulty: { type: 'STRING', enum: ['easy', 'hard'], nullable: true },
    },
    required: ['summary', 'timestamps', 'difficulty'],
  };
  const res = await ai.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: [
      { role: 'user', parts: [{ fileData: { fileUri: 'https://www.youtube.com/shorts/abcdefghijk' } }, { text: 'x' }] },
    ],
    config: { responseMimeType: 'application/json', responseSchema: responseSchema as never },
  });
  const value = JSON.parse(res.text as string) as { timestamps: number[] };
  expect(validateAgainstSchema(value, responseSchema)).toEqual([]);
  expect(value.timestamps.length).toBeGreaterThanOrEqual(3);
  expect([...value.timestamps].sort((x, y) => x - y)).toEqual(value.timestamps);
});

test('files belong to the key that uploaded them: another key, a deleted or expired file answer 403', async () => {
  const a = sdk(keyA);
  const b = sdk(keyB);
  const file = await uploadActive(a, videoFile('own.mp4', 60_000), 'Owned.mp4');
  const foreign = await apiErrorOf(b.files.get({ name: file.name as string }));
  expect(foreign.status).toBe(403);
  expect(foreign.body.status).toBe('PERMISSION_DENIED');
  expect(foreign.body.message).toBe(
    `You do not have permission to access the File ${(file.name as string).slice(6)} or it may not exist.`,
  );
  const gen = await apiErrorOf(
    b.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri as string } }, { text: 'x' }] }],
    }),
  );
  expect(gen.status).toBe(403);
  expect((await apiErrorOf(b.files.delete({ name: file.name as string }))).status).toBe(403);

  const unknown = await apiErrorOf(a.files.get({ name: 'files/doesnotexist1' }));
  expect(unknown.status).toBe(403);

  standin.expireFile(file.name as string);
  expect((await apiErrorOf(a.files.get({ name: file.name as string }))).status).toBe(403);

  const other = await uploadActive(a, videoFile('gone.mp4', 60_000), 'Gone.mp4');
  await a.files.delete({ name: other.name as string });
  expect((await apiErrorOf(a.files.get({ name: other.name as string }))).body.status).toBe('PERMISSION_DENIED');
  expect(standin.stats().byVideo['Gone.mp4'].deletes).toBe(1);
});

test('a file still PROCESSING is refused with 400 FAILED_PRECONDITION', async () => {
  standin.configure({ processingMs: 10_000 });
  try {
    const ai = sdk();
    const file = await ai.files.upload({
      file: videoFile('slow.mp4', 10_000),
      config: { displayName: 'Slow.mp4', mimeType: 'video/mp4' },
    });
    const err = await apiErrorOf(
      ai.models.generateContent({
        model: 'gemini-2.5-flash',
        contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri as string } }, { text: 'x' }] }],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.body.status).toBe('FAILED_PRECONDITION');
    expect(err.body.message).toContain('is not in an ACTIVE state');
  } finally {
    standin.configure({ processingMs: 50 });
  }
});

test('unknown model → 404 NOT_FOUND; invalid key → 400 API_KEY_INVALID; bad field → 400', async () => {
  const ai = sdk();
  const nf = await apiErrorOf(ai.models.generateContent({ model: 'gemini-1.0-pro', contents: 'hello' }));
  expect(nf.status).toBe(404);
  expect(nf.body.status).toBe('NOT_FOUND');
  expect(nf.body.message).toMatch(
    /^models\/gemini-1\.0-pro is not found for API version v1beta, or is not supported for generateContent\./,
  );

  standin.configure({
    keys: [
      { name: 'alpha', value: keyA },
      { name: 'beta', value: keyB },
      { name: 'revoked', value: 'AIza-revoked', valid: false },
    ],
  });
  const bad = await apiErrorOf(
    sdk('AIza-revoked').models.generateContent({ model: 'gemini-2.5-flash', contents: 'hello' }),
  );
  expect(bad.status).toBe(400);
  expect(bad.body.status).toBe('INVALID_ARGUMENT');
  expect(bad.body.details?.[0]).toMatchObject({
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason: 'API_KEY_INVALID',
  });

  standin.configure({ acceptUnknownKeys: false });
  try {
    const unknown = await apiErrorOf(sdk('AIza-never-configured').files.list());
    expect(unknown.status).toBe(400);
  } finally {
    standin.configure({ acceptUnknownKeys: true });
  }

  const field = await apiErrorOf(
    ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi', config: { temperature: 3 } }),
  );
  expect(field.status).toBe(400);
  expect(field.body.message).toContain('temperature');

  const missing = await fetch(`${standin.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
  });
  expect(missing.status).toBe(403);
  expect(((await missing.json()) as { error: { status: string } }).error.status).toBe('PERMISSION_DENIED');
});

test("files.list pages with pageSize/pageToken and only shows the caller's files", async () => {
  const a = sdk(keyA);
  const b = sdk(keyB);
  const mine = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const f = await b.files.upload({
      file: videoFile(`p${i}.mp4`, 5_000),
      config: { displayName: `Paged ${i}.mp4`, mimeType: 'video/mp4' },
    });
    mine.add(f.name as string);
  }
  await a.files.upload({
    file: videoFile('other.mp4', 5_000),
    config: { displayName: 'Not yours.mp4', mimeType: 'video/mp4' },
  });
  const pager = await b.files.list({ config: { pageSize: 2 } });
  expect(pager.page.length).toBe(2);
  const seen: string[] = [];
  for await (const f of pager) seen.push(f.name as string);
  expect(seen.length).toBe(5);
  expect(new Set(seen)).toEqual(mine);
  expect(standin.stats().totals['files.list']).toBe(3);
});

test('a 0-byte file is refused', async () => {
  const ai = sdk();
  const path = join(dir, 'empty.mp4');
  writeFileSync(path, Buffer.alloc(0));
  const err = await apiErrorOf(ai.files.upload({ file: path, config: { mimeType: 'video/mp4' } }));
  expect(err.status).toBe(400);
  expect(err.body.status).toBe('INVALID_ARGUMENT');
});

test('stats count per route, per key name and per video, and never contain a key value', async () => {
  const ai = sdk(keyA);
  const anon = 'AIzaSy-anonymous-value-123456';
  const file = await uploadActive(ai, videoFile('stats.mp4', 20_000), 'Stats video.mp4');
  await ai.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri as string } }, { text: 'x' }] }],
  });
  await sdk(anon).files.list();
  const stats = standin.stats();
  expect(stats.byKey.alpha['upload.start']).toBe(1);
  expect(stats.byKey.alpha.generate).toBe(1);
  const anonLabel = `key-${createHash('sha256').update(anon).digest('hex').slice(0, 8)}`;
  expect(stats.byKey[anonLabel]['files.list']).toBe(1);
  expect(stats.byVideo['Stats video.mp4']).toMatchObject({
    uploadsStarted: 1,
    uploadsCompleted: 1,
    generateCalls: 1,
    generateSucceeded: 1,
  });
  expect(stats.tokensByModel['gemini-2.5-flash'].calls).toBe(1);
  const generateEntries = stats.log.filter((e) => e.route === 'generate');
  expect(generateEntries).toEqual([
    expect.objectContaining({
      key: 'alpha',
      model: 'gemini-2.5-flash',
      video: 'Stats video.mp4',
      status: 200,
      finishReason: 'STOP',
    }),
  ]);
  const text = JSON.stringify(stats);
  for (const secret of [keyA, keyB, anon]) expect(text).not.toContain(secret);
  // Deep copy: mutating the snapshot changes nothing.
  stats.totals.generate = 999;
  expect(standin.stats().totals.generate).toBe(1);
});
