import { Option, type Command } from 'commander';
import type { Client } from '@temporalio/client';
import { loadSettings, type Settings } from '../../config';
import { loadCatalog, type ModelCatalog } from '../../gemini/catalog';
import {
  deleteSchedule,
  listSchedules,
  pauseSchedule,
  readSchedule,
  resumeSchedule,
  scheduleNamePattern,
  ScheduleMissingError,
  triggerSchedule,
  upsertSchedule,
} from '../../schedules/manage';
import { buildScheduleSpec, overlapChoices, overlapPolicyOf, ScheduleSpecError } from '../../schedules/spec';
import { formatRunTime, outcomeLine, type ScheduleView } from '../../schedules/view';
import { addBatchOptions } from '../batch-options';
import { buildBatchRequest, webhookAdvice, type BatchCliOptions, type BatchRequest } from '../batch-request';
import { CliError, ExitCode } from '../exit-codes';
import { keyAliasesFor } from '../keys';
import { bold, dim, green, red, table, truncate, yellow } from '../output';
import { renderSummary, watchBatch } from '../progress';
import { openTemporal } from '../temporal-session';
import { exitCodeFor } from './start-batch';

export interface ScheduleCreateOptions extends BatchCliOptions {
  cron?: string;
  every?: string;
  timezone?: string;
  overlap?: string;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (text: string) => process.stdout.write(`${text}\n`);

/** Runs fn with a client, turning schedule errors into messages with the right exit code. */
async function withClient<T>(fn: (client: Client, settings: Settings) => Promise<T>): Promise<T> {
  const settings = loadSettings();
  const session = await openTemporal(settings, log);
  try {
    return await fn(session.client, settings);
  } catch (err) {
    if (err instanceof ScheduleMissingError) throw new CliError(err.message, ExitCode.input);
    throw err;
  } finally {
    await session.close();
  }
}

export interface PreparedSchedule {
  name: string;
  spec: ReturnType<typeof buildScheduleSpec>;
  overlap: ReturnType<typeof overlapPolicyOf>;
  request: BatchRequest;
}

/**
 * Validates everything (name, cron or interval, time zone, overlap, sources, template, models,
 * output folder) without connecting to Temporal, so a typo never starts a server or waits on one.
 */
export async function prepareSchedule(
  settings: Settings,
  catalog: ModelCatalog,
  name: string,
  inputs: string[],
  opts: ScheduleCreateOptions,
): Promise<PreparedSchedule> {
  if (!scheduleNamePattern.test(name))
    throw new CliError(
      `A schedule name may use letters, digits, ".", "_" and "-" (at most 60), got "${name}"`,
      ExitCode.usage,
    );
  if (opts.webhook)
    throw new CliError(`--webhook <url> does not apply to a schedule. ${webhookAdvice}`, ExitCode.usage);
  if (opts.batchId)
    throw new CliError(
      `--batch-id does not apply to a schedule: each run's batch id is "${name}-<time of the run>".`,
      ExitCode.usage,
    );
  let spec, overlap;
  try {
    spec = buildScheduleSpec(opts);
    overlap = overlapPolicyOf(opts.overlap);
  } catch (err) {
    if (err instanceof ScheduleSpecError) throw new CliError(err.message, ExitCode.usage);
    throw err;
  }
  const request = await buildBatchRequest(inputs, opts, settings, catalog, keyAliasesFor(settings));
  return { name, spec, overlap, request };
}

/** Creates the prepared schedule, or updates the one with that name. */
export async function upsertPrepared(
  client: Client,
  settings: Settings,
  prepared: PreparedSchedule,
): Promise<{ outcome: 'created' | 'updated'; request: BatchRequest }> {
  const { name, spec, overlap, request } = prepared;
  const input = { ...request.input, label: name };
  const outcome = await upsertSchedule(client, {
    name,
    spec,
    overlap,
    input,
    taskQueue: settings.env.TEMPORAL_TASK_QUEUE,
  });
  return { outcome, request };
}

/** Validates, then creates or updates the schedule. Exported for tests. */
export async function createSchedule(
  client: Client,
  settings: Settings,
  catalog: ModelCatalog,
  name: string,
  inputs: string[],
  opts: ScheduleCreateOptions,
): Promise<{ outcome: 'created' | 'updated'; request: BatchRequest }> {
  return upsertPrepared(client, settings, await prepareSchedule(settings, catalog, name, inputs, opts));
}

export function renderScheduleView(v: ScheduleView): string {
  const rows: string[][] = [
    ['When', v.spec],
    ['State', v.paused ? yellow(`paused${v.note ? `: ${v.note}` : ''}`) : green('active')],
    [
      'Next runs',
      v.nextRuns.length ? v.nextRuns.map((t) => formatRunTime(t, v.timezone)).join('\n             ') : dim('none'),
    ],
    ['Overlap', v.overlap],
    ['Inputs', v.inputs.join(', ')],
    ['Output', v.outputDir],
    ['Template', `${v.template} · ${v.model}`],
    ['Webhook', v.webhook ? 'yes' : 'no'],
    ['Runs', `${v.actionsTaken} started, ${v.skippedForOverlap} skipped (previous run still going)`],
  ];
  const lines = [bold(`Schedule ${v.name}`), ...rows.map(([k, val]) => `  ${k.padEnd(10)} ${val}`)];
  if (v.recentRuns.length) {
    lines.push('', bold('Recent runs'));
    const colour = (s: string) => (s === 'COMPLETED' ? green(s) : s === 'RUNNING' ? yellow(s) : red(s));
    lines.push(
      table(
        ['Batch id', 'Status', 'Result'],
        v.recentRuns.map((r) => [r.batchId, colour(r.status), truncate(r.result, 100)]),
      ),
    );
  }
  return lines.join('\n');
}

export function registerSchedule(program: Command): void {
  const group = program
    .command('schedule')
    .description('Nightly (or regular) batches as Temporal Schedules; each run only processes what is new or changed');

  const create = group
    .command('create')
    .description('Create a schedule that runs a batch at set times (or update the one with that name)')
    .argument('<name>', 'schedule name; each run is the batch "<name>-<time>"')
    .argument('[inputs...]', 'folders, video files or YouTube links')
    .option('--cron <expression>', 'cron times, e.g. "0 2 * * *" for 02:00 every night')
    .option('--every <duration>', 'a fixed interval instead, e.g. 6h, 30m')
    .option('--timezone <zone>', 'IANA time zone for --cron, e.g. Europe/Paris (default UTC)')
    .addOption(
      new Option('--overlap <policy>', 'when a run is due while the previous one is going')
        .choices([...overlapChoices])
        .default('skip'),
    );
  addBatchOptions(create);
  create.addHelpText(
    'after',
    `
Examples:
  $ lesson-forge schedule create nightly-art ./videos --cron "0 2 * * *" --timezone Europe/Paris
  $ lesson-forge schedule create inbox ./inbox --every 6h --template summary_report --max-cost 2 --webhook-env LESSONS_HOOK_URL

Runs need a Temporal server and a worker running (\`lesson-forge server\`, \`lesson-forge worker\`).
A video whose output is up to date (same content, template and model) is skipped, so a run over an unchanged folder spends nothing and reports "nothing new".`,
  );
  create.action(async (name: string, inputs: string[], opts: ScheduleCreateOptions) => {
    // Everything is checked before a connection is opened (or a local server started).
    const prepared = await prepareSchedule(loadSettings(), loadCatalog(), name, inputs, opts);
    await withClient(async (client, settings) => {
      const { outcome, request } = await upsertPrepared(client, settings, prepared);
      for (const w of request.warnings) log(yellow(`warning: ${w}`));
      log(
        `${outcome === 'created' ? green('Created') : yellow('Updated existing')} schedule ${bold(name)}: ${request.items.length} videos now in ${request.input.sources.inputs.join(', ') || 'the list files'}.`,
      );
      const view = await readSchedule(client, name);
      log(
        `  ${view.spec}; next run ${view.nextRuns[0] ? formatRunTime(view.nextRuns[0], view.timezone) : dim('(paused)')}`,
      );
      if (settings.env.TEMPORAL_ADDRESS === undefined)
        log(dim('  Runs need the local server and a worker running: lesson-forge server, lesson-forge worker.'));
    });
  });

  group
    .command('list')
    .description('List schedules (a table, or --json)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      await withClient(async (client) => {
        const rows = await listSchedules(client);
        if (opts.json) return out(JSON.stringify(rows, null, 2));
        if (rows.length === 0)
          return out(
            dim('No schedules. Create one with: lesson-forge schedule create <name> <folder> --cron "0 2 * * *"'),
          );
        out(
          table(
            ['Name', 'When', 'State', 'Next run', 'Last run'],
            rows.map((r) => [
              r.name,
              r.spec,
              r.paused ? yellow('paused') : green('active'),
              r.nextRun ?? '',
              r.lastRun ?? '',
            ]),
          ),
        );
      });
    });

  group
    .command('show')
    .description('Show a schedule: when it runs, its next runs, recent runs with their results, paused state')
    .argument('<name>')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      await withClient(async (client) => {
        const view = await readSchedule(client, name);
        out(opts.json ? JSON.stringify(view, null, 2) : renderScheduleView(view));
      });
    });

  group
    .command('trigger')
    .description('Start a run now')
    .argument('<name>')
    .option('--wait', 'wait for the run to end and print its summary')
    .action(async (name: string, opts: { wait?: boolean }) => {
      await withClient(async (client) => {
        const batchId = await triggerSchedule(client, name);
        if (!batchId)
          return log(
            yellow(
              `Triggered ${name}, but no run appeared yet (a run may still be going: see lesson-forge schedule show ${name}).`,
            ),
          );
        log(`Started ${bold(batchId)}.${opts.wait ? '' : ` Follow it with: lesson-forge watch ${batchId}`}`);
        if (!opts.wait) return;
        const summary = await watchBatch(client, batchId);
        out(`${renderSummary(summary)}\n  ${outcomeLine(summary)}`);
        process.exitCode = exitCodeFor(summary);
      });
    });

  group
    .command('pause')
    .description('Stop starting runs until resumed (a running batch goes on)')
    .argument('<name>')
    .option('--note <text>', 'why, shown by schedule show')
    .action(async (name: string, opts: { note?: string }) => {
      await withClient(async (client) => {
        await pauseSchedule(client, name, opts.note);
        log(`Paused ${bold(name)}.`);
      });
    });

  group
    .command('resume')
    .description('Start runs again at the scheduled times')
    .argument('<name>')
    .action(async (name: string) => {
      await withClient(async (client) => {
        await resumeSchedule(client, name);
        log(`Resumed ${bold(name)}.`);
      });
    });

  group
    .command('delete')
    .description('Delete a schedule (outputs, manifest and past batches stay)')
    .argument('<name>')
    .action(async (name: string) => {
      await withClient(async (client) => {
        await deleteSchedule(client, name);
        log(`Deleted schedule ${bold(name)}.`);
      });
    });
}
