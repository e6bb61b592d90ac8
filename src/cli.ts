#!/usr/bin/env -S npx tsx
import { Command, CommanderError } from 'commander';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError, ignoredFolderConfig, projectRoot } from './config';
import { registerBatchControl } from './cli/commands/batch-control';
import { registerSchedule } from './cli/commands/schedule';
import { registerCleanup } from './cli/commands/cleanup';
import { registerKeys } from './cli/commands/keys';
import { registerServe } from './cli/commands/serve';
import { registerServer } from './cli/commands/server';
import { registerStartBatch } from './cli/commands/start-batch';
import { registerTemplates } from './cli/commands/templates';
import { registerWorker } from './cli/commands/worker';
import { CliError, ExitCode, exitCodeHelp } from './cli/exit-codes';
import { red } from './cli/output';
import { explainTemporalError } from './temporal/errors';

/** The version of the installed package (dist/ and src/ both sit one level under its root). */
function packageVersion(): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function buildProgram(): Command {
  const program = new Command()
    .name('lesson-forge')
    .description(
      'Turn folders of teaching videos and YouTube links into Markdown lesson plans and transcripts with Google Gemini, durably, on Temporal: every batch and video is visible (and retryable) in the Temporal Web UI.',
    )
    .version(packageVersion(), '-V, --version', 'print the installed version')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(red(text)) })
    .exitOverride()
    .option('--config <file>', 'the config file to use (also $LESSON_FORGE_CONFIG); see README "Security"')
    .hook('preAction', (thisCommand) => useConfigOption(thisCommand.opts<{ config?: string }>().config));
  registerStartBatch(program);
  registerBatchControl(program);
  registerTemplates(program);
  registerKeys(program);
  registerCleanup(program);
  registerWorker(program);
  registerServer(program);
  registerServe(program);
  registerSchedule(program);
  program.addHelpText(
    'after',
    `
Quick start:
  $ export GEMINI_API_KEY=...            # https://aistudio.google.com/apikey
  $ lesson-forge start-batch ./videos    # lesson plans appear in ./lesson-plans

Settings (environment variables):
  TEMPORAL_ADDRESS (unset: a local server), TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE
  GEMINI_API_KEY, GEMINI_BASE_URL
  LESSON_FORGE_CONFIG: the path of a config file (like --config)
  NO_COLOR: no colour

${exitCodeHelp}`,
  );
  return program;
}

/**
 * `--config` wins over $LESSON_FORGE_CONFIG; a config in the current folder that nobody chose is
 * only mentioned, never read (a course pack from someone else must not pick code, folders or webhooks).
 */
function useConfigOption(config: string | undefined): void {
  if (config !== undefined) process.env.LESSON_FORGE_CONFIG = path.resolve(config);
  const ignored = ignoredFolderConfig();
  if (ignored !== undefined) {
    process.stderr.write(
      `note: ${path.basename(ignored)} in this folder is not read; use it with --config ./${path.basename(ignored)} if you trust it.\n`,
    );
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    if (err instanceof CliError) {
      process.stderr.write(`${red('error:')} ${err.message}\n`);
      return err.exitCode;
    }
    const temporal = explainTemporalError(err);
    if (temporal) {
      process.stderr.write(`${red('error:')} ${temporal.message}\n`);
      return temporal.exitCode;
    }
    if (err instanceof ConfigurationError) {
      process.stderr.write(`${red('error:')} ${err.message}\n`);
      return ExitCode.configuration;
    }
    // A fault of this program, not of the user's set-up: the message, and the stack only when asked for.
    process.stderr.write(
      `${red('error:')} ${err instanceof Error ? err.message : String(err)}\n` +
        (process.env.LESSON_FORGE_DEBUG && err instanceof Error
          ? `${err.stack ?? ''}\n`
          : 'This looks like a bug in lesson-forge; LESSON_FORGE_DEBUG=1 shows where it happened.\n'),
    );
    return ExitCode.unexpected;
  }
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(ExitCode.unexpected);
    },
  );
}
