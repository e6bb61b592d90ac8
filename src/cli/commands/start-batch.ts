import type { Command } from 'commander';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { loadSettings, resolveApiKeys } from '../../config';
import { loadCatalog } from '../../gemini/catalog';
import { BatchIdAttr, TemplateAttr } from '../../search-attributes';
import { FailureType } from '../../failures';
import type { BatchSummary } from '../../types';
import { BatchWorkflow } from '../../workflows';
import { buildBatchRequest, requireKeysOrThrow, webhookAdvice, type BatchCliOptions } from '../batch-request';
import { addBatchOptions } from '../batch-options';
import { printDryRun } from '../dry-run';
import { CliError, ExitCode, exitCodeHelp } from '../exit-codes';
import { bold, cyan, dim, printable, yellow } from '../output';
import { renderSummary, watchBatch } from '../progress';
import { openTemporal } from '../temporal-session';
import { keyAliasesFor } from '../keys';
import { allowForThisRun } from '../../activities/input-policy';
import { queueHasWorkers } from '../../temporal/partitions';
import { templatesText } from '../../workflows/labels';

interface StartBatchOptions extends BatchCliOptions {
  dryRun?: boolean;
  /** Both `--wait` and `--no-wait` are options, so commander leaves this undefined unless one is given. */
  wait?: boolean;
  json?: boolean;
  worker?: boolean;
}

export function exitCodeFor(summary: BatchSummary): number {
  if (summary.failures.some((f) => f.errorType === FailureType.OutputWriteFailed)) return ExitCode.writeFailed;
  if (summary.failed > 0) return ExitCode.analysisFailed;
  if (summary.stoppedEarly) return ExitCode.stoppedEarly;
  return ExitCode.ok;
}

export function registerStartBatch(program: Command): void {
  const cmd = program
    .command('start-batch')
    .description('Turn a folder of videos (or video files, YouTube links, a list file) into Markdown lesson plans')
    .argument('[inputs...]', 'folders, video files or YouTube links');
  addBatchOptions(cmd);
  cmd
    .option('--dry-run', 'list what would be processed and the expected tokens and cost; spend nothing')
    .option('--wait', 'show progress until the batch ends (the default)')
    .option('--no-wait', 'start the batch and return at once (needs a worker running elsewhere)')
    .option('--worker', 'run a worker in this process (the default only without TEMPORAL_ADDRESS)')
    .option('--no-worker', 'do not run a worker in this process, even with the local server')
    .option('--json', 'print the summary (or the dry-run plan) as JSON on stdout')
    .addHelpText(
      'after',
      `
Examples:
  $ lesson-forge start-batch ./videos
  $ lesson-forge start-batch ./videos --recursive --template summary_report --param max_length=200
  $ lesson-forge start-batch ./videos -t comprehensive_lesson -t quiz -t summary_report   # three notes, one upload
  $ lesson-forge start-batch https://youtu.be/dQw4w9WgXcQ --model gemini-3.5-flash-lite
  $ lesson-forge start-batch --list lessons.txt --dry-run
  $ lesson-forge start-batch ./videos --max-cost 5 --concurrency 2
  $ lesson-forge start-batch ./videos --economy          # Batch API: half price, within 24 h

With no TEMPORAL_ADDRESS set, a local Temporal server is used (started if needed) and a worker runs in this process until the batch ends; the Web UI is at http://localhost:8233.
Interrupt at any time: running the same command again continues the same batch, and finished videos are not redone.
With TEMPORAL_ADDRESS set, this is a client: workers elsewhere run the batch, no Gemini key is needed here, and no worker runs in this process unless --worker is given.

${exitCodeHelp}`,
    )
    .action(async (inputs: string[], opts: StartBatchOptions) => {
      process.exitCode = await startBatch(inputs, opts);
    });
}

async function startBatch(inputs: string[], opts: StartBatchOptions): Promise<number> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const settings = loadSettings();
  const catalog = loadCatalog();
  const local = settings.env.TEMPORAL_ADDRESS === undefined;
  const runWorker = opts.worker ?? local;
  const wait = opts.wait ?? true;
  const keyAliases = keyAliasesFor(settings);
  // Key values are needed only where a worker runs, but a missing one fails before anything starts.
  if (runWorker && !opts.dryRun) requireKeysOrThrow(() => resolveApiKeys(settings.file));
  if (opts.webhook && !runWorker)
    throw new CliError(`--webhook <url> needs a worker in this process (--worker). ${webhookAdvice}`, ExitCode.usage);
  const request = await buildBatchRequest(inputs, opts, settings, catalog, keyAliases);
  for (const w of request.warnings) log(yellow(`warning: ${w}`));
  if (opts.dryRun) return printDryRun(request, catalog, Boolean(opts.json));

  const { input } = request;
  log(
    `${bold(input.batchId)}: ${request.items.length} videos${request.skipped.length ? `, ${request.skipped.length} ${request.skipped.length === 1 ? 'entry' : 'entries'} skipped (not videos)` : ''} → ${input.options.outputDir}`,
  );
  for (const s of request.skipped.slice(0, 10)) log(dim(`  skipped ${printable(s.entry)}: ${printable(s.reason)}`));

  const session = await openTemporal(settings, log);
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(ExitCode.interrupted);
    interrupted = true;
    log(
      yellow(
        `\nStopping. The batch keeps its progress${session.local ? '; run the same command again to continue it' : ' and goes on with the workers'}.`,
      ),
    );
    void session.close().finally(() => process.exit(ExitCode.interrupted));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (session.uiUrl)
      log(
        `Web UI: ${cyan(`${session.uiUrl}/namespaces/${settings.env.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(input.batchId)}`)}`,
      );
    if (runWorker) {
      allowForThisRun(settings, input); // this process's worker may use the folders this command chose
      await session.startWorker();
    }
    const taskQueue = settings.env.TEMPORAL_TASK_QUEUE;
    const handle = session.client.workflow.getHandle(input.batchId);
    const running = await handle
      .describe()
      .then((d) => d.status.name === 'RUNNING')
      .catch(() => false);
    if (running) {
      log(
        yellow(
          `Batch ${input.batchId} is already running; ${wait ? 'watching it' : `watch it with: lesson-forge watch ${input.batchId}`}.`,
        ),
      );
    } else {
      try {
        await session.client.workflow.start(BatchWorkflow, {
          workflowId: input.batchId,
          taskQueue: settings.env.TEMPORAL_TASK_QUEUE,
          args: [input],
          staticSummary: `${input.label}: ${request.items.length} videos, ${templatesText(input.options)}, ${input.options.models[0]}`,
          typedSearchAttributes: [
            { key: BatchIdAttr, value: input.batchId },
            { key: TemplateAttr, value: input.options.template },
          ],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        log(yellow(`Batch ${input.batchId} was just started elsewhere; watching it.`));
      }
    }
    if (!runWorker && !(await queueHasWorkers(session.client.connection, settings.env.TEMPORAL_NAMESPACE, taskQueue)))
      log(
        yellow(
          `No worker polls task queue ${taskQueue} at ${session.address} yet: the batch waits for one. ` +
            'Start one with `lesson-forge worker` (or `lesson-forge serve`) where the Gemini key is set, or add --worker here.',
        ),
      );
    if (!wait) {
      if (runWorker)
        log(
          yellow(
            'Note: --no-wait stops this process, and with it the worker it runs; start workers with `lesson-forge worker`.',
          ),
        );
      if (opts.json) process.stdout.write(`${JSON.stringify({ batchId: input.batchId })}\n`);
      else log(`Started. Follow it with: lesson-forge watch ${input.batchId}`);
      return ExitCode.ok;
    }
    const summary = await watchBatch(session.client, input.batchId);
    if (opts.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else process.stdout.write(`${renderSummary(summary)}\n`);
    return exitCodeFor(summary);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (!interrupted) await session.close();
  }
}
