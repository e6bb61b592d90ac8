/**
 * API keys: which are valid, what they are called in stats and logs, and their limits. A key
 * value is only ever compared and hashed here; it never leaves this module.
 */
import type { IncomingMessage } from 'node:http';
import { invalidKey, missingKey } from './errors';
import type { KeyConfig, RateLimit, RateLimits } from './types';
import { sha256Hex } from './util';

export interface ResolvedKey {
  /** Configured name or key-<first 8 hex of sha256(value)>. */
  label: string;
  /** The project whose limits count the key's requests: configured, else the label. */
  project: string;
  tier: 'free' | 'paid';
  limits?: RateLimits;
}

export function anonymousLabel(value: string): string {
  return `key-${sha256Hex(value).slice(0, 8)}`;
}

/** The key a request carries: header `x-goog-api-key` or query `key`. */
export function requestKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-goog-api-key'];
  const value = Array.isArray(header) ? header[0] : header;
  if (value) return value;
  return url.searchParams.get('key') ?? undefined;
}

export class KeyRegistry {
  private byValue = new Map<string, KeyConfig>();

  constructor(
    keys: KeyConfig[] = [],
    private acceptUnknown = true,
    private defaultLimits?: RateLimits,
    private projectLimits: Record<string, RateLimits> = {},
  ) {
    this.setKeys(keys);
  }

  setProjectLimits(limits: Record<string, RateLimits> | undefined): void {
    this.projectLimits = limits ?? {};
  }

  private limitsOf(project: string, own: RateLimits | undefined): RateLimits | undefined {
    return this.projectLimits[project] ?? own ?? this.defaultLimits;
  }

  setKeys(keys: KeyConfig[]): void {
    this.byValue = new Map(keys.map((k) => [k.value, { ...k }]));
  }

  setAcceptUnknown(accept: boolean): void {
    this.acceptUnknown = accept;
  }

  setDefaultLimits(limits: RateLimits | undefined): void {
    this.defaultLimits = limits;
  }

  /** The label for a value without judging it (for logging refused requests). */
  labelOf(value: string | undefined): string {
    if (!value) return '-';
    return this.byValue.get(value)?.name ?? anonymousLabel(value);
  }

  /** Resolves a request's key or throws the API's own error for a missing or invalid one. */
  resolve(value: string | undefined): ResolvedKey {
    if (!value) throw missingKey();
    const configured = this.byValue.get(value);
    if (configured) {
      if (configured.valid === false) throw invalidKey();
      const project = configured.project ?? configured.name;
      return {
        label: configured.name,
        project,
        tier: configured.tier ?? 'free',
        limits: this.limitsOf(project, configured.limits),
      };
    }
    if (!this.acceptUnknown) throw invalidKey();
    const label = anonymousLabel(value);
    return { label, project: label, tier: 'free', limits: this.limitsOf(label, undefined) };
  }

  /** Tier and limits by label (for faults that need them). */
  byLabel(label: string): ResolvedKey | undefined {
    for (const k of this.byValue.values()) {
      if (k.name === label) {
        const project = k.project ?? label;
        return { label, project, tier: k.tier ?? 'free', limits: this.limitsOf(project, k.limits) };
      }
    }
    return undefined;
  }
}

/** The effective limit for a model: the model's entry over the `'*'` entry, field by field. */
export function limitFor(limits: RateLimits | undefined, model: string): RateLimit | undefined {
  if (!limits) return undefined;
  const merged: RateLimit = { ...limits['*'], ...limits[model] };
  return merged.rpm === undefined && merged.tpm === undefined && merged.rpd === undefined ? undefined : merged;
}
