/**
 * The expected cost and ceiling of a video when several templates each make a note from it: the
 * sum of each template's own estimate, with the video's input repriced where a context cache pays
 * (paid once at creation, then read at the cached price, plus storage: the expected time for the
 * expected figure, the whole ttl for the ceiling).
 */
import type { LoadedTemplate } from '../templates';
import { decideCache, cacheTtlSeconds, type CacheDecision } from './cache-plan';
import { estimateForVideo, type EstimateRequest, type TokenFigures, type VideoEstimate } from './estimate';

export interface TemplatesEstimate extends VideoEstimate {
  /** How many templates the figures cover. */
  templates: number;
  /** Set when the video would be cached: tokens held, and what the cache saves on the expected figure. */
  cache?: { tokens: number; savedUsd: number };
  /** Why the video would not be cached (several templates only). */
  noCacheReason?: string;
}

/** One estimate per template, summed, with the cache where it pays. One template: its estimate as is. */
export function estimateForTemplates(
  req: Omit<EstimateRequest, 'template'>,
  templates: LoadedTemplate[],
  /** Economy mode makes no context cache (storage over a job's hours costs more than it saves). */
  useCache = true,
): TemplatesEstimate {
  const each = templates.map((template) => estimateForVideo({ ...req, template }));
  const first = each[0];
  if (!first) throw new RangeError('estimateForTemplates needs at least one template');
  const sum = (pick: (e: VideoEstimate) => TokenFigures): TokenFigures => ({
    inputTokens: each.reduce((a, e) => a + pick(e).inputTokens, 0),
    outputTokens: each.reduce((a, e) => a + pick(e).outputTokens, 0),
    usd: each.reduce((a, e) => a + pick(e).usd, 0),
  });
  const total: TemplatesEstimate = {
    ...first,
    requests: each.reduce((a, e) => a + e.requests, 0),
    expected: sum((e) => e.expected),
    ceiling: sum((e) => e.ceiling),
    input: {
      media: each.reduce((a, e) => a + e.input.media, 0),
      text: each.reduce((a, e) => a + e.input.text, 0),
      tokensPerSecond: first.input.tokensPerSecond,
    },
    templates: templates.length,
  };
  if (templates.length < 2) return total;
  if (!useCache) return { ...total, noCacheReason: 'economy mode makes none' };
  // Cached only when every template sends the video whole at the default resolution.
  const whole = each.every((e) => e.strategy === 'whole' && e.resolution === 'default');
  const question = {
    model: req.model,
    templates: templates.length,
    durationSeconds: req.video.durationSeconds,
    plan: whole
      ? { strategy: 'whole' as const, resolution: 'default' as const }
      : { strategy: 'clips' as const, resolution: first.resolution },
    sourceKind: req.video.sourceKind,
    date: req.now,
  };
  const expected = decideCache(question);
  if (!expected.pays) return { ...total, noCacheReason: expected.reason };
  const ceiling = decideCache({ ...question, hours: cacheTtlSeconds / 3600 });
  const saved = (d: CacheDecision) => d.withoutCacheUsd - d.withCacheUsd;
  return {
    ...total,
    expected: { ...total.expected, usd: total.expected.usd - saved(expected) },
    // The ceiling keeps the cache only where it still saves with storage for its whole ttl.
    ceiling: { ...total.ceiling, usd: total.ceiling.usd - Math.max(0, saved(ceiling)) },
    cache: { tokens: expected.tokens, savedUsd: saved(expected) },
  };
}
