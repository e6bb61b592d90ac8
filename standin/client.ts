/**
 * A client for the control API of a stand-in running in another process (`npm run standin`),
 * with the same methods as the in-process handle, made async.
 */
import type { BatchEnding, BatchJobSummary, BatchOutcomeRule, BatchSettings, CacheSummary } from './batch-types';
import type { FaultRule, StandinOptions, StandinStats } from './types';

export interface GeminiStandinControl {
  url: string;
  stats(options?: { log?: boolean }): Promise<StandinStats>;
  resetStats(options?: { faults?: boolean; limits?: boolean }): Promise<void>;
  addFault(rule: FaultRule): Promise<string>;
  clearFaults(): Promise<void>;
  configure(patch: Partial<StandinOptions>): Promise<void>;
  setVideoDuration(displayNameOrYoutubeUrl: string, seconds: number): Promise<void>;
  expireFile(name: string): Promise<void>;
  advanceDay(): Promise<void>;
  batches: {
    configure(patch: Partial<BatchSettings>): Promise<BatchSettings>;
    addOutcome(rule: BatchOutcomeRule): Promise<string>;
    clearOutcomes(): Promise<void>;
    advance(name: string, to: 'RUNNING' | BatchEnding): Promise<void>;
    jobs(): Promise<BatchJobSummary[]>;
  };
  caches: {
    setMinimumTokens(tokens: number | undefined): Promise<void>;
    expire(name: string): Promise<void>;
    caches(): Promise<CacheSummary[]>;
  };
}

export function connectGeminiStandin(url: string): GeminiStandinControl {
  const base = url.replace(/\/+$/, '');
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/__standin/${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = (text ? JSON.parse(text) : {}) as T & { error?: string };
    if (!res.ok) throw new Error(`stand-in control ${method} ${path}: ${res.status} ${parsed.error ?? text}`);
    return parsed;
  }
  return {
    url: base,
    stats: (options) => call<StandinStats>('GET', options?.log === false ? 'stats?log=0' : 'stats'),
    resetStats: async (options) => {
      await call('POST', 'reset', options ?? {});
    },
    addFault: async (rule) => (await call<{ id: string }>('POST', 'faults', rule)).id,
    clearFaults: async () => {
      await call('DELETE', 'faults');
    },
    configure: async (patch) => {
      await call('POST', 'configure', patch);
    },
    setVideoDuration: async (video, seconds) => {
      await call('POST', 'video-duration', { video, seconds });
    },
    expireFile: async (name) => {
      await call('POST', 'expire-file', { name });
    },
    advanceDay: async () => {
      await call('POST', 'advance-day', {});
    },
    batches: {
      configure: (patch) => call<BatchSettings>('POST', 'batches/settings', patch),
      addOutcome: async (rule) => (await call<{ id: string }>('POST', 'batches/outcomes', rule)).id,
      clearOutcomes: async () => {
        await call('DELETE', 'batches/outcomes');
      },
      advance: async (name, to) => {
        await call('POST', 'batches/advance', { name, to });
      },
      jobs: async () => (await call<{ jobs: BatchJobSummary[] }>('GET', 'batches')).jobs,
    },
    caches: {
      setMinimumTokens: async (tokens) => {
        await call('POST', 'caches/minimum-tokens', { tokens: tokens ?? null });
      },
      expire: async (name) => {
        await call('POST', 'caches/expire', { name });
      },
      caches: async () => (await call<{ caches: CacheSummary[] }>('GET', 'caches')).caches,
    },
  };
}
