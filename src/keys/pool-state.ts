/**
 * The shared state of the Gemini keys: which are active, parked until their daily reset, or
 * disabled, and what each used today per model. Daily limits (rpd) belong to the key's project
 * (src/keys/projects.ts): its keys draw on one count. Pure functions, used by the KeyPoolWorkflow
 * (deterministic) and by unit tests.
 */
import { projectOf } from './projects';

export interface ModelLimits {
  rpm?: number;
  tpm?: number;
  rpd?: number;
}

export interface KeyConfigView {
  alias: string;
  /** The key's project (default: the key's own name); its limits are the project's. */
  project?: string;
  /** Limits by model id, or '*' for every model. */
  limits: Record<string, ModelLimits>;
}

export interface KeyUsage {
  requests: number;
  tokens: number;
}

export interface KeyState {
  alias: string;
  project?: string;
  status: 'active' | 'parked' | 'disabled';
  parkedUntil?: string;
  reason?: string;
  limits: Record<string, ModelLimits>;
  /** Today's usage (Pacific day) by model. */
  usage: Record<string, KeyUsage>;
}

export interface PoolState {
  day: string;
  keys: Record<string, KeyState>;
  /** Times a key was handed out, for spreading work evenly among unlimited keys. */
  handedOut: Record<string, number>;
}

export type Acquired = { alias: string } | { waitUntil: string; reason: string } | { error: string };

export function limitsFor(key: KeyState, model: string): ModelLimits {
  return { ...key.limits['*'], ...key.limits[model] };
}

/** The Pacific calendar day of an instant, e.g. "2026-11-22" (quotas reset at midnight Pacific). */
export function pacificDay(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/Los_Angeles',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

export function initialPool(keys: KeyConfigView[], now: Date): PoolState {
  const pool: PoolState = { day: pacificDay(now), keys: {}, handedOut: {} };
  syncKeys(pool, keys);
  return pool;
}

/** Brings the pool in line with the configured keys (added, removed, limits changed). */
export function syncKeys(pool: PoolState, keys: KeyConfigView[]): void {
  for (const k of keys) {
    const existing = pool.keys[k.alias];
    pool.keys[k.alias] = existing
      ? { ...existing, limits: k.limits, ...(k.project !== undefined ? { project: k.project } : {}) }
      : {
          alias: k.alias,
          ...(k.project !== undefined ? { project: k.project } : {}),
          status: 'active',
          limits: k.limits,
          usage: {},
        };
  }
  for (const alias of Object.keys(pool.keys)) if (!keys.some((k) => k.alias === alias)) delete pool.keys[alias];
}

/** A new Pacific day: usage starts again and parked keys come back. Disabled keys stay disabled. */
export function rollDay(pool: PoolState, now: Date): void {
  const today = pacificDay(now);
  for (const key of Object.values(pool.keys)) {
    if (key.status !== 'active' && key.parkedUntil && Date.parse(key.parkedUntil) <= now.getTime()) {
      key.status = 'active';
      key.parkedUntil = undefined;
      key.reason = undefined;
    }
  }
  if (today === pool.day) return;
  pool.day = today;
  for (const key of Object.values(pool.keys)) {
    key.usage = {};
    if (key.status === 'parked') {
      key.status = 'active';
      key.parkedUntil = undefined;
      key.reason = undefined;
    }
  }
}

/** The keys of a key's project (itself included). */
export function projectKeys(pool: PoolState, project: string): KeyState[] {
  return Object.values(pool.keys).filter((k) => projectOf(k) === project);
}

/** Requests and tokens today for this model by every key of the project. */
export function projectUsageToday(pool: PoolState, project: string, model: string): KeyUsage {
  const sum: KeyUsage = { requests: 0, tokens: 0 };
  for (const k of projectKeys(pool, project)) {
    sum.requests += k.usage[model]?.requests ?? 0;
    sum.tokens += k.usage[model]?.tokens ?? 0;
  }
  return sum;
}

/**
 * Requests left today for this model in the key's project (its keys share the count), or
 * Infinity without a daily limit. Without a pool the key is taken as its project's only key.
 */
export function remainingToday(key: KeyState, model: string, pool?: PoolState): number {
  const rpd = limitsFor(key, model).rpd;
  if (rpd === undefined) return Infinity;
  const used = pool ? projectUsageToday(pool, projectOf(key), model).requests : (key.usage[model]?.requests ?? 0);
  return Math.max(0, rpd - used);
}

/**
 * Picks a key with quota left for `model`, weighted by what remains today (keys without a daily
 * limit share evenly). `random` is in [0, 1): Math.random in a workflow is deterministic.
 */
export function acquire(pool: PoolState, model: string, now: Date, random: number, nextReset: Date): Acquired {
  rollDay(pool, now);
  const keys = Object.values(pool.keys);
  const active = keys.filter((k) => k.status === 'active');
  const usable = active.filter((k) => remainingToday(k, model, pool) > 0);
  // A project's remaining requests are shared by its usable keys, so a project with many keys
  // does not get more than its share.
  const sharers = (k: KeyState) => usable.filter((u) => projectOf(u) === projectOf(k)).length;
  const weight = (k: KeyState) => remainingToday(k, model, pool) / sharers(k);
  if (usable.length > 0) {
    const finite = usable.filter((k) => Number.isFinite(remainingToday(k, model, pool)));
    let chosen: KeyState;
    if (finite.length === usable.length) {
      const total = finite.reduce((s, k) => s + weight(k), 0);
      let pick = random * total;
      chosen = finite[finite.length - 1];
      for (const k of finite) {
        pick -= weight(k);
        if (pick < 0) {
          chosen = k;
          break;
        }
      }
    } else {
      // Some keys have no daily limit, so "what remains" cannot weigh them: hand out evenly to
      // every project with quota left (a limited key drops out once its day is used up), in
      // proportion to its tokens per minute where every project states one, and evenly among a
      // project's keys. A key that is its own project is handed out evenly, as before.
      const share = (k: KeyState) => evenShare(pool, usable, k, model);
      chosen = usable.reduce((a, b) => {
        const [sa, sb] = [share(a), share(b)];
        if (sa !== sb) return sa <= sb ? a : b;
        return (pool.handedOut[a.alias] ?? 0) <= (pool.handedOut[b.alias] ?? 0) ? a : b;
      });
    }
    pool.handedOut[chosen.alias] = (pool.handedOut[chosen.alias] ?? 0) + 1;
    // Count the request now so concurrent videos don't all take the last unit of quota.
    const u = (chosen.usage[model] ??= { requests: 0, tokens: 0 });
    u.requests++;
    return { alias: chosen.alias };
  }
  if (active.length === 0 && keys.every((k) => k.status === 'disabled')) {
    return {
      error: `Every Gemini key is disabled: ${keys.map((k) => `${k.alias} (${k.reason ?? 'disabled'})`).join(', ')}. Fix the keys and retry.`,
    };
  }
  const parkedUntil = keys
    .filter((k) => k.status === 'parked' && k.parkedUntil)
    .map((k) => Date.parse(k.parkedUntil as string));
  const earliest = Math.min(nextReset.getTime(), ...parkedUntil);
  return { waitUntil: new Date(earliest).toISOString(), reason: `every key has used its daily quota for ${model}` };
}

/** Keys handed out so far by the key's project, per unit of the project's tpm when every usable project has one. */
function evenShare(pool: PoolState, usable: KeyState[], key: KeyState, model: string): number {
  const project = projectOf(key);
  const handed = usable
    .filter((k) => projectOf(k) === project)
    .reduce((sum, k) => sum + (pool.handedOut[k.alias] ?? 0), 0);
  const allTpm = usable.every((k) => limitsFor(k, model).tpm !== undefined);
  return allTpm ? handed / (limitsFor(key, model).tpm as number) : handed;
}

/** After a call: tokens used (the request was counted at acquire). */
export function recordTokens(pool: PoolState, alias: string, model: string, tokens: number): void {
  const key = pool.keys[alias];
  if (!key) return;
  const u = (key.usage[model] ??= { requests: 0, tokens: 0 });
  u.tokens += tokens;
}

/** An acquired key that was not used after all (the call never went out). */
export function releaseRequest(pool: PoolState, alias: string, model: string): void {
  const u = pool.keys[alias]?.usage[model];
  if (u && u.requests > 0) u.requests--;
}

/** A daily quota is the project's: every key of the parked key's project waits for the reset. */
export function park(pool: PoolState, alias: string, until: string, reason: string): void {
  const parked = pool.keys[alias];
  if (!parked) return;
  for (const key of projectKeys(pool, projectOf(parked))) {
    if (key.status === 'disabled') continue;
    key.status = 'parked';
    key.parkedUntil = until;
    key.reason = key.alias === alias ? reason : `${reason} (project ${projectOf(parked)}, via key ${alias})`;
  }
}

/** A disabled key is tried again after this long, in case its value was fixed and workers restarted. */
export const disabledRetryMs = 3_600_000;

export function disable(pool: PoolState, alias: string, reason: string, now: Date): void {
  const key = pool.keys[alias];
  if (!key) return;
  key.status = 'disabled';
  key.parkedUntil = new Date(now.getTime() + disabledRetryMs).toISOString();
  key.reason = reason;
}

/** An operator's word that quotas were reset (or keys fixed): parked and disabled keys come back at once. */
export function unparkAll(pool: PoolState): void {
  for (const key of Object.values(pool.keys)) {
    if (key.status === 'active') continue;
    key.status = 'active';
    key.parkedUntil = undefined;
    key.reason = undefined;
    key.usage = {};
  }
}

/** Projects past `percent` % of a daily limit, as warnings for the CLI and the batch summary. */
export function quotaWarnings(pool: PoolState, percent: number): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const key of Object.values(pool.keys)) {
    const project = projectOf(key);
    for (const model of Object.keys(key.usage)) {
      if (seen.has(`${project}\u0000${model}`)) continue;
      seen.add(`${project}\u0000${model}`);
      const rpd = limitsFor(key, model).rpd;
      const usage = projectUsageToday(pool, project, model);
      if (rpd && usage.requests >= (rpd * percent) / 100) {
        const keys = projectKeys(pool, project);
        const who =
          keys.length === 1 && project === key.alias
            ? `key "${key.alias}"`
            : `project "${project}" (keys ${keys.map((k) => k.alias).join(', ')})`;
        out.push(
          `${who} has used ${usage.requests} of ${rpd} daily requests for ${model} (${Math.round((usage.requests / rpd) * 100)} %)`,
        );
      }
    }
  }
  return out;
}
