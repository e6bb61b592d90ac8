import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import { loadSettings } from '../../config';
import { cancelBatchSignal, progressQuery } from '../../workflows/definitions';
import { videoKeyOf, videoWorkflowId } from '../../workflows/ids';
import { BatchWorkflow } from '../../workflows';
import type { BatchProgress, BatchSummary } from '../../types';
import { CliError, ExitCode } from '../exit-codes';
import { bold, dim, formatTokens, formatUsd, green, red, table, truncate, yellow } from '../output';
import { economyStatusOf, progressLine, renderSummary, watchBatch } from '../progress';
import { openTemporal } from '../temporal-session';
import { exitCodeFor } from './start-batch';
import { decide, describeRetry, retryFailedVideos, videosNeedingAttention } from './retry-failed';

/** Runs fn with a client (local default server or TEMPORAL_ADDRESS), closing it afterwards. */
async function withClient<T>(fn: (client: Client, namespace: string) => Promise<T>): Promise<T> {
  const settings = loadSettings();
  const session = await openTemporal(settings, (l) => process.stderr.write(`${l}\n`));
  try {
    return await fn(session.client, settings.env.TEMPORAL_NAMESPACE);
  } finally {
    await session.close();
  }
}

async function requireBatch(client: Client, batchId: string) {
  const handle = client.workflow.getHandle(batchId);
  try {
    const description = await handle.describe();
    return { handle, description };
  } catch {
    throw new CliError(`No batch with id "${batchId}". List recent batches with: lesson-forge list`, ExitCode.input);
  }
}

export function registerBatchControl(program: Command): void {
  program
    .command('status')
    .description('Show a batch: its state, counts, tokens and cost (a table, or --json)')
    .argument('<batchId>')
    .option('--json', 'print JSON')
    .action(async (batchId: string, opts: { json?: boolean }) => {
      await withClient(async (client) => {
        const { handle, description } = await requireBatch(client, batchId);
        const status = description.status.name;
        let summary: BatchSummary | undefined;
        let progress: BatchProgress | undefined;
        if (status === 'COMPLETED') summary = (await handle.result()) as BatchSummary;
        else if (status === 'RUNNING') progress = await handle.query(progressQuery).catch(() => undefined);
        const economy = await economyStatusOf(client, batchId);
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ batchId, status, startTime: description.startTime, closeTime: description.closeTime, progress, summary, ...(economy ? { economy } : {}) }, null, 2)}\n`,
          );
          return;
        }
        const rows: string[][] = [
          ['Status', status === 'RUNNING' ? yellow(status) : status === 'COMPLETED' ? green(status) : red(status)],
          ['Started', description.startTime.toISOString()],
        ];
        if (description.closeTime) rows.push(['Ended', description.closeTime.toISOString()]);
        const counts = summary ?? progress;
        if (counts) {
          rows.push(
            ['Videos', String(counts.total)],
            ['Succeeded', String(counts.succeeded)],
            ['Failed', String(counts.failed)],
            ['Skipped', String(counts.skipped)],
          );
          if (progress) rows.push(['Running', String(progress.running)], ['Need attention', String(progress.waiting)]);
          rows.push(['Tokens', formatTokens(counts.usage.totalTokens)], ['Cost', formatUsd(counts.costUsd)]);
        }
        for (const job of economy?.jobs ?? [])
          rows.push([
            'Batch API job',
            `${job.name ?? job.displayName} · ${job.state} · ${job.answered}/${job.requests} answered`,
          ]);
        process.stdout.write(`${bold(batchId)}\n${table(['', ''], rows)}\n`);
        if (summary) process.stdout.write(`\n${renderSummary(summary)}\n`);
        if (!counts && status === 'RUNNING')
          process.stdout.write(dim('No worker answered; is one running? (lesson-forge worker)\n'));
      });
    });

  program
    .command('watch')
    .description('Follow a running batch with a progress bar until it ends')
    .argument('<batchId>')
    .option('--json', 'print the final summary as JSON')
    .action(async (batchId: string, opts: { json?: boolean }) => {
      await withClient(async (client) => {
        await requireBatch(client, batchId);
        const summary = await watchBatch(client, batchId);
        process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : `${renderSummary(summary)}\n`);
        process.exitCode = exitCodeFor(summary);
      });
    });

  program
    .command('list')
    .description('List recent batches with their state')
    .option('-n, --limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action(async (opts: { limit: string; json?: boolean }) => {
      await withClient(async (client) => {
        const limit = Math.max(1, Number(opts.limit) || 20);
        const rows: Array<{ batchId: string; status: string; started: string; ended?: string }> = [];
        for await (const wf of client.workflow.list({ query: `WorkflowType = "${BatchWorkflow.name}"` })) {
          rows.push({
            batchId: wf.workflowId,
            status: wf.status.name,
            started: wf.startTime.toISOString(),
            ended: wf.closeTime?.toISOString(),
          });
          if (rows.length >= limit) break;
        }
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          process.stdout.write('No batches yet. Start one with: lesson-forge start-batch <folder>\n');
          return;
        }
        const live = await Promise.all(
          rows.map(async (r) =>
            r.status === 'RUNNING'
              ? client.workflow
                  .getHandle(r.batchId)
                  .query(progressQuery)
                  .then(
                    (p) => progressLine(p),
                    () => '',
                  )
              : '',
          ),
        );
        process.stdout.write(
          `${table(
            ['Batch', 'State', 'Started', 'Progress'],
            rows.map((r, i) => [r.batchId, r.status, r.started.slice(0, 19), truncate(live[i], 90)]),
          )}\n`,
        );
      });
    });

  program
    .command('cancel')
    .description('Stop a batch from starting new videos; videos in flight finish and are counted')
    .argument('<batchId>')
    .option('--reason <text>', 'why, shown in the summary')
    .action(async (batchId: string, opts: { reason?: string }) => {
      await withClient(async (client) => {
        const { handle } = await requireBatch(client, batchId);
        await handle.signal(cancelBatchSignal, { reason: opts.reason });
        process.stdout.write(
          `Cancelling ${batchId}: no new videos start; those in flight finish. Follow with: lesson-forge watch ${batchId}\n`,
        );
      });
    });

  program
    .command('retry-failed')
    .description(
      'Run every failed video of a batch (finished or running) again, as the Web UI’s Reset does; ' +
        'videos waiting for a person are asked to retry',
    )
    .argument('<batchId>')
    .option('-m, --model <id>', 'run them with this model first')
    .option('--json', 'print JSON')
    .action(async (batchId: string, opts: { model?: string; json?: boolean }) => {
      await withClient(async (client) => {
        await requireBatch(client, batchId);
        const result = await retryFailedVideos(client, batchId, { model: opts.model });
        process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : describeRetry(batchId, result));
        if (result.retried.some((r) => !r.accepted)) process.exitCode = ExitCode.usage;
      });
    });

  program
    .command('skip')
    .description('Give up on a video that waits for a person; the batch records it as skipped')
    .argument('<batchId>')
    .argument('<video>', 'the video key (from the Web UI or `status`) or part of its name')
    .option('--reason <text>', 'why')
    .action(async (batchId: string, video: string, opts: { reason?: string }) => {
      await withClient(async (client) => {
        await requireBatch(client, batchId);
        const waiting = await videosNeedingAttention(client, batchId);
        const matches = waiting.filter(
          (id) => id === videoWorkflowId(batchId, video) || videoKeyOf(batchId, id).includes(video),
        );
        if (matches.length !== 1) {
          throw new CliError(
            matches.length === 0
              ? `No waiting video of ${batchId} matches "${video}". Waiting: ${waiting.map((w) => videoKeyOf(batchId, w)).join(', ') || 'none'}`
              : `"${video}" matches several videos: ${matches.join(', ')}; give the full key.`,
            ExitCode.usage,
          );
        }
        const answer = await decide(client, matches[0], 'skip', {
          reason: opts.reason ?? 'skipped from the command line',
        });
        if (!answer.accepted) throw new CliError(`${matches[0]} was not skipped: ${answer.message}`, ExitCode.usage);
        process.stdout.write(`${matches[0]}: ${answer.message}\n`);
      });
    });
}
