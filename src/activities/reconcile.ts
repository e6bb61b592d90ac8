import { WorkflowNotFoundError } from '@temporalio/client';
import { FailureType } from '../failures';
import { outcomeInFailure } from '../workflows/failure-info';
import { emptyUsage, type VideoOutcome } from '../types';
import type { ActivityContext } from './context';

export interface ChildToReconcile {
  workflowId: string;
  key: string;
  title: string;
  source: string;
}

/**
 * Children a batch carried over from an earlier run can only report by signal. One terminated
 * (or timed out) from the UI never sends that signal, and the batch would wait for it forever.
 */
export function reconcileActivities(ctx: ActivityContext) {
  return {
    /** The outcomes of the given children that have closed; still-running ones are left out. */
    async reconcileChildren(input: { children: ChildToReconcile[] }): Promise<VideoOutcome[]> {
      const client = ctx.deps.temporal;
      if (!client) return [];
      const closed: VideoOutcome[] = [];
      for (const child of input.children) {
        const handle = client.workflow.getHandle(child.workflowId);
        let status: string;
        try {
          status = (await handle.describe()).status.name;
        } catch (err) {
          // Past the server's retention, or never started: nothing will ever report it.
          if (err instanceof WorkflowNotFoundError) status = 'NOT_FOUND';
          else throw err;
        }
        if (status === 'RUNNING') continue;
        if (status === 'COMPLETED' || status === 'FAILED') {
          // Its report signal was lost (rare); its result, or the outcome its failure carries, is the same outcome.
          const outcome = await handle.result().then(
            (result) => result as VideoOutcome,
            (err: unknown) => outcomeInFailure(err),
          );
          if (outcome) {
            closed.push(outcome);
            continue;
          }
        }
        closed.push({
          key: child.key,
          title: child.title,
          source: child.source,
          status: 'failed',
          errorType: FailureType.VideoWorkflowClosed,
          reason: `The video's workflow ended as ${status} without reporting (terminated, timed out or removed).`,
          usage: emptyUsage(),
          costUsd: 0,
        });
      }
      return closed;
    },
  };
}
