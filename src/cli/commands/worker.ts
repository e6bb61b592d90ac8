import type { Command } from 'commander';
import { loadSettings, resolveApiKeys } from '../../config';
import { runWorkerUntilStopped } from '../../worker';
import { requireKeysOrThrow } from '../batch-request';

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('Run a worker: it executes batches and videos from the task queue until Ctrl-C')
    .option('--max-activities <n>', 'activities run at once by this worker', '40')
    .addHelpText(
      'after',
      `
Run as many workers as you like, on any machines that can read the videos and write the output folder, against the same Temporal server (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TASK_QUEUE).
Each worker needs the Gemini keys (GEMINI_API_KEY, or the variables named in the config file).`,
    )
    .action(async (opts: { maxActivities: string }) => {
      const settings = loadSettings();
      requireKeysOrThrow(() => resolveApiKeys(settings.file));
      await runWorkerUntilStopped(settings, Math.max(1, Number(opts.maxActivities) || 40));
    });
}
