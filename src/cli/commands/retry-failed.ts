import type { Client } from '@temporalio/client';
import { CatalogError, getModel, loadCatalog } from '../../gemini/catalog';
import { VideoStatusAttr, VideoStatusValue } from '../../search-attributes';
import { resetToFirstWorkflowTask } from '../../temporal/reset';
import { retrySignal } from '../../workflows/definitions';
import { CliError, ExitCode } from '../exit-codes';

export interface RetryFailedResult {
  /** Failed videos run again by a Reset: workflow id and the new run's id. */
  reset: Array<{ workflowId: string; runId: string }>;
  /** Videos waiting for a person (`--failure-grace`) that were sent `retry`. */
  signalled: string[];
}

/** Closed states of a video that ended without its lesson plan. */
const closedWithoutPlan = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT']);

const quoted = (batchId: string) => `"${batchId.replace(/["\\]/g, '')}"`;

/**
 * Runs every failed video of a batch again, finished or still running, as a person would from
 * the Web UI: a Reset to the first workflow task, so the same workflow id starts over from its
 * input and reports to its batch (or, when the batch has ended, updates its report). Videos
 * still waiting for a person (`--failure-grace`) are sent `retry` instead.
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
  const result: RetryFailedResult = { reset: [], signalled: [] };

  const waiting = `BatchId = ${quoted(batchId)} AND VideoStatus = "${VideoStatusValue.needsAttention}" AND ExecutionStatus = "Running"`;
  for await (const wf of client.workflow.list({ query: waiting })) {
    await client.workflow.getHandle(wf.workflowId).signal(retrySignal, retryArgs);
    result.signalled.push(wf.workflowId);
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

/** What `retry-failed` prints for people. */
export function describeRetry(result: RetryFailedResult): string {
  const lines: string[] = [];
  if (result.reset.length) {
    lines.push(`Running ${result.reset.length} failed video(s) again (reset to their first workflow task):`);
    for (const r of result.reset) lines.push(`  ${r.workflowId}  run ${r.runId}`);
  }
  if (result.signalled.length) {
    lines.push(`Retrying ${result.signalled.length} video(s) waiting for a person:`);
    for (const id of result.signalled) lines.push(`  ${id}`);
  }
  if (!lines.length) lines.push('No video of this batch has failed or is waiting for a retry.');
  return `${lines.join('\n')}\n`;
}
