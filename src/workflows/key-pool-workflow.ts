import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { nextPacificMidnight } from '../gemini/quota-reset';
import {
  acquire,
  disable,
  initialPool,
  park,
  recordTokens,
  releaseRequest,
  rollDay,
  syncKeys,
  unparkAll,
  type Acquired,
  type KeyConfigView,
  type PoolState,
} from '../keys/pool-state';
import {
  MinuteLedger,
  type LedgerState,
  type MinuteUsage,
  type Reservation,
  type ReserveRequest,
} from '../keys/minute-ledger';

export type KeyEvent =
  | { type: 'tokens'; alias: string; model: string; tokens: number }
  | { type: 'release'; alias: string; model: string }
  | { type: 'park'; alias: string; until: string; reason: string }
  | { type: 'disable'; alias: string; reason: string }
  /** A call booked with reserveTokens is over: the input tokens it really sent (0: it never reached Gemini). */
  | { type: 'settle'; id: string; project: string; model: string; tokens: number };

export interface KeyPoolInput {
  keys: KeyConfigView[];
  state?: PoolState;
  /** Per project and model: the calls booked against the minute's input-token budget. */
  ledger?: LedgerState;
}

export type { MinuteUsage };

export const acquireKeyUpdate = defineUpdate<Acquired, [{ model: string; keys: KeyConfigView[] }]>('acquireKey');
export const keyEventSignal = defineSignal<[KeyEvent]>('keyEvent');
export const resetQuotasSignal = defineSignal('resetQuotas');
export const keyPoolQuery = defineQuery<PoolState>('keys');
export const reserveTokensUpdate = defineUpdate<Reservation, [Omit<ReserveRequest, 'now'>]>('reserveTokens');
export const minuteUsageQuery = defineQuery<MinuteUsage[]>('minuteUsage');

/** Continue as new well before the history gets long; a pool lives as long as the workers. */
const maxEventsPerRun = 4000;
const maxMessagesPerRun = 500;

/**
 * One per task queue: the shared view of every Gemini key (active, parked until its daily reset,
 * disabled), today's usage per model against its limits, and which key the next video should use.
 * Every worker and video sees the same state, so quotas are counted once across all of them.
 */
export async function KeyPoolWorkflow(input: KeyPoolInput): Promise<void> {
  const pool = input.state ?? initialPool(input.keys, new Date());
  const ledger = new MinuteLedger(input.ledger);
  let keys = input.keys;
  let messages = 0;

  setHandler(
    acquireKeyUpdate,
    ({ model, keys: configured }) => {
      messages++;
      keys = configured;
      syncKeys(pool, configured);
      return acquire(pool, model, new Date(), Math.random(), nextPacificMidnight(new Date()));
    },
    {
      description: 'Hand out the key a video should use for a model (weighted by quota left), or say how long to wait.',
    },
  );
  setHandler(
    keyEventSignal,
    (event) => {
      messages++;
      rollDay(pool, new Date());
      if (event.type === 'tokens') recordTokens(pool, event.alias, event.model, event.tokens);
      else if (event.type === 'release') releaseRequest(pool, event.alias, event.model);
      else if (event.type === 'park') park(pool, event.alias, event.until, event.reason);
      else if (event.type === 'settle') ledger.settle(event.id, event.project, event.model, event.tokens);
      else disable(pool, event.alias, event.reason, new Date());
    },
    { description: 'Usage and health reports from videos: tokens used, a key parked until its reset, or disabled.' },
  );
  setHandler(
    reserveTokensUpdate,
    (request) => {
      messages++;
      return ledger.reserve({ ...request, now: Date.now() });
    },
    {
      description:
        "Book a call's expected input tokens against its project's per-minute budget: go now, or the moment to start.",
    },
  );
  setHandler(minuteUsageQuery, () => ledger.minuteUsage(Date.now()), {
    description: 'Per project and model: input tokens in the last minute, booked ahead, and calls waiting.',
  });
  setHandler(resetQuotasSignal, () => unparkAll(pool), {
    description: 'Bring every parked or disabled key back now (after a quota raise, an early reset, or a fixed key).',
  });
  setHandler(
    keyPoolQuery,
    () => {
      rollDay(pool, new Date());
      return pool;
    },
    { description: 'Every key: state, parked until when, disabled why, and usage today per model.' },
  );

  await condition(
    () =>
      messages >= maxMessagesPerRun ||
      workflowInfo().continueAsNewSuggested ||
      workflowInfo().historyLength > maxEventsPerRun,
  );
  await condition(allHandlersFinished);
  ledger.pruneAll(Date.now());
  await continueAsNew<typeof KeyPoolWorkflow>({
    keys,
    state: pool,
    ...(Object.keys(ledger.state.slots).length ? { ledger: ledger.state } : {}),
  });
}
