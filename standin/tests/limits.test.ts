/** Per-key, per-model rate limits with a shortened "minute", and the daily reset. */
import { ApiError, GoogleGenAI } from '@google/genai';
import { startGeminiStandin, type GeminiStandin } from '..';

const keys = { limited: 'AIzaSy-limited', paid: 'AIzaSy-paid', free: 'AIzaSy-unlimited' };
const video = 'https://youtu.be/ccccccccccc';
let standin: GeminiStandin;

function sdk(apiKey: string): GoogleGenAI {
  return new GoogleGenAI({
    apiKey,
    apiVersion: 'v1beta',
    httpOptions: { baseUrl: standin.url, fetch: (input, init) => fetch(input, init) },
  });
}

function ask(apiKey: string, model = 'gemini-2.5-flash') {
  return sdk(apiKey).models.generateContent({
    model,
    contents: [{ role: 'user', parts: [{ fileData: { fileUri: video } }, { text: 'Plan.' }] }],
  });
}

interface QuotaError {
  status: number;
  quotaIds: string[];
  retryDelay?: string;
  body: { status: string; details: Array<Record<string, unknown>> };
}

async function quotaError(p: Promise<unknown>): Promise<QuotaError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    const body = (JSON.parse((err as ApiError).message) as { error: QuotaError['body'] }).error;
    const failure = body.details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.QuotaFailure') as
      { violations: Array<{ quotaId: string }> } | undefined;
    const retry = body.details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo') as
      { retryDelay: string } | undefined;
    return {
      status: (err as ApiError).status,
      quotaIds: failure?.violations.map((v) => v.quotaId) ?? [],
      retryDelay: retry?.retryDelay,
      body,
    };
  }
  throw new Error('expected a 429');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  standin = await startGeminiStandin({ minuteMs: 1000 });
  standin.setVideoDuration(video, 10);
});

afterAll(async () => {
  await standin.close();
});

beforeEach(() => {
  standin.resetStats();
});

test('rpm: the third request in a "minute" gets 429 with QuotaFailure and a RetryInfo that is honest', async () => {
  standin.configure({ keys: [{ name: 'limited', value: keys.limited, limits: { 'gemini-2.5-flash': { rpm: 2 } } }] });
  await ask(keys.limited);
  await ask(keys.limited);
  const err = await quotaError(ask(keys.limited));
  expect(err.status).toBe(429);
  expect(err.body.status).toBe('RESOURCE_EXHAUSTED');
  expect(err.quotaIds).toEqual(['GenerateRequestsPerMinutePerProjectPerModel-FreeTier']);
  expect(err.retryDelay).toBe('1s');
  // Other models and other keys (projects) have their own quota.
  await ask(keys.limited, 'gemini-2.5-pro');
  await ask(keys.free);
  await sleep(1050);
  await ask(keys.limited);
  const stats = standin.stats();
  expect(stats.count429).toBe(1);
  expect(stats.byVideo[video]).toMatchObject({ generateCalls: 6, generateSucceeded: 5 });
});

test('retryDelay is the real time until the window frees, rounded up', async () => {
  standin.configure({
    minuteMs: 10_000,
    keys: [{ name: 'limited', value: keys.limited, limits: { '*': { rpm: 1 } } }],
  });
  try {
    await ask(keys.limited, 'gemini-3.5-flash');
    await sleep(1100);
    const err = await quotaError(ask(keys.limited, 'gemini-3.5-flash'));
    expect(err.retryDelay).toBe('9s');
  } finally {
    standin.configure({ minuteMs: 1000 });
  }
});

test('tpm counts prompt tokens; paid keys get the paid quota ids', async () => {
  // 10 s of video on a Gemini 3 model at 102 tokens/s + 2 text tokens = 1022 tokens per request.
  standin.configure({ keys: [{ name: 'paid', value: keys.paid, tier: 'paid', limits: { '*': { tpm: 2500 } } }] });
  await ask(keys.paid, 'gemini-3.8-flash');
  await ask(keys.paid, 'gemini-3.8-flash');
  const err = await quotaError(ask(keys.paid, 'gemini-3.8-flash'));
  expect(err.quotaIds).toEqual(['GenerateContentPaidTierInputTokensPerModelPerMinute']);
  expect(err.retryDelay).toMatch(/^[1]s$/);
  await sleep(1050);
  await ask(keys.paid, 'gemini-3.8-flash');
});

test('rpd: exhausted until advanceDay(), with a per-day quota id and no RetryInfo', async () => {
  standin.configure({
    keys: [{ name: 'limited', value: keys.limited, limits: { '*': { rpd: 2 }, 'gemini-2.5-flash-lite': { rpd: 1 } } }],
  });
  standin.advanceDay();
  await ask(keys.limited, 'gemini-2.5-flash-lite');
  const lite = await quotaError(ask(keys.limited, 'gemini-2.5-flash-lite'));
  expect(lite.quotaIds).toEqual(['GenerateRequestsPerDayPerProjectPerModel-FreeTier']);
  expect(lite.retryDelay).toBeUndefined();
  await ask(keys.limited, 'gemini-3.1-pro-preview');
  await ask(keys.limited, 'gemini-3.1-pro-preview');
  await sleep(1050);
  expect((await quotaError(ask(keys.limited, 'gemini-3.1-pro-preview'))).quotaIds[0]).toContain('PerDay');
  standin.advanceDay();
  await ask(keys.limited, 'gemini-3.1-pro-preview');
  await ask(keys.limited, 'gemini-2.5-flash-lite');
});

test('defaultLimits apply to unknown keys; refused requests do not use quota', async () => {
  standin.configure({ keys: [], defaultLimits: { '*': { rpm: 1 } } });
  try {
    const anon = 'AIzaSy-someone-else';
    await ask(anon);
    await quotaError(ask(anon));
    await quotaError(ask(anon));
    await sleep(1050);
    await ask(anon);
  } finally {
    standin.configure({ defaultLimits: undefined });
  }
});

test("keys of one project share its limits (projectLimits over the keys' own); another project is apart", async () => {
  const lab = { one: 'AIzaSy-lab-one', two: 'AIzaSy-lab-two' };
  await sleep(1050);
  standin.configure({
    keys: [
      { name: 'lab-one', value: lab.one, project: 'lab' },
      { name: 'lab-two', value: lab.two, project: 'lab', limits: { '*': { rpm: 100 } } },
      { name: 'solo', value: keys.limited, limits: { '*': { rpm: 1 } } },
    ],
    projectLimits: { lab: { 'gemini-2.5-flash': { rpm: 2 } } },
  });
  try {
    await ask(lab.one);
    await ask(lab.two);
    // The project's third request in the minute is refused, whichever key sends it.
    expect((await quotaError(ask(lab.two))).quotaIds).toEqual(['GenerateRequestsPerMinutePerProjectPerModel-FreeTier']);
    await quotaError(ask(lab.one));
    // A key that is its own project keeps its own count.
    await ask(keys.limited);
    const log = standin.stats().log.filter((e) => e.route === 'generate' && e.status === 200);
    expect(log.slice(-3).map((e) => e.project)).toEqual(['lab', 'lab', 'solo']);
    expect(log[log.length - 1].promptTokens).toBeGreaterThan(0);
  } finally {
    standin.configure({ projectLimits: undefined });
  }
});
