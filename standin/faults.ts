/**
 * Fault injection. Rules are checked in insertion order; a rule that fires uses up one of its
 * `times`. A `delay` rule waits and lets later rules still fire; any other action ends the search.
 */
import type { FaultAction, FaultRoute, FaultRule } from './types';
import { isRecord, randomToken } from './util';

export interface FaultContext {
  video?: string;
  model?: string;
  key?: string;
  /** generate: video parts in the request. */
  mediaParts?: number;
}

interface StoredRule {
  id: string;
  rule: FaultRule;
  remaining: number;
}

const routes: readonly FaultRoute[] = [
  'generate',
  'upload.start',
  'upload.chunk',
  'files.get',
  'files.delete',
  'batch.create',
  'batch.request',
  'any',
];
const actionTypes = new Set([
  'http',
  'finish',
  'max-tokens-below',
  'blocked-prompt',
  'invalid-json',
  'schema-mismatch',
  'file-failed',
  'delay',
  'reset',
]);

/** Validates a rule that came over HTTP; returns an error message or undefined. */
export function checkFaultRule(value: unknown): string | undefined {
  if (!isRecord(value)) return 'a fault rule must be a JSON object';
  if (!routes.includes(value.route as FaultRoute)) return `route must be one of ${routes.join(', ')}`;
  if (!isRecord(value.action) || !actionTypes.has(value.action.type as string)) {
    return `action.type must be one of ${[...actionTypes].join(', ')}`;
  }
  const action = value.action;
  if (action.type === 'http' && action.status === undefined && action.kind === undefined)
    return 'an http action needs status or kind';
  if (action.type === 'delay' && typeof action.ms !== 'number') return 'a delay action needs ms';
  if (action.type === 'max-tokens-below' && typeof action.tokens !== 'number')
    return 'a max-tokens-below action needs tokens';
  if ((action.type === 'finish' || action.type === 'blocked-prompt') && typeof action.reason !== 'string') {
    return `a ${action.type} action needs reason`;
  }
  if (value.match !== undefined && !isRecord(value.match)) return 'match must be an object';
  return undefined;
}

export class FaultEngine {
  private rules: StoredRule[] = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(rule: FaultRule): string {
    const id = `fault-${randomToken(6)}`;
    this.rules.push({ id, rule: structuredClone(rule), remaining: rule.times ?? Number.POSITIVE_INFINITY });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<FaultRule & { id: string; remaining: number | null }> {
    return this.rules.map((r) => ({
      ...structuredClone(r.rule),
      id: r.id,
      remaining: Number.isFinite(r.remaining) ? r.remaining : null,
    }));
  }

  /**
   * The actions that fire for a request: zero or more delays, then at most one other action.
   * `accepts` says which action types make sense at this point of this route; rules whose action
   * it refuses are skipped without being used up.
   */
  select(
    route: Exclude<FaultRoute, 'any'>,
    ctx: FaultContext,
    accepts: (action: FaultAction) => boolean,
  ): FaultAction[] {
    const fired: FaultAction[] = [];
    for (const stored of this.rules) {
      const { rule } = stored;
      if (stored.remaining <= 0) continue;
      if (rule.route !== 'any' && rule.route !== route) continue;
      if (!matches(rule, ctx)) continue;
      const generic = rule.action.type === 'http' || rule.action.type === 'delay' || rule.action.type === 'reset';
      if (!generic && !accepts(rule.action)) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      stored.remaining--;
      fired.push(structuredClone(rule.action));
      if (rule.action.type !== 'delay') break;
    }
    return fired;
  }
}

function matches(rule: FaultRule, ctx: FaultContext): boolean {
  const m = rule.match;
  if (!m) return true;
  if (m.video !== undefined && !(ctx.video ?? '').includes(m.video)) return false;
  if (m.model !== undefined && ctx.model !== m.model && ctx.model !== m.model.replace(/^models\//, '')) return false;
  if (m.key !== undefined && ctx.key !== m.key) return false;
  if (m.withVideo !== undefined && (ctx.mediaParts ?? 0) > 0 !== m.withVideo) return false;
  return true;
}
