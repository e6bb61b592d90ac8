/** Shared by the stand-in's SDK tests: a real `@google/genai` client for a stand-in, and its errors. */
import { rmSync } from 'node:fs';
import { ApiError, GoogleGenAI, type File as GeminiFile } from '@google/genai';
import type { GeminiStandin } from '..';

/**
 * Under Jest the SDK's default Node path fails ("Undici globalDispatcher is not available": the
 * dispatcher lives on the outer realm's globalThis), so hand it the global fetch explicitly.
 */
export function sdkFor(baseUrl: string, apiKey: string): GoogleGenAI {
  return new GoogleGenAI({
    apiKey,
    apiVersion: 'v1beta',
    httpOptions: { baseUrl, fetch: (input, init) => fetch(input, init) },
  });
}

export interface ApiErrorBody {
  code: number;
  status: string;
  message: string;
  details?: Array<Record<string, unknown>>;
}

/** The HTTP status and parsed error body of the ApiError the SDK throws. */
export async function apiErrorOf(p: Promise<unknown>): Promise<{ status: number; body: ApiErrorBody }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { status: err.status, body: (JSON.parse(err.message) as { error: ApiErrorBody }).error };
  }
  throw new Error('expected the SDK to throw');
}

/**
 * The hooks a file of stand-in tests needs once its `beforeAll` has started the stand-in and made a
 * scratch folder: no faults or counters left over from the test before; after the last test, the
 * stand-in closed and the folder removed. `current` reads the file's variables when the hooks run.
 */
export function standinHooks(current: () => { standin: GeminiStandin; dir: string }): void {
  beforeEach(() => {
    const { standin } = current();
    standin.clearFaults();
    standin.resetStats();
  });
  afterAll(async () => {
    const { standin, dir } = current();
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  });
}

/** Uploads `path` as an MP4 and waits (polling every `pollMs`) until the stand-in has it ACTIVE. */
export async function uploadActive(
  ai: GoogleGenAI,
  path: string,
  displayName: string,
  pollMs = 20,
): Promise<GeminiFile> {
  const file = await ai.files.upload({ file: path, config: { displayName, mimeType: 'video/mp4' } });
  for (let i = 0; i < 100; i++) {
    const got = await ai.files.get({ name: file.name as string });
    if (got.state === 'ACTIVE') return got;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error('file never became ACTIVE');
}
