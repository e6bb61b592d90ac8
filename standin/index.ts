/**
 * The project's local stand-in for the Gemini REST API (see gemini-wire.md). Point the real SDK
 * at it: `new GoogleGenAI({ apiKey, apiVersion: 'v1beta', httpOptions: { baseUrl: standin.url } })`.
 * The product never imports this; it only knows GEMINI_BASE_URL.
 */
export { startGeminiStandin } from './server';
export { connectGeminiStandin, type GeminiStandinControl } from './client';
export { fakeFromSchema, mismatchFromSchema, validateAgainstSchema, type FakeContext } from './schema-fake';
export { youtubeVideoId } from './videos';
export { defaultModels } from './state';
export { minimumCacheTokens } from './caches';
export type {
  BatchEnding,
  BatchJobSummary,
  BatchOutcomeRule,
  BatchRequestBill,
  BatchSettings,
  BatchStateName,
  CacheSummary,
  StandinBatchControl,
  StandinCacheControl,
} from './batch-types';
export type {
  BlockFaultReason,
  FaultAction,
  FaultMatch,
  FaultRoute,
  FaultRule,
  FinishFaultReason,
  GeminiStandin,
  HttpFaultKind,
  HttpFaultStatus,
  KeyConfig,
  LatencyOption,
  LatencyRange,
  LatencySpec,
  RateLimit,
  RateLimits,
  RequestLogEntry,
  RouteName,
  StandinOptions,
  StandinStats,
  TokenTotals,
  VideoStats,
} from './types';
