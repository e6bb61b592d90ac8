import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { stateDirName, webhookUrlProblem, type Settings } from '../config';
import { FailureType } from '../failures';
import type { BatchInput } from '../types';

/**
 * What a worker lets a workflow input name. Anyone able to start a workflow on the task queue
 * chooses the inputs, so the worker trusts only its own settings: output folders inside its output
 * roots, template folders it was given, work files inside an allowed output folder's `.lesson-forge`,
 * http(s) webhooks. Built-in templates are always allowed.
 */
export interface WorkerPolicy {
  outputRoots: string[];
  templateDirs: string[];
}

/**
 * From the worker's own settings: `outputRoots` and `output.dir` of its config file, plus
 * `./lesson-plans` (the default output folder of a batch started in the worker's folder);
 * `templatesDirs` of its config file.
 */
export function policyFromSettings(settings: Settings, cwd = process.cwd()): WorkerPolicy {
  const file = settings.file;
  return {
    outputRoots: [
      ...(file.outputRoots ?? []),
      ...(file.output?.dir ? [file.output.dir] : []),
      path.resolve(cwd, 'lesson-plans'),
    ],
    templateDirs: [...(file.templatesDirs ?? [])],
  };
}

/**
 * The worker that `start-batch` runs in its own process serves the person who typed the command:
 * it may also use the output and template folders that command chose.
 */
export function allowForThisRun(settings: Settings, input: BatchInput): void {
  settings.file.outputRoots = [...(settings.file.outputRoots ?? []), input.options.outputDir];
  settings.file.templatesDirs = [...new Set([...(settings.file.templatesDirs ?? []), ...input.options.templateDirs])];
}

/** The real path of `p`, or of its nearest existing folder with the rest appended (symlinks resolved). */
function realish(p: string): string {
  const abs = path.resolve(p);
  let existing = abs;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  let real = existing;
  try {
    real = fs.realpathSync(existing);
  } catch {
    // unreadable: compare as written
  }
  return path.join(real, path.relative(existing, abs));
}

const inside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
};

function refuse(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FailureType.InputNotAllowed, nonRetryable: true, message });
}

/** Input fields that name a file the tool itself made in an output folder's `.lesson-forge`. */
const workFileFields = new Set(['draftPath', 'analysisPath', 'listPath', 'requestPath']);

export class InputGuard {
  private readonly roots: string[];
  private readonly templateDirs: string[];

  constructor(readonly policy: WorkerPolicy) {
    this.roots = policy.outputRoots.map(realish);
    this.templateDirs = policy.templateDirs.map(realish);
  }

  private outputDir(dir: string): void {
    const real = realish(dir);
    if (!this.roots.some((root) => inside(root, real))) {
      throw refuse(
        `This worker does not write to ${dir}: it is not inside an output folder the worker allows ` +
          `(${this.policy.outputRoots.join(', ') || 'none'}). Add it to "outputRoots" in the worker's config file, ` +
          'or start the batch with an --output inside one of them.',
      );
    }
    // Records, drafts and analyses live in `.lesson-forge`: one that is a link (or whose `work` or
    // `batches` is) would send them, and later deletions, elsewhere.
    for (const sub of ['', 'work', 'batches']) {
      const p = path.join(dir, stateDirName, sub);
      let info: fs.Stats;
      try {
        info = fs.lstatSync(p);
      } catch {
        continue;
      }
      if (info.isSymbolicLink() || !info.isDirectory()) {
        throw refuse(
          `${p} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}: lesson-forge keeps its records only in a real folder inside the output folder. Remove it, then retry.`,
        );
      }
    }
  }

  private templateDir(dir: string): void {
    const real = realish(dir);
    if (!this.templateDirs.some((allowed) => real === allowed)) {
      throw refuse(
        `This worker does not load templates from ${dir}: the template folders it allows are ` +
          `${this.policy.templateDirs.join(', ') || 'the built-in ones only'}. Add it to "templatesDirs" in the worker's config file.`,
      );
    }
  }

  private workFile(field: string, file: string): void {
    const real = realish(file);
    const ok = this.roots.some((root) => inside(root, real)) && real.split(path.sep).includes(stateDirName);
    if (!ok) {
      throw refuse(
        `This worker does not read ${field} ${file}: work files live in the ${stateDirName} folder of an output folder ` +
          `the worker allows (${this.policy.outputRoots.join(', ') || 'none'}; "outputRoots" in its config file).`,
      );
    }
  }

  /** Throws a non-retryable InputNotAllowed failure naming the first thing the settings do not allow. */
  check(activity: string, input: unknown): void {
    if (activity === 'loadBatchPage')
      this.withoutRefusedEstimate(input as { estimateWith?: { templateDirs?: string[] } });
    this.walk(activity, input, 0);
  }

  /**
   * A page's estimates are a forecast, not work: a page of a batch whose template folder this worker
   * does not load is listed without them (its template is never loaded), and each of its videos is
   * then refused on its own, so the batch still ends with its summary.
   */
  private withoutRefusedEstimate(input: { estimateWith?: { templateDirs?: string[] } } | undefined): void {
    const dirs = input?.estimateWith?.templateDirs ?? [];
    if (dirs.some((d) => !this.templateDirs.includes(realish(d)))) delete input!.estimateWith;
  }

  private walk(activity: string, value: unknown, depth: number): void {
    if (value === null || typeof value !== 'object' || depth > 3) return;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'outputDir' && typeof v === 'string') this.outputDir(v);
      else if (key === 'templateDirs' && Array.isArray(v)) v.forEach((d) => this.templateDir(String(d)));
      else if (workFileFields.has(key) && typeof v === 'string') this.workFile(key, v);
      else if (key === 'url' && activity === 'notifyWebhook' && typeof v === 'string') {
        const problem = webhookUrlProblem(v);
        if (problem) throw refuse(`This worker does not call the webhook: ${problem}.`);
      } else this.walk(activity, v, depth + 1);
    }
  }
}

/** The same activities, each checking its input against the worker's policy before it runs. */
export function guardActivities<T extends object>(activities: T, policy: WorkerPolicy): T {
  const guard = new InputGuard(policy);
  const guarded: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    guarded[name] = async (...args: unknown[]) => {
      guard.check(name, args[0]);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
  return guarded as T;
}
