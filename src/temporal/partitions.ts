import type { ConnectionLike } from '@temporalio/client';
import { keyQueueName } from '../keys/queues';

type Connection = Pick<ConnectionLike, 'workflowService'>;

/** TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY and TaskQueueKind.TASK_QUEUE_KIND_NORMAL of Temporal's API. */
const ACTIVITY = 2;
const NORMAL = 1;

/** How many partitions past the root are looked at; servers default to 4 partitions in all. */
const probedPartitions = 7;

/** Key queues the config file implies (names and limits only, no key values). */
export function keyQueuesOf(
  taskQueue: string,
  keys: Array<{ name: string; project?: string; limits?: Record<string, { rpm?: number }> }>,
): string[] {
  const queues = keys.flatMap((k) =>
    Object.entries(k.limits ?? {})
      .filter(([, l]) => l.rpm !== undefined)
      .map(([model]) => keyQueueName(taskQueue, k.project ?? k.name, model)),
  );
  return [...new Set(queues)];
}

/**
 * How many partitions of an activity task queue have pollers: 1 when the server gives the queue
 * one partition, more when it spreads it (the default is 4). Pollers are spread over the
 * partitions by the server, so the non-root partitions `/_sys/<queue>/<n>` show pollers only then.
 * 0 when no worker polls the queue (nothing to tell).
 */
export async function partitionsWithPollers(connection: Connection, namespace: string, queue: string): Promise<number> {
  const names = [queue, ...Array.from({ length: probedPartitions }, (_, i) => `/_sys/${queue}/${i + 1}`)];
  const polled = await Promise.all(
    names.map(async (name) => {
      try {
        const r = await connection.workflowService.describeTaskQueue({
          namespace,
          taskQueue: { name, kind: NORMAL },
          taskQueueType: ACTIVITY,
        });
        return (r.pollers?.length ?? 0) > 0;
      } catch {
        return false;
      }
    }),
  );
  return polled.filter(Boolean).length;
}

/** The exact dynamic config that gives each key queue one partition, so its rate limit is one bucket. */
export function partitionAdvice(namespace: string, queues: string[]): string {
  const entries = (setting: string) =>
    `${setting}:\n` +
    queues
      .map(
        (q) =>
          `  - value: 1\n    constraints: { namespace: "${namespace}", taskQueueName: "${q}", taskType: "Activity" }`,
      )
      .join('\n');
  return (
    "Add to the Temporal server's dynamic config file (write partitions first; read partitions once the queue is empty):\n" +
    `${entries('matching.numTaskqueueWritePartitions')}\n${entries('matching.numTaskqueueReadPartitions')}\n` +
    'For `temporal server start-dev`, start it with --dynamic-config-value matching.numTaskqueueReadPartitions=1 ' +
    '--dynamic-config-value matching.numTaskqueueWritePartitions=1 (what `lesson-forge server` and `serve` do).'
  );
}

/** Key queues served by more than one partition: their per-minute limit lets bursts through. */
export async function splitKeyQueues(
  connection: Connection,
  namespace: string,
  queues: string[],
): Promise<Array<{ queue: string; partitions: number }>> {
  const seen = await Promise.all(
    queues.map(async (queue) => ({ queue, partitions: await partitionsWithPollers(connection, namespace, queue) })),
  );
  return seen.filter((s) => s.partitions > 1);
}

export function partitionWarning(namespace: string, split: Array<{ queue: string; partitions: number }>): string {
  return (
    `Per-minute key limits are not exact here: ${split.map((s) => `${s.queue} is served by ${s.partitions} partitions`).join('; ')}. ` +
    "The server splits a queue's rate among its partitions, each with its own bucket: calls start in bursts that " +
    'Gemini answers with 429 (then waited out) and part of the limit goes unused (measured with 4 partitions: ' +
    '57 % of the limit used, 5 % of calls answered 429; with 1: 100 %, none). ' +
    partitionAdvice(
      namespace,
      split.map((s) => s.queue),
    )
  );
}

/** TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW of Temporal's API. */
const WORKFLOW = 1;

/** True when some worker has polled the queue's workflow tasks in the last minutes. */
export async function queueHasWorkers(connection: Connection, namespace: string, queue: string): Promise<boolean> {
  try {
    const r = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: queue, kind: NORMAL },
      taskQueueType: WORKFLOW,
    });
    return (r.pollers?.length ?? 0) > 0;
  } catch {
    return true; // cannot tell: say nothing
  }
}
