/**
 * Workflow ids: the one place that knows how they are built. Workflow-safe (no Node imports), so
 * the CLI, activities and workflows all use it.
 */

/** A video's workflow id within its batch: found again by a resumed or continued batch. */
export const videoWorkflowId = (batchId: string, videoKey: string): string => `${batchId}/${videoKey}`;

/** The video key of a workflow id made by videoWorkflowId. */
export const videoKeyOf = (batchId: string, workflowId: string): string => workflowId.slice(batchId.length + 1);

/** One key pool per task queue, shared by every worker of that queue. */
export const keyPoolWorkflowId = (taskQueue: string): string => `lesson-forge-keys/${taskQueue}`;
