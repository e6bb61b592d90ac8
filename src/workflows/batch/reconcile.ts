import { condition, log, sleep } from '@temporalio/workflow';
import type { BatchCarriedState } from '../../types';
import { housekeeping } from '../activity-proxies';
import { recordOutcome } from '../batch-state';
import { videoWorkflowId } from '../ids';

/** Children described per reconcile activity, so its payloads stay small. */
const reconcileChunk = 100;

/**
 * A child carried over from an earlier run and then terminated from the UI never reports; without
 * this the batch would wait for it forever. Asks about carried children every so often; only a
 * timer ticks while nothing is carried.
 */
export async function reconcileCarriedChildren(
  batchId: string,
  state: BatchCarriedState,
  carried: () => string[],
  everySeconds: number,
): Promise<void> {
  for (;;) {
    await condition(() => carried().length > 0);
    await sleep(everySeconds * 1000, { summary: 'next check on videos carried over from an earlier run' });
    const ids = carried();
    for (let i = 0; i < ids.length; i += reconcileChunk) {
      const children = ids
        .slice(i, i + reconcileChunk)
        .map((workflowId) => ({ workflowId, ...state.pending[workflowId] }));
      try {
        const label = `check on ${children.length} video(s) carried over from an earlier run`;
        const closed = await housekeeping.reconcileChildren.executeWithOptions({ summary: label }, [
          {
            children: children
              .filter((c) => c.key)
              .map(({ workflowId, key, title, source }) => ({ workflowId, key, title, source })),
          },
        ]);
        for (const outcome of closed) {
          if (recordOutcome(state, videoWorkflowId(batchId, outcome.key), outcome))
            log.warn('a video ended without reporting', { key: outcome.key, status: outcome.status });
        }
      } catch (err) {
        log.warn('could not check on carried-over videos; trying again later', { error: String(err) });
      }
    }
  }
}
