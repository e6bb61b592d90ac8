import type { ModelCatalog } from '../../src/gemini/catalog';
import { getModel, priceAt } from '../../src/gemini/catalog';
import type { GeminiStandin } from '../../standin';

/** What the stand-in served, priced as Google bills it: from its own counters, not the project's estimates. */
export interface StandinBill {
  usd: number;
  /** Interactive generate calls: fresh input, cached input and output (thinking included). */
  interactiveUsd: number;
  /** Batch API requests, at their price factor. */
  batchUsd: number;
  /** Caches: their creation (input price) and storage (token-hours). */
  cacheCreateUsd: number;
  storageUsd: number;
  cachedReadTokens: number;
  caches: number;
}

/**
 * Prices the stand-in's traffic with the catalog's prices (the default input price: these models
 * price every modality alike). Interactive tokens come from `stats().tokensByModel`; cached reads
 * from each cache's reads × tokens (batch requests' cached tokens are in their own bills); storage
 * from each cache's token-hours.
 */
export async function billOf(
  standin: GeminiStandin,
  catalog: ModelCatalog,
  date = new Date(),
  /** Caches and Batch API jobs (by name) of earlier runs, left out of this bill. */
  earlier: { earlierCaches?: Set<string>; earlierJobs?: Set<string> } = {},
): Promise<StandinBill> {
  const prices = (model: string) => {
    const period = priceAt(getModel(catalog, model), date);
    return {
      input: period.inputPerMillion.default / 1e6,
      cached: (period.cachedInputPerMillion?.default ?? period.inputPerMillion.default) / 1e6,
      output: period.outputPerMillion / 1e6,
      storage: (period.cacheStoragePerMillionPerHour ?? 0) / 1e6,
    };
  };
  const caches = standin.caches.caches().filter((c) => !earlier.earlierCaches?.has(c.name));
  const jobs = (await standin.batches.jobs()).filter((j) => !earlier.earlierJobs?.has(j.name));
  const cachedByModel = new Map<string, number>();
  for (const c of caches) cachedByModel.set(c.model, (cachedByModel.get(c.model) ?? 0) + c.reads * c.tokens);
  let batchUsd = 0;
  for (const job of jobs) {
    const p = prices(job.model);
    for (const b of job.bills) {
      if (!b.ok) continue;
      cachedByModel.set(job.model, (cachedByModel.get(job.model) ?? 0) - b.cachedTokens);
      batchUsd +=
        ((b.promptTokens - b.cachedTokens) * p.input +
          b.cachedTokens * p.cached +
          (b.candidatesTokens + b.thoughtsTokens) * p.output) *
        b.priceFactor;
    }
  }
  let interactiveUsd = 0;
  let cachedReadTokens = 0;
  for (const [model, t] of Object.entries(standin.stats().tokensByModel)) {
    const p = prices(model);
    const cached = Math.max(0, cachedByModel.get(model) ?? 0);
    cachedReadTokens += cached;
    interactiveUsd += (t.prompt - cached) * p.input + cached * p.cached + (t.candidates + t.thoughts) * p.output;
  }
  let cacheCreateUsd = 0;
  let storageUsd = 0;
  for (const c of caches) {
    const p = prices(c.model);
    cacheCreateUsd += c.tokens * p.input;
    storageUsd += c.storageTokenHours * p.storage;
  }
  return {
    usd: interactiveUsd + batchUsd + cacheCreateUsd + storageUsd,
    interactiveUsd,
    batchUsd,
    cacheCreateUsd,
    storageUsd,
    cachedReadTokens,
    caches: caches.length,
  };
}
