import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;
const ExcludeType = temporal.api.enums.v1.ResetReapplyExcludeType;

export interface ResetRequest {
  workflowId: string;
  /** The run to reset; the latest when omitted. */
  runId?: string;
  reason: string;
}

/**
 * What the Web UI's Reset does, choosing "first WorkflowTaskCompleted": the run is closed (or
 * left closed) and a new run of the same workflow id starts over from its input, keeping its
 * parent, search attributes and id. Signals of the old run are not replayed into the new one,
 * so the rerun depends only on its input. Returns the new run's id.
 */
export async function resetToFirstWorkflowTask(client: Client, request: ResetRequest): Promise<string> {
  const runId = request.runId ?? (await client.workflow.getHandle(request.workflowId).describe()).runId;
  const history = await client.workflow.getHandle(request.workflowId, runId).fetchHistory();
  const firstTask = history.events?.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  if (!firstTask?.eventId) {
    throw new Error(`${request.workflowId} has no completed workflow task to reset to (it never started running).`);
  }
  const resetRequest: temporal.api.workflowservice.v1.IResetWorkflowExecutionRequest = {
    namespace: client.options.namespace,
    workflowExecution: { workflowId: request.workflowId, runId },
    reason: request.reason,
    workflowTaskFinishEventId: firstTask.eventId,
    requestId: randomUUID(),
    resetReapplyExcludeTypes: [ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL],
    identity: client.options.identity,
  };
  const response = await (client.workflowService.resetWorkflowExecution(
    resetRequest,
  ) as Promise<temporal.api.workflowservice.v1.IResetWorkflowExecutionResponse>);
  if (!response.runId) throw new Error(`The server did not say which run replaced ${request.workflowId}.`);
  return response.runId;
}
