import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { stateDirOf } from '../../config';
import { parseDurationSeconds } from '../batch-request';
import { CliError, ExitCode } from '../exit-codes';
import { dim } from '../output';

interface Removal {
  path: string;
  ageDays: number;
}

/**
 * Old batch records (lists, outcomes, reports) and per-video work files (stored analyses, drafts)
 * under an output folder's `.lesson-forge/`. The manifest, which says what is up to date, and the
 * Markdown outputs are never touched.
 */
export function findOldRecords(outputDir: string, olderThanSeconds: number, now = Date.now()): Removal[] {
  const state = stateDirOf(outputDir);
  const out: Removal[] = [];
  for (const sub of ['batches', 'work']) {
    const dir = path.join(state, sub);
    if (!fs.existsSync(dir)) continue;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const full = path.join(dir, entry.name);
      const age = (now - fs.statSync(full).mtimeMs) / 1000;
      if (age > olderThanSeconds) out.push({ path: full, ageDays: Math.floor(age / 86400) });
    }
  }
  return out;
}

export function registerCleanup(program: Command): void {
  program
    .command('cleanup')
    .description(
      'Delete old batch records and work files from an output folder (never the lesson plans or the up-to-date record)',
    )
    .argument('<outputDir>', 'the output folder of earlier batches')
    .option('--older-than <duration>', 'age, e.g. 30d or 12h', '30d')
    .option('--dry-run', 'only list what would be deleted')
    .option('--json', 'print JSON')
    .action((outputDir: string, opts: { olderThan: string; dryRun?: boolean; json?: boolean }) => {
      const dir = path.resolve(outputDir);
      if (!fs.existsSync(stateDirOf(dir)))
        throw new CliError(`${dir} holds no lesson-forge records (no .lesson-forge folder).`, ExitCode.input);
      const old = findOldRecords(dir, parseDurationSeconds(opts.olderThan, '--older-than'));
      if (!opts.dryRun) for (const r of old) fs.rmSync(r.path, { recursive: true, force: true });
      if (opts.json) {
        process.stdout.write(
          `${JSON.stringify({ deleted: opts.dryRun ? [] : old, wouldDelete: opts.dryRun ? old : [] }, null, 2)}\n`,
        );
        return;
      }
      for (const r of old)
        process.stdout.write(
          `${opts.dryRun ? 'would delete' : 'deleted'} ${path.relative(dir, r.path)} ${dim(`(${r.ageDays} days old)`)}\n`,
        );
      process.stdout.write(`${old.length} old record folder(s) ${opts.dryRun ? 'would be' : 'were'} removed.\n`);
    });
}
