/** The /__standin/ control API (from another process's point of view) and the standalone runner. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ApiError, GoogleGenAI } from '@google/genai';
import { connectGeminiStandin, startGeminiStandin, type GeminiStandin } from '..';
import { parseArgs } from '../main';

const key = 'AIzaSy-control-secret-value';
const video = 'https://www.youtube.com/embed/ddddddddddd';

function sdk(baseUrl: string): GoogleGenAI {
  return new GoogleGenAI({
    apiKey: key,
    apiVersion: 'v1beta',
    httpOptions: { baseUrl, fetch: (input, init) => fetch(input, init) },
  });
}

function ask(baseUrl: string) {
  return sdk(baseUrl).models.generateContent({
    model: 'gemini-2.5-flash',
    contents: [{ role: 'user', parts: [{ fileData: { fileUri: video } }, { text: 'Plan.' }] }],
  });
}

describe('control API', () => {
  let standin: GeminiStandin;
  beforeAll(async () => {
    standin = await startGeminiStandin();
  });
  afterAll(async () => {
    await standin.close();
  });

  test('faults, configure, durations, stats and reset over HTTP', async () => {
    const control = connectGeminiStandin(standin.url);
    const id = await control.addFault({ route: 'generate', times: 1, action: { type: 'http', status: 503 } });
    expect(id).toMatch(/^fault-/);
    await expect(ask(standin.url)).rejects.toBeInstanceOf(ApiError);
    expect((await ask(standin.url)).candidates?.[0]?.finishReason).toBe('STOP');

    await control.setVideoDuration(video, 30);
    const res = await ask(standin.url);
    expect(res.usageMetadata?.promptTokenCount).toBe(30 * 290 + 2); // 258 per frame + 32 audio per second

    await control.configure({ models: ['gemini-9-ultra'] });
    await expect(ask(standin.url)).rejects.toMatchObject({ status: 404 });
    await control.configure({
      models: ['gemini-2.5-flash'],
      keys: [{ name: 'ctl', value: key, limits: { '*': { rpd: 1 } } }],
    });
    await ask(standin.url);
    await expect(ask(standin.url)).rejects.toMatchObject({ status: 429 });
    await control.advanceDay();
    await ask(standin.url);

    const stats = await control.stats();
    expect(stats.byVideo[video]).toMatchObject({ generateCalls: 7, generateSucceeded: 4 });
    expect(stats.count429).toBe(1);
    expect(stats.byKey.ctl.generate).toBe(3);
    expect(JSON.stringify(stats)).not.toContain(key);
    expect((await control.stats({ log: false })).log).toEqual([]);

    await control.addFault({ route: 'any', action: { type: 'delay', ms: 1 } });
    const listed = (await (await fetch(`${standin.url}/__standin/faults`)).json()) as {
      faults: Array<{ id: string; remaining: number | null }>;
    };
    expect(listed.faults).toEqual([
      expect.objectContaining({ id, remaining: 0 }),
      expect.objectContaining({ remaining: null }),
    ]);
    await control.clearFaults();
    await control.resetStats();
    expect((await control.stats()).totals.generate).toBe(0);
  });

  test('bad control requests are refused with a reason', async () => {
    const control = connectGeminiStandin(standin.url);
    await expect(control.addFault({ route: 'nowhere', action: { type: 'reset' } } as never)).rejects.toThrow(
      /route must be one of/,
    );
    await expect(control.addFault({ route: 'generate', action: { type: 'http' } } as never)).rejects.toThrow(
      /status or kind/,
    );
    await expect(control.setVideoDuration('x', -1)).rejects.toThrow(/seconds/);
    await expect(control.expireFile('files/unknown')).rejects.toThrow(/404/);
    const health = (await (await fetch(`${standin.url}/__standin/health`)).json()) as { ok: boolean };
    expect(health.ok).toBe(true);
  });
});

test('parseArgs reads the runner flags', () => {
  expect(parseArgs(['--port', '8787', '--latency-ms', '20-80', '--processing-ms=5', '--minute-ms', '1000'])).toEqual({
    quiet: false,
    port: 8787,
    latencyMs: { min: 20, max: 80 },
    processingMs: 5,
    minuteMs: 1000,
  });
  expect(parseArgs(['--latency-ms', '15', '--quiet'])).toEqual({ quiet: true, latencyMs: 15 });
});

test('the standalone runner prints its URL, serves the SDK, logs without key values and stops on SIGTERM', async () => {
  const tsx = join(__dirname, '../../node_modules/.bin/tsx');
  const child = spawn(
    tsx,
    [join(__dirname, '../main.ts'), '--port', '0', '--latency-ms', '5', '--processing-ms', '10'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`runner did not start: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        const m = /GEMINI_BASE_URL=(\S+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await ask(url)).candidates?.[0]?.finishReason).toBe('STOP');
    await new Promise((r) => setTimeout(r, 100));
    expect(out).toMatch(/generate key=key-[0-9a-f]{8} status=200 model=gemini-2\.5-flash/);
    expect(out).not.toContain(key);
  } finally {
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }
});
