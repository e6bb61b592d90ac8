import { WorkflowFailedError, type Client } from '@temporalio/client';
import { progressQuery } from '../workflows/definitions';
import { economyCollectorId, economyStatusQuery, type EconomyStatus } from '../workflows/economy/definitions';
import type { BatchProgress, BatchSummary } from '../types';
import { isNothingNew } from '../schedules/view';
import { batchFailure } from '../temporal/errors';
import { deviation, expectedVsActual } from '../gemini/estimate-report';
import { bold, cyan, dim, formatDuration, formatTokens, formatUsd, green, printable, red, yellow } from './output';

export interface WatchOptions {
  /** Where progress lines go (stderr, so stdout can carry --json). */
  stream?: NodeJS.WriteStream;
  intervalMs?: number;
  quiet?: boolean;
}

const barWidth = 24;

export function progressLine(p: BatchProgress, etaSeconds?: number, economy?: EconomyStatus): string {
  const done = p.succeeded + p.failed + p.skipped;
  const filled = p.total > 0 ? Math.round((done / p.total) * barWidth) : 0;
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const parts = [
    `${bar} ${done}/${p.total}`,
    ...(p.templates ? [`notes: ${p.templates.join(', ')}`] : []),
    green(`${p.succeeded} ok`),
    p.failed ? red(`${p.failed} failed`) : `${p.failed} failed`,
    `${p.skipped} skipped`,
    cyan(`${p.running} running`),
  ];
  if (p.waiting) parts.push(yellow(`${p.waiting} need attention`));
  if (etaSeconds !== undefined && Number.isFinite(etaSeconds)) parts.push(`ETA ${formatDuration(etaSeconds)}`);
  parts.push(`${formatTokens(p.usage.totalTokens)} tokens`, formatUsd(p.costUsd));
  // Expected against actual for the videos done; the ones running, at their expected cost and ceiling.
  if (p.expected && p.expected.videos > 0)
    parts.push(
      `expected ${formatUsd(p.expected.costUsd)} for those (${deviation(p.expected.costUsd, p.expected.actualCostUsd)})`,
    );
  if (p.inFlight && p.running > 0)
    parts.push(
      dim(`running: expected ${formatUsd(p.inFlight.expectedUsd)}, ceiling ${formatUsd(p.inFlight.ceilingUsd)}`),
    );
  const jobs = economy ? economyLine(economy) : undefined;
  if (jobs) parts.push(cyan(jobs));
  if (p.state === 'discovering') return dim('discovering videos ...');
  return parts.join(' · ');
}

/** Economy mode: the Batch API jobs in flight (name, state, answered of total) and requests still gathering. */
export function economyLine(s: EconomyStatus): string | undefined {
  const active = s.jobs.filter((j) => !['SUCCEEDED', 'FAILED', 'CANCELLED', 'EXPIRED'].includes(j.state));
  const parts = active.map((j) => `${j.name ?? j.displayName} ${j.state} ${j.answered}/${j.requests}`);
  if (s.queued) parts.push(`${s.queued} gathering`);
  return parts.length ? `Batch API: ${parts.join(', ')}` : undefined;
}

/** The batch's economy collector, if it runs one (economy mode); undefined otherwise. */
export async function economyStatusOf(client: Client, batchId: string): Promise<EconomyStatus | undefined> {
  try {
    return await client.workflow.getHandle(economyCollectorId(batchId)).query(economyStatusQuery);
  } catch {
    return undefined;
  }
}

/** Estimated seconds left from the pace since the batch (or this watch) started. */
export function estimateEta(
  p: BatchProgress,
  nowMs: number,
  firstSeen?: { atMs: number; done: number },
): number | undefined {
  const done = p.succeeded + p.failed + p.skipped;
  const remaining = p.total - done;
  if (remaining <= 0) return 0;
  const since = firstSeen ?? { atMs: Date.parse(p.startedAt), done: 0 };
  const rate = (done - since.done) / Math.max(1, (nowMs - since.atMs) / 1000);
  return rate > 0 ? remaining / rate : undefined;
}

/** Shows live progress until the batch ends, then returns its summary. */
export async function watchBatch(client: Client, batchId: string, opts: WatchOptions = {}): Promise<BatchSummary> {
  const stream = opts.stream ?? process.stderr;
  const handle = client.workflow.getHandle(batchId);
  let finished = false;
  const result = handle
    .result()
    .catch((err: unknown) => {
      // The batch itself failed (a worker refused its input, say): its reason, not a stack trace.
      throw err instanceof WorkflowFailedError ? batchFailure(batchId, err) : err;
    })
    .finally(() => {
      finished = true;
    }) as Promise<BatchSummary>;
  let firstSeen: { atMs: number; done: number } | undefined;
  let lastPrinted = '';
  let lastPrintAt = 0;
  const interactive = Boolean(stream.isTTY);
  const loop = (async () => {
    while (!finished && !opts.quiet) {
      try {
        const p = await handle.query(progressQuery);
        const done = p.succeeded + p.failed + p.skipped;
        firstSeen ??= { atMs: Date.now(), done };
        const economy = p.running > 0 ? await economyStatusOf(client, batchId) : undefined;
        const line = progressLine(
          p,
          estimateEta(p, Date.now(), done > firstSeen.done ? firstSeen : undefined),
          economy,
        );
        if (interactive) stream.write(`\r\u001b[K${line}`);
        else if (line !== lastPrinted && Date.now() - lastPrintAt > 2000) {
          stream.write(`${line}\n`);
          lastPrintAt = Date.now();
        }
        lastPrinted = line;
      } catch {
        if (interactive) stream.write(`\r\u001b[K${dim('waiting for a worker to pick up the batch ...')}`);
      }
      await Promise.race([new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000)), result.catch(() => undefined)]);
    }
  })();
  try {
    return await result;
  } finally {
    await loop;
    if (interactive && !opts.quiet) stream.write('\r\u001b[K');
  }
}

export function renderSummary(s: BatchSummary): string {
  const lines = [
    bold(`Batch ${s.batchId}`),
    `  ${s.total} videos: ${green(`${s.succeeded} succeeded`)}, ${s.failed ? red(`${s.failed} failed`) : '0 failed'}, ${s.skipped} skipped`,
    `  tokens ${formatTokens(s.usage.totalTokens)} (prompt ${formatTokens(s.usage.promptTokens)}${s.usage.cachedTokens ? `, ${formatTokens(s.usage.cachedTokens)} of it from context caches` : ''}, output ${formatTokens(s.usage.outputTokens)}) · cost ${formatUsd(s.costUsd)}`,
  ];
  if (s.expected && s.expected.videos > 0) for (const line of expectedVsActual(s.expected)) lines.push(`  ${line}`);
  if (s.repairs)
    lines.push(`  ${s.repairs} ${s.repairs === 1 ? 'answer' : 'answers'} repaired without sending the video again`);
  if (isNothingNew(s)) lines.push(green('  nothing new: every video is up to date; nothing spent'));
  if (s.stoppedEarly) lines.push(yellow(`  stopped early: ${s.stoppedEarly}; ${s.notStarted ?? 0} not started`));
  if (s.failures.length) {
    lines.push(red('  failed:'));
    for (const f of s.failures.slice(0, 20))
      lines.push(`    ${printable(f.title)}: ${f.errorType ? `${f.errorType}: ` : ''}${printable(f.reason)}`);
    if (s.failures.length > 20 || s.listsTruncated) lines.push(dim('    ... more in the report'));
  }
  if (s.notVideos.length) {
    lines.push(dim(`  not videos (${s.notVideos.length}):`));
    for (const n of s.notVideos.slice(0, 10)) lines.push(dim(`    ${printable(n.entry)}: ${printable(n.reason)}`));
  }
  if (s.outputs.length)
    lines.push(
      `  outputs: ${s.outputs.length <= 3 ? s.outputs.join(', ') : `${s.outputs.length} files, e.g. ${s.outputs[0]}`}`,
    );
  for (const line of keyUsageLines(s)) lines.push(`  ${line}`);
  for (const w of s.warnings ?? []) lines.push(yellow(`  warning: ${w}`));
  if (s.reportPath) lines.push(`  report: ${s.reportPath}`);
  return lines.join('\n');
}

/** Spend per project (the keys sharing a quota) and per key, with several keys. */
export function keyUsageLines(s: Pick<BatchSummary, 'keys' | 'projects'>): string[] {
  if (!s.keys?.length || !s.projects?.length) return [];
  const spent = (u: { videos: number; promptTokens: number; totalTokens: number }) =>
    `${u.videos} ${u.videos === 1 ? 'video' : 'videos'}, tokens ${formatTokens(u.totalTokens)} (prompt ${formatTokens(u.promptTokens)})`;
  return [
    `by project: ${s.projects.map((p) => `${p.project} [${p.keys.join(', ')}] ${spent(p)}`).join('; ')}`,
    `by key: ${s.keys.map((k) => `${k.key} ${spent(k)}`).join('; ')}`,
  ];
}
