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

export type KeyEvent =
  | { type: 'tokens'; alias: string; model: string; tokens: number }
  | { type: 'release'; alias: string; model: string }
  | { type: 'park'; alias: string; until: string; reason: string }
  | { type: 'disable'; alias: string; reason: string };

export interface KeyPoolInput {
  keys: KeyConfigView[];
  state?: PoolState;
}

export const acquireKeyUpdate = defineUpdate<Acquired, [{ model: string; keys: KeyConfigView[] }]>('acquireKey');
export const keyEventSignal = defineSignal<[KeyEvent]>('keyEvent');
export const resetQuotasSignal = defineSignal('resetQuotas');
export const keyPoolQuery = defineQuery<PoolState>('keys');

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
      else disable(pool, event.alias, event.reason, new Date());
    },
    { description: 'Usage and health reports from videos: tokens used, a key parked until its reset, or disabled.' },
  );
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
  await continueAsNew<typeof KeyPoolWorkflow>({ keys, state: pool });
}
