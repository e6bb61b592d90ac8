import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { WithStartWorkflowOperation } from '@temporalio/client';
import { FailureType } from '../failures';
import type { KeyConfigView, Acquired } from '../keys/pool-state';
import { quotaWarnings } from '../keys/pool-state';
import { baseQueueOf } from '../keys/queues';
import { acquireKeyUpdate, keyPoolQuery, KeyPoolWorkflow, type KeyPoolInput } from '../workflows/key-pool-workflow';
import { keyPoolWorkflowId } from '../workflows/ids';
import type { ActivityContext } from './context';

export function keyActivities(ctx: ActivityContext) {
  return {
    /** Keys near a daily limit, from the shared key pool (none when the pool has not started). */
    async keyQuotaWarnings(input: { percent: number }): Promise<string[]> {
      const client = ctx.deps.temporal;
      if (!client) return [];
      try {
        const pool = await client.workflow
          .getHandle(keyPoolWorkflowId(baseQueueOf(Context.current().info.taskQueue)))
          .query(keyPoolQuery);
        return quotaWarnings(pool, input.percent);
      } catch {
        return [];
      }
    },

    /**
     * Asks the key pool (starting it if needed) which key the video should use for this model.
     * Only names and limits go to the pool; the values stay in this worker.
     */
    async chooseKey(input: { model: string }): Promise<Acquired> {
      const client = ctx.deps.temporal;
      const views: KeyConfigView[] = ctx.deps.keys?.map((k) => ({ alias: k.alias, limits: k.limits })) ?? [];
      if (!client || views.length === 0) {
        throw ApplicationFailure.create({
          type: FailureType.Configuration,
          nonRetryable: true,
          message: 'This worker has no Gemini keys configured.',
        });
      }
      const taskQueue = Context.current().info.taskQueue;
      return client.workflow.executeUpdateWithStart(acquireKeyUpdate, {
        args: [{ model: input.model, keys: views }],
        startWorkflowOperation: new WithStartWorkflowOperation(KeyPoolWorkflow, {
          workflowId: keyPoolWorkflowId(baseQueueOf(taskQueue)),
          taskQueue: baseQueueOf(taskQueue),
          args: [{ keys: views } satisfies KeyPoolInput],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: 'Gemini keys: quotas, parking and usage for this task queue',
        }),
      });
    },
  };
}
