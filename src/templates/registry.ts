import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../config/errors';
import { inspectTemplateDir, loadTemplateDir, type LoadOutcome, type StaticOutcome } from './loader';
import type { Manifest } from './manifest';
import type { LoadedTemplate, TemplateOrigin, TemplateProblem, TemplateSummary } from './types';

/** `<repo>/templates`, found from this file so it works from src/ under tsx and under jest. */
export const BUILT_IN_TEMPLATES_DIR = path.resolve(__dirname, '..', '..', 'templates');

interface Entry {
  origin: TemplateOrigin;
  overrides?: string;
  /** Manifest and Handlebars checks: no template code has run. */
  checked: StaticOutcome;
  /** Set once the template was selected and its schema module loaded. */
  loaded?: LoadOutcome;
}

/** A folder is either one template (it has manifest.json) or a folder of template folders. */
function templateDirsIn(dir: string): string[] {
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return [dir];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !e.name.startsWith('_'))
    .map((e) => path.join(dir, e.name))
    .sort();
}

/**
 * The templates known from the built-in folder and the extra folders. Listing reads manifests and
 * Handlebars files only; a template's schema module (its code) is loaded when that template is
 * selected with `get`, never for the others.
 */
export class TemplateRegistry {
  /** Human-readable lines about user templates replacing built-ins, for the CLI to show. */
  readonly notices: string[] = [];

  private constructor(private readonly entries: Map<string, Entry>) {
    for (const [name, entry] of entries) {
      if (entry.overrides)
        this.notices.push(`Template "${name}" from ${entry.checked.dir} replaces the one in ${entry.overrides}.`);
    }
  }

  /**
   * Built-in templates, then each extra folder in order; a later template of the same name wins.
   * A missing extra folder is a configuration error; a broken template is kept with its problems
   * so one bad folder does not hide the others.
   */
  static load(extraDirs: string[] = [], builtInDir: string = BUILT_IN_TEMPLATES_DIR): TemplateRegistry {
    const entries = new Map<string, Entry>();
    const add = (dirs: string[], origin: TemplateOrigin) => {
      for (const dir of dirs) {
        const checked = inspectTemplateDir(dir);
        const previous = entries.get(checked.name);
        entries.set(checked.name, { checked, origin, overrides: previous?.checked.dir });
      }
    };
    add(templateDirsIn(builtInDir), 'built-in');
    for (const extra of extraDirs) {
      const dir = path.resolve(extra);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new ConfigurationError(
          `Template folder ${dir} does not exist or is not a folder (check --templates-dir / "templatesDirs" in the config file).`,
        );
      }
      add(templateDirsIn(dir), 'user');
    }
    return new TemplateRegistry(entries);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  private problemsOf(entry: Entry): TemplateProblem[] {
    return entry.loaded?.problems ?? entry.checked.problems;
  }

  list(): TemplateSummary[] {
    return this.names().map((name) => {
      const e = this.entries.get(name) as Entry;
      const m = e.checked.manifest;
      return {
        name,
        version: m?.version ?? '?',
        description: m?.description ?? '(cannot be loaded)',
        language: m?.language ?? '?',
        tags: m?.tags ?? [],
        origin: e.origin,
        dir: e.checked.dir,
        ...(e.overrides ? { overrides: e.overrides } : {}),
        parameters: Object.entries(m?.parameters ?? {}).map(([key, p]) => ({
          key,
          type: p.type,
          required: p.required === true && p.default === undefined,
          ...(p.default !== undefined ? { default: p.default } : {}),
          description: p.description,
        })),
        problems: this.problemsOf(e),
      };
    });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  private entry(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry) {
      throw new ConfigurationError(
        `Unknown template "${name}". Available templates: ${this.names().join(', ') || 'none'}.`,
      );
    }
    return entry;
  }

  private unusable(name: string, dir: string, problems: TemplateProblem[]): ConfigurationError {
    const details = problems.map((p) => `  ${p.file}: ${p.problem}`).join('\n');
    return new ConfigurationError(`Template "${name}" (${dir}) cannot be used:\n${details}`);
  }

  /**
   * A template's name and manifest, checked without running its code (for estimates and parameter
   * checks that must not execute a folder's schema module), or a ConfigurationError.
   */
  manifest(name: string): { name: string; dir: string; manifest: Manifest } {
    const entry = this.entry(name);
    const { manifest, dir, problems } = entry.checked;
    if (!manifest || problems.length > 0) throw this.unusable(name, dir, problems);
    return { name, dir, manifest };
  }

  /**
   * The template as far as an estimate needs it (prompt, system instruction, response schema) with
   * no code of a user's folder run: a built-in template loads whole; a user template's schema
   * module is not run, so its size is not counted (a schema.json is).
   */
  forEstimate(name: string): LoadedTemplate {
    const entry = this.entry(name);
    if (entry.origin === 'built-in') return this.get(name);
    const outcome = loadTemplateDir(entry.checked.dir, entry.origin, { runCode: false });
    if (!outcome.template) throw this.unusable(name, entry.checked.dir, outcome.problems);
    return outcome.template;
  }

  /** The usable template (its schema module loaded now: it was selected), or a ConfigurationError. */
  get(name: string): LoadedTemplate {
    const entry = this.entry(name);
    entry.loaded ??= loadTemplateDir(entry.checked.dir, entry.origin);
    if (!entry.loaded.template) throw this.unusable(name, entry.checked.dir, entry.loaded.problems);
    return entry.loaded.template;
  }

  /** Every problem known without running code, of every template (all of them, or the named ones). */
  problems(names: string[] = this.names()): TemplateProblem[] {
    return names.flatMap((n) => {
      const entry = this.entries.get(n);
      return entry ? this.problemsOf(entry) : [{ template: n, file: '.', problem: 'no such template' }];
    });
  }
}
