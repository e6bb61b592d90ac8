import { templatesText } from '../workflows/labels';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleExecutionResult,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleOverlapPolicy,
  type ScheduleSpec,
} from '@temporalio/client';
import { TemplateAttr } from '../search-attributes';
import { rootFailureOf } from '../temporal/errors';
import type { BatchInput, BatchSummary } from '../types';
import { BatchWorkflow } from '../workflows';
import { toListRow, toScheduleView, type RunState, type ScheduleListRow, type ScheduleView } from './view';

/** A schedule name is also the prefix of its runs' batch ids, so it follows the batch id rules. */
export const scheduleNamePattern = /^[\p{L}\p{N}._-]{1,60}$/u;

export class ScheduleMissingError extends Error {
  constructor(readonly scheduleName: string) {
    super(`No schedule named "${scheduleName}". See them with: lesson-forge schedule list`);
  }
}

export interface ScheduleDefinition {
  name: string;
  spec: ScheduleSpec;
  overlap: ScheduleOverlapPolicy;
  /** The batch every run starts; its batchId is blanked so each run uses its own workflow id. */
  input: BatchInput;
  taskQueue: string;
}

function actionOf(def: ScheduleDefinition): ScheduleOptionsStartWorkflowAction<typeof BatchWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: BatchWorkflow,
    // Temporal appends "-<scheduled time>" to this id for each run; BatchWorkflow takes that full
    // workflow id as its batch id because input.batchId is empty, so every run is its own batch.
    workflowId: def.name,
    taskQueue: def.taskQueue,
    args: [{ ...def.input, batchId: '' }],
    staticSummary: `schedule ${def.name}: ${def.input.label}, ${templatesText(def.input.options)}, ${def.input.options.models[0]}`,
    typedSearchAttributes: [{ key: TemplateAttr, value: def.input.options.template }],
  };
}

/** Creates the schedule, or updates it in place (keeping its history and paused state) when it exists. */
export async function upsertSchedule(client: Client, def: ScheduleDefinition): Promise<'created' | 'updated'> {
  const action = actionOf(def);
  // A run missed while the server or workers were down is made up within a day, not a year later.
  const policies = { overlap: def.overlap, catchupWindow: 24 * 3600 * 1000 };
  try {
    await client.schedule.create({ scheduleId: def.name, spec: def.spec, action, policies });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule
    .getHandle(def.name)
    .update((previous) => ({ ...previous, spec: def.spec, action, policies: { ...previous.policies, ...policies } }));
  return 'updated';
}

async function guard<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new ScheduleMissingError(name);
    throw err;
  }
}

/** The innermost reason, with its type: a failed batch wraps an activity failure that wraps the real problem. */
function rootCauseOf(err: unknown): string {
  const root = rootFailureOf(err);
  return root.type ? `${root.type}: ${root.message}` : root.message;
}

/** Where a scheduled run stands now; a run the server no longer keeps is GONE. */
export async function runStateOf(client: Client, r: ScheduleExecutionResult): Promise<RunState> {
  const batchId = r.action.workflow.workflowId;
  const handle = client.workflow.getHandle<typeof BatchWorkflow>(batchId);
  const base = { batchId, scheduledAt: r.scheduledAt };
  try {
    const status = (await handle.describe()).status.name;
    if (status === 'COMPLETED') return { ...base, status, summary: (await handle.result()) as BatchSummary };
    if (status === 'RUNNING') return { ...base, status };
    // Failed, terminated, cancelled or timed out: the result call carries the reason.
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => rootCauseOf(e),
    );
    return { ...base, status, error };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { ...base, status: 'GONE', error: 'no longer kept by the server' };
    throw err;
  }
}

export async function readSchedule(client: Client, name: string): Promise<ScheduleView> {
  const d = await guard(name, () => client.schedule.getHandle(name).describe());
  const seen = new Set<string>();
  const actions = [...d.info.recentActions].filter(
    (a) => !seen.has(a.action.workflow.workflowId) && seen.add(a.action.workflow.workflowId),
  );
  const runs = await Promise.all(actions.map((a) => runStateOf(client, a)));
  return toScheduleView(d, runs);
}

export async function listSchedules(client: Client): Promise<ScheduleListRow[]> {
  const rows: ScheduleListRow[] = [];
  for await (const s of client.schedule.list()) {
    if (s.action?.workflowType === BatchWorkflow.name) rows.push(toListRow(s));
  }
  return rows.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Starts a run now (whatever the spec says) and returns its batch id once the
 * server shows it, or undefined if it has not appeared within the wait (e.g. skipped for overlap).
 */
export async function triggerSchedule(client: Client, name: string, waitMs = 10_000): Promise<string | undefined> {
  const handle = client.schedule.getHandle(name);
  const before = await guard(name, () => handle.describe());
  const known = new Set(before.info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger();
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const d = await handle.describe();
    const fresh = [...d.info.recentActions, ...d.info.runningActions.map((action) => ({ action }))].find(
      (a) => !known.has(a.action.workflow.workflowId),
    );
    if (fresh) return fresh.action.workflow.workflowId;
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

export const pauseSchedule = (client: Client, name: string, note?: string): Promise<void> =>
  guard(name, () => client.schedule.getHandle(name).pause(note || 'paused from lesson-forge'));

export const resumeSchedule = (client: Client, name: string, note?: string): Promise<void> =>
  guard(name, () => client.schedule.getHandle(name).unpause(note || 'resumed from lesson-forge'));

/** Removes the schedule; runs already started go on, and their outputs and manifest stay. */
export const deleteSchedule = (client: Client, name: string): Promise<void> =>
  guard(name, () => client.schedule.getHandle(name).delete());
