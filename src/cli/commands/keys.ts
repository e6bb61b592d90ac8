import type { Command } from 'commander';
import { defaults, loadSettings } from '../../config';
import {
  limitsFor,
  projectKeys,
  projectUsageToday,
  quotaWarnings,
  type KeyState,
  type ModelLimits,
  type PoolState,
} from '../../keys/pool-state';
import { projectLimits, projectOf } from '../../keys/projects';
import { keyPoolQuery, minuteUsageQuery, resetQuotasSignal, type MinuteUsage } from '../../workflows/key-pool-workflow';
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

/** One row per project: its keys, today's requests and tokens against rpd, and this minute's tokens against tpm. */
export interface ProjectStatus {
  project: string;
  keys: string[];
  limits: Record<string, ModelLimits>;
  today: Record<string, { requests: number; tokens: number }>;
  minute: Array<Omit<MinuteUsage, 'project'> & { tpm?: number }>;
}

export function projectStatuses(
  pool: PoolState,
  minute: MinuteUsage[],
  limits: Record<string, Record<string, ModelLimits>>,
): ProjectStatus[] {
  const names = [...new Set(Object.values(pool.keys).map(projectOf))];
  return names.map((project) => {
    const keys = projectKeys(pool, project);
    const models = [...new Set(keys.flatMap((k) => Object.keys(k.usage)))];
    const own = limits[project] ?? keys[0]?.limits ?? {};
    return {
      project,
      keys: keys.map((k) => k.alias),
      limits: own,
      today: Object.fromEntries(models.map((m) => [m, projectUsageToday(pool, project, m)])),
      minute: minute
        .filter((m) => m.project === project)
        .map(({ project: _p, ...m }) => ({ ...m, tpm: { ...own['*'], ...own[m.model] }.tpm })),
    };
  });
}

function projectTodayCell(p: ProjectStatus): string {
  const parts = Object.entries(p.today).map(([model, u]) => {
    const rpd = { ...p.limits['*'], ...p.limits[model] }.rpd;
    return `${model}: ${u.requests}${rpd ? `/${rpd}` : ''} req, ${u.tokens} tok`;
  });
  return parts.join('; ') || dim('none today');
}

function projectMinuteCell(p: ProjectStatus): string {
  const parts = p.minute.map(
    (m) =>
      `${m.model}: ${m.lastMinute}${m.tpm ? `/${m.tpm}` : ''} tok` +
      (m.booked ? `, ${m.booked} booked ahead (${m.waiting} waiting)` : ''),
  );
  return parts.join('; ') || dim('-');
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
        let minute: MinuteUsage[] = [];
        const handle = session.client.workflow.getHandle(keyPoolWorkflowId(settings.env.TEMPORAL_TASK_QUEUE));
        try {
          pool = await handle.query(keyPoolQuery);
          minute = await handle.query(minuteUsageQuery).catch(() => []);
        } catch {
          pool = undefined;
        }
        const limits = projectLimits(
          (settings.file.keys ?? []).map((k) => ({ alias: k.name, project: k.project, limits: k.limits })),
        ).limits;
        const projects = pool ? projectStatuses(pool, minute, limits) : [];
        const percent = settings.file.quotaWarningPercent ?? defaults.quotaWarningPercent;
        const warnings = pool ? quotaWarnings(pool, percent) : [];
        // Per-minute limits hold only when each key queue is one partition on the server.
        const namespace = settings.env.TEMPORAL_NAMESPACE;
        const keyQueues = keyQueuesOf(settings.env.TEMPORAL_TASK_QUEUE, settings.file.keys ?? []);
        const split = await splitKeyQueues(session.client.connection, namespace, keyQueues);
        if (split.length) warnings.push(partitionWarning(namespace, split));
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ configured, projects, pool, warnings, splitKeyQueues: split }, null, 2)}\n`,
          );
          return;
        }
        if (!pool) for (const w of warnings) process.stdout.write(yellow(`warning: ${w}\n`));
        if (!pool) {
          process.stdout.write(
            `No usage recorded yet for task queue ${settings.env.TEMPORAL_TASK_QUEUE}. Configured keys: ${configured.join(', ')}.\n`,
          );
          return;
        }
        const projectRows = projects.map((p) => [
          p.project,
          p.keys.join(', '),
          projectTodayCell(p),
          projectMinuteCell(p),
        ]);
        process.stdout.write(
          `${bold(`Projects (quotas are per project and model; Pacific day ${pool.day})`)}\n` +
            `${table(['Project', 'Keys', 'Today', 'Last minute (input tokens)'], projectRows)}\n\n`,
        );
        const rows = Object.values(pool.keys).map((k) => [k.alias, projectOf(k), stateCell(k), usageCell(k)]);
        process.stdout.write(`${bold('Keys')}\n${table(['Key', 'Project', 'State', 'Today'], rows)}\n`);
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
