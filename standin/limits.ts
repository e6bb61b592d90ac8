/**
 * Per key (project), per model rate limits for generateContent: requests and input tokens over a
 * sliding "minute", requests per "day". Refused requests do not count.
 */
import { quotaExceeded, type HttpError, type QuotaViolation } from './errors';
import type { RateLimit } from './types';
import { pacificDate } from './util';

interface WindowEntry {
  at: number;
  tokens: number;
}

export class RateLimiter {
  private windows = new Map<string, WindowEntry[]>();
  private daily = new Map<string, number>();
  private dayId = '';
  private dayOffset = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Drops the daily counters, as the real quota does at midnight Pacific. */
  advanceDay(): void {
    this.dayOffset++;
    this.daily.clear();
  }

  reset(): void {
    this.windows.clear();
    this.daily.clear();
  }

  private currentDay(): string {
    const id = `${pacificDate(this.now())}#${this.dayOffset}`;
    if (id !== this.dayId) {
      this.dayId = id;
      this.daily.clear();
    }
    return id;
  }

  private window(slot: string, minuteMs: number): WindowEntry[] {
    const cutoff = this.now() - minuteMs;
    const entries = this.windows.get(slot) ?? [];
    let drop = 0;
    while (drop < entries.length && entries[drop].at <= cutoff) drop++;
    const kept = drop > 0 ? entries.slice(drop) : entries;
    this.windows.set(slot, kept);
    return kept;
  }

  /**
   * Checks a request against the limit and, when it passes, records it. Throws the API's 429 when
   * a limit is exceeded.
   */
  admit(
    keyLabel: string,
    tier: 'free' | 'paid',
    model: string,
    limit: RateLimit | undefined,
    tokens: number,
    minuteMs: number,
  ): void {
    const slot = `${keyLabel}\u0000${model}`;
    this.currentDay();
    const entries = this.window(slot, minuteMs);
    if (limit) {
      const error = this.violation(entries, slot, tier, model, limit, tokens, minuteMs);
      if (error) throw error;
    }
    entries.push({ at: this.now(), tokens });
    this.daily.set(slot, (this.daily.get(slot) ?? 0) + 1);
  }

  private violation(
    entries: WindowEntry[],
    slot: string,
    tier: 'free' | 'paid',
    model: string,
    limit: RateLimit,
    tokens: number,
    minuteMs: number,
  ): HttpError | undefined {
    const now = this.now();
    if (limit.rpd !== undefined && (this.daily.get(slot) ?? 0) >= limit.rpd) {
      return quotaExceeded([{ kind: 'day-requests', model, tier, limit: limit.rpd }]);
    }
    const violations: QuotaViolation[] = [];
    let retryMs = 0;
    if (limit.rpm !== undefined && entries.length >= limit.rpm) {
      violations.push({ kind: 'minute-requests', model, tier, limit: limit.rpm });
      // The window frees a slot when the (length - rpm + 1)-th oldest entry leaves it.
      const freeing = entries[Math.max(0, entries.length - limit.rpm)];
      retryMs = Math.max(retryMs, (freeing?.at ?? now) + minuteMs - now);
    }
    if (limit.tpm !== undefined) {
      let used = entries.reduce((sum, e) => sum + e.tokens, 0);
      if (used + tokens > limit.tpm) {
        violations.push({ kind: 'minute-tokens', model, tier, limit: limit.tpm });
        let wait = minuteMs;
        for (const e of entries) {
          used -= e.tokens;
          if (used + tokens <= limit.tpm) {
            wait = e.at + minuteMs - now;
            break;
          }
        }
        retryMs = Math.max(retryMs, wait);
      }
    }
    if (violations.length === 0) return undefined;
    return quotaExceeded(violations, Math.max(1, retryMs));
  }
}
