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

/** The names `safeIdFolder` gives record folders (`<readable id>-<8 hex>`): nothing else is ever deleted. */
const recordFolderName = /^[\p{L}\p{N}._-]{0,80}-[0-9a-f]{8}$/u;

/** A real folder (never a symbolic link), or nothing; anything else is refused with the reason. */
function realFolder(dir: string): boolean {
  let info: fs.Stats;
  try {
    info = fs.lstatSync(dir);
  } catch {
    return false;
  }
  if (info.isSymbolicLink())
    throw new CliError(
      `${dir} is a symbolic link; cleanup never follows links out of the output folder. Remove the link, then run cleanup again.`,
      ExitCode.input,
    );
  if (!info.isDirectory()) throw new CliError(`${dir} is not a folder; nothing was deleted.`, ExitCode.input);
  return true;
}

/**
 * Old batch records (lists, outcomes, reports) and per-video work files (stored analyses, drafts)
 * under an output folder's `.lesson-forge/`. The manifest, which says what is up to date, and the
 * Markdown outputs are never touched; neither is anything reached through a symbolic link, nor a
 * folder whose name is not one the tool gives its records.
 */
export function findOldRecords(outputDir: string, olderThanSeconds: number, now = Date.now()): Removal[] {
  const state = stateDirOf(outputDir);
  const out: Removal[] = [];
  if (!realFolder(state)) return out;
  for (const sub of ['batches', 'work']) {
    const dir = path.join(state, sub);
    if (!realFolder(dir)) continue;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      // Dirent does not follow links: a link to a folder elsewhere is not a directory here.
      if (!entry.isDirectory() || !recordFolderName.test(entry.name)) continue;
      const full = path.join(dir, entry.name);
      const age = (now - fs.lstatSync(full).mtimeMs) / 1000;
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
      if (!fs.existsSync(stateDirOf(dir)) && !isLink(stateDirOf(dir)))
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

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
