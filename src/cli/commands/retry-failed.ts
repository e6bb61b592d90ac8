import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { CatalogError, getModel, loadCatalog } from '../../gemini/catalog';
import { VideoStatusAttr, VideoStatusValue } from '../../search-attributes';
import { resetToFirstWorkflowTask } from '../../temporal/reset';
import { retrySignal, retryUpdate, skipUpdate } from '../../workflows/definitions';
import { videoKeyOf } from '../../workflows/ids';
import { CliError, ExitCode } from '../exit-codes';

export interface RetryFailedResult {
  /** Failed videos run again by a Reset: workflow id and the new run's id. */
  reset: Array<{ workflowId: string; runId: string }>;
  /** Videos waiting for a person (`--failure-grace`), asked to retry: what each answered. */
  retried: Array<{ workflowId: string; accepted: boolean; message: string }>;
}

/** Closed states of a video that ended without its lesson plan. */
const closedWithoutPlan = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT']);

const quoted = (batchId: string) => `"${batchId.replace(/["\\]/g, '')}"`;

/**
 * Runs every failed video of a batch again, finished or still running, as a person would from
 * the Web UI: a Reset to the first workflow task, so the same workflow id starts over from its
 * input and reports to its batch (or, when the batch has ended, updates its report). Videos
 * still waiting for a person (`--failure-grace`) are asked to retry (an Update: each says whether it took).
 *
 * A reset cannot change a workflow's input, so `model` reaches the rerun as a `retry` signal sent
 * to the new run right after the reset: it lands while the rerun inspects or uploads (steps that
 * use no model) and every analysis that starts after it uses that model. Being in the history,
 * it replays the same. (Servers from 1.28 could deliver it with the reset itself, as a
 * post-reset operation; the bundled 1.32 dev server refuses signal operations there.)
 */
export async function retryFailedVideos(
  client: Client,
  batchId: string,
  options: { model?: string } = {},
): Promise<RetryFailedResult> {
  if (options.model) {
    try {
      getModel(loadCatalog(), options.model);
    } catch (err) {
      if (err instanceof CatalogError) throw new CliError(`--model: ${err.message}`, ExitCode.configuration);
      throw err;
    }
  }
  const retryArgs = options.model ? { model: options.model } : undefined;
  const result: RetryFailedResult = { reset: [], retried: [] };

  for (const workflowId of await videosNeedingAttention(client, batchId)) {
    const answer = await decide(client, workflowId, 'retry', { model: options.model });
    result.retried.push({ workflowId, ...answer });
  }

  // Every run is listed, old ones included: a video reset earlier has a failed run and a newer
  // one. Only a video whose latest run ended without its plan is run again.
  const failed =
    `BatchId = ${quoted(batchId)} AND WorkflowType = "VideoWorkflow" AND ` +
    `(ExecutionStatus = "Failed" OR ExecutionStatus = "Terminated" OR ExecutionStatus = "TimedOut" OR ` +
    `(ExecutionStatus = "Completed" AND VideoStatus = "${VideoStatusValue.failed}"))`;
  const candidates = new Set<string>();
  for await (const wf of client.workflow.list({ query: failed })) candidates.add(wf.workflowId);
  for (const workflowId of [...candidates].sort()) {
    const latest = await client.workflow.getHandle(workflowId).describe();
    const status = latest.status.name;
    const failedForGood =
      closedWithoutPlan.has(status) ||
      (status === 'COMPLETED' && latest.typedSearchAttributes.get(VideoStatusAttr) === VideoStatusValue.failed);
    if (!failedForGood) continue;
    const runId = await resetToFirstWorkflowTask(client, {
      workflowId,
      runId: latest.runId,
      reason: `lesson-forge retry-failed${options.model ? ` --model ${options.model}` : ''}`,
    });
    if (retryArgs) await client.workflow.getHandle(workflowId, runId).signal(retrySignal, retryArgs);
    result.reset.push({ workflowId, runId });
  }
  return result;
}

/** Videos of a batch that wait for a person (a step failed for good, within the grace period). */
export async function videosNeedingAttention(client: Client, batchId: string): Promise<string[]> {
  const ids: string[] = [];
  const query = `BatchId = ${quoted(batchId)} AND VideoStatus = "${VideoStatusValue.needsAttention}" AND ExecutionStatus = "Running"`;
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}

/**
 * Sends a person's decision as an Update, so the video says whether it took it: a video that is no
 * longer waiting (it was retried or skipped meanwhile, or its grace period ran out) refuses, with why.
 */
export async function decide(
  client: Client,
  workflowId: string,
  kind: 'retry' | 'skip',
  args: { model?: string; reason?: string },
): Promise<{ accepted: boolean; message: string }> {
  try {
    const handle = client.workflow.getHandle(workflowId);
    return kind === 'retry'
      ? await handle.executeUpdate(retryUpdate, { args: [{ model: args.model }] })
      : await handle.executeUpdate(skipUpdate, { args: [{ reason: args.reason }] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      return { accepted: false, message: err.cause?.message ?? err.message };
    throw err;
  }
}

/** What `retry-failed` prints for people. */
export function describeRetry(batchId: string, result: RetryFailedResult): string {
  const lines: string[] = [];
  if (result.reset.length) {
    lines.push(`Running ${result.reset.length} failed video(s) again (reset to their first workflow task):`);
    for (const r of result.reset) lines.push(`  ${r.workflowId}  run ${r.runId}`);
  }
  if (result.retried.length) {
    const took = result.retried.filter((r) => r.accepted).length;
    lines.push(`Retried ${took} of ${result.retried.length} waiting video(s):`);
    for (const r of result.retried)
      lines.push(`  ${videoKeyOf(batchId, r.workflowId)}: ${r.accepted ? r.message : `refused: ${r.message}`}`);
  }
  if (!lines.length) lines.push('No video of this batch has failed or is waiting for a retry.');
  return `${lines.join('\n')}\n`;
}
