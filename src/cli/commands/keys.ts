import type { Command } from 'commander';
import { defaults, loadSettings } from '../../config';
import { limitsFor, quotaWarnings, type KeyState, type PoolState } from '../../keys/pool-state';
import { keyPoolQuery, resetQuotasSignal } from '../../workflows/key-pool-workflow';
import { keyPoolWorkflowId } from '../../workflows/ids';
import { bold, dim, green, red, table, yellow } from '../output';
import { openTemporal } from '../temporal-session';
import { keyQueuesOf, partitionWarning, splitKeyQueues } from '../../temporal/partitions';

function stateCell(k: KeyState): string {
  if (k.status === 'active') return green('active');
  if (k.status === 'parked') return yellow(`parked until ${k.parkedUntil ?? '?'}`);
  return red(`disabled: ${k.reason ?? ''} (tried again after ${k.parkedUntil ?? '?'}, or run \`keys reset\`)`);
}

function usageCell(k: KeyState): string {
  const parts = Object.entries(k.usage).map(([model, u]) => {
    const l = limitsFor(k, model);
    return `${model}: ${u.requests}${l.rpd ? `/${l.rpd}` : ''} req, ${u.tokens} tok`;
  });
  return parts.join('; ') || dim('none today');
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description("Gemini keys: state, today's usage against limits, and quota warnings");
  keys
    .command('status')
    .description('Each key: active, parked until its reset, or disabled and why; requests and tokens today per model')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const settings = loadSettings();
      const session = await openTemporal(settings, (l) => process.stderr.write(`${l}\n`));
      try {
        const configured = settings.file.keys?.map((k) => k.name) ?? ['default'];
        let pool: PoolState | undefined;
        try {
          pool = await session.client.workflow
            .getHandle(keyPoolWorkflowId(settings.env.TEMPORAL_TASK_QUEUE))
            .query(keyPoolQuery);
        } catch {
          pool = undefined;
        }
        const percent = settings.file.quotaWarningPercent ?? defaults.quotaWarningPercent;
        const warnings = pool ? quotaWarnings(pool, percent) : [];
        // Per-minute limits hold only when each key queue is one partition on the server.
        const namespace = settings.env.TEMPORAL_NAMESPACE;
        const keyQueues = keyQueuesOf(settings.env.TEMPORAL_TASK_QUEUE, settings.file.keys ?? []);
        const split = await splitKeyQueues(session.client.connection, namespace, keyQueues);
        if (split.length) warnings.push(partitionWarning(namespace, split));
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ configured, pool, warnings, splitKeyQueues: split }, null, 2)}\n`);
          return;
        }
        if (!pool) for (const w of warnings) process.stdout.write(yellow(`warning: ${w}\n`));
        if (!pool) {
          process.stdout.write(
            `No usage recorded yet for task queue ${settings.env.TEMPORAL_TASK_QUEUE}. Configured keys: ${configured.join(', ')}.\n`,
          );
          return;
        }
        const rows = Object.values(pool.keys).map((k) => [k.alias, stateCell(k), usageCell(k)]);
        process.stdout.write(`${bold(`Keys (Pacific day ${pool.day})`)}\n${table(['Key', 'State', 'Today'], rows)}\n`);
        for (const w of warnings) process.stdout.write(yellow(`warning: ${w}\n`));
      } finally {
        await session.close();
      }
    });
  keys
    .command('reset')
    .description('Bring parked and disabled keys back now (after a quota raise, an early reset, or fixing a key)')
    .action(async () => {
      const settings = loadSettings();
      const session = await openTemporal(settings, (l) => process.stderr.write(`${l}\n`));
      try {
        await session.client.workflow
          .getHandle(keyPoolWorkflowId(settings.env.TEMPORAL_TASK_QUEUE))
          .signal(resetQuotasSignal);
        process.stdout.write('Parked and disabled keys are active again.\n');
      } finally {
        await session.close();
      }
    });
}
