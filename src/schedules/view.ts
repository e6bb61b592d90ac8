import { templatesText } from '../workflows/labels';
import type { ScheduleDescription, ScheduleSummary } from '@temporalio/client';
import type { BatchInput, BatchSummary } from '../types';
import { describeSpec, overlapChoiceOf } from './spec';

/** The reason the video workflow gives a video it skips because its output is current. */
const upToDateReason = /^up to date\b/;

/**
 * True when a finished batch found nothing to do: every video was skipped as up to date (the
 * manifest matched), so nothing was spent. A batch whose every skip is listed and up to date.
 */
export function isNothingNew(s: BatchSummary): boolean {
  return (
    s.succeeded === 0 &&
    s.failed === 0 &&
    !s.stoppedEarly &&
    s.skipped === s.total &&
    s.costUsd === 0 &&
    s.skippedVideos.every((v) => upToDateReason.test(v.reason))
  );
}

/** One line for a finished batch: "nothing new", or its counts and cost. */
export function outcomeLine(s: BatchSummary): string {
  if (isNothingNew(s)) return `nothing new (${s.total} up to date, $0 spent)`;
  const parts = [`${s.succeeded} succeeded`, `${s.failed} failed`, `${s.skipped} skipped`, `$${s.costUsd.toFixed(4)}`];
  if (s.stoppedEarly) parts.push(`stopped early: ${s.stoppedEarly}`);
  return parts.join(', ');
}

/** What a scheduled run's workflow looks like now, as fetched from the server. */
export interface RunState {
  batchId: string;
  scheduledAt: Date;
  /** Workflow status name (RUNNING, COMPLETED, FAILED, ...), or GONE once the server dropped it. */
  status: string;
  summary?: BatchSummary;
  error?: string;
}

export interface RecentRunView {
  batchId: string;
  scheduledAt: string;
  status: string;
  nothingNew: boolean;
  /** "nothing new", the counts and cost, or why it failed. */
  result: string;
  summary?: BatchSummary;
}

export interface ScheduleView {
  name: string;
  spec: string;
  overlap: string;
  paused: boolean;
  note?: string;
  /** ISO instants (UTC). */
  nextRuns: string[];
  /** The IANA zone the calendar is read in, when not UTC. */
  timezone?: string;
  label: string;
  inputs: string[];
  outputDir: string;
  template: string;
  model: string;
  webhook: boolean;
  actionsTaken: number;
  skippedForOverlap: number;
  recentRuns: RecentRunView[];
}

function runView(r: RunState): RecentRunView {
  const nothingNew = r.summary ? isNothingNew(r.summary) : false;
  const result = r.summary
    ? outcomeLine(r.summary)
    : r.error
      ? r.error
      : r.status === 'RUNNING'
        ? 'running'
        : r.status.toLowerCase();
  return {
    batchId: r.batchId,
    scheduledAt: r.scheduledAt.toISOString(),
    status: r.status,
    nothingNew,
    result,
    summary: r.summary,
  };
}

/** A schedule's description and its runs' states, as the `schedule show` view; newest run first. */
export function toScheduleView(d: ScheduleDescription, runs: RunState[], nextRunCount = 5): ScheduleView {
  const input = d.action.args?.[0] as BatchInput | undefined;
  return {
    name: d.scheduleId,
    spec: describeSpec(d.spec),
    overlap: overlapChoiceOf(d.policies.overlap),
    paused: d.state.paused,
    note: d.state.note || undefined,
    nextRuns: d.state.paused ? [] : d.info.nextActionTimes.slice(0, nextRunCount).map((t) => t.toISOString()),
    timezone: d.spec.timezone || undefined,
    label: input?.label ?? '',
    inputs: [...(input?.sources.inputs ?? []), ...(input?.sources.listFiles ?? []).map((l) => `--list ${l}`)],
    outputDir: input?.options.outputDir ?? '',
    template: input ? templatesText(input.options) : '',
    model: input?.options.models[0] ?? '',
    webhook: Boolean(input?.webhook || input?.webhookUrl),
    actionsTaken: d.info.numActionsTaken,
    skippedForOverlap: d.info.numActionsSkippedOverlap,
    recentRuns: [...runs].sort((a, b) => b.scheduledAt.getTime() - a.scheduledAt.getTime()).map(runView),
  };
}

export interface ScheduleListRow {
  name: string;
  spec: string;
  paused: boolean;
  note?: string;
  nextRun?: string;
  lastRun?: string;
}

export function toListRow(s: ScheduleSummary): ScheduleListRow {
  const last = s.info?.recentActions.at(-1);
  return {
    name: s.scheduleId,
    spec: describeSpec(s.spec),
    paused: s.state.paused,
    note: s.state.note || undefined,
    nextRun: s.state.paused ? undefined : s.info?.nextActionTimes[0]?.toISOString(),
    lastRun: last?.action.workflow.workflowId,
  };
}

/**
 * A run time as the person who wrote the schedule thinks of it: wall-clock time in the schedule's
 * zone, with the UTC instant beside it when that zone is not UTC.
 */
export function formatRunTime(iso: string, timezone?: string): string {
  const zone = timezone ?? 'UTC';
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  const wall = `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`;
  return zone === 'UTC' ? wall : `${wall} (${iso.replace(/\.000Z$/, 'Z')})`;
}
