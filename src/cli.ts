#!/usr/bin/env -S npx tsx
import { Command, CommanderError } from 'commander';
import { ConfigurationError } from './config';
import { registerBatchControl } from './cli/commands/batch-control';
import { registerSchedule } from './cli/commands/schedule';
import { registerCleanup } from './cli/commands/cleanup';
import { registerKeys } from './cli/commands/keys';
import { registerServer } from './cli/commands/server';
import { registerStartBatch } from './cli/commands/start-batch';
import { registerTemplates } from './cli/commands/templates';
import { registerWorker } from './cli/commands/worker';
import { CliError, ExitCode, exitCodeHelp } from './cli/exit-codes';
import { red } from './cli/output';

export function buildProgram(): Command {
  const program = new Command()
    .name('lesson-forge')
    .description(
      'Turn folders of teaching videos and YouTube links into Markdown lesson plans and transcripts with Google Gemini, durably, on Temporal: every batch and video is visible (and retryable) in the Temporal Web UI.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (text, write) => write(red(text)) })
    .exitOverride();
  registerStartBatch(program);
  registerBatchControl(program);
  registerTemplates(program);
  registerKeys(program);
  registerCleanup(program);
  registerWorker(program);
  registerServer(program);
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
  LESSON_FORGE_CONFIG: the path of a lesson-forge.config.json
  NO_COLOR: no colour

${exitCodeHelp}`,
  );
  return program;
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
    if (err instanceof ConfigurationError) {
      process.stderr.write(`${red('error:')} ${err.message}\n`);
      return ExitCode.configuration;
    }
    process.stderr.write(
      `${red('unexpected error:')} ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
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
