import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError } from '../config/errors';
import { loadTemplateDir, type LoadOutcome } from './loader';
import type { LoadedTemplate, TemplateOrigin, TemplateProblem, TemplateSummary } from './types';

/** `<repo>/templates`, found from this file so it works from src/ under tsx and under jest. */
export const BUILT_IN_TEMPLATES_DIR = path.resolve(__dirname, '..', '..', 'templates');

interface Entry extends LoadOutcome {
  origin: TemplateOrigin;
  overrides?: string;
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

export class TemplateRegistry {
  /** Human-readable lines about user templates replacing built-ins, for the CLI to show. */
  readonly notices: string[] = [];

  private constructor(private readonly entries: Map<string, Entry>) {
    for (const entry of entries.values()) {
      if (entry.overrides)
        this.notices.push(`Template "${entry.name}" from ${entry.dir} replaces the one in ${entry.overrides}.`);
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
        const outcome = loadTemplateDir(dir, origin);
        const previous = entries.get(outcome.name);
        entries.set(outcome.name, { ...outcome, origin, overrides: previous?.dir });
      }
    };
    add(templateDirsIn(builtInDir), 'built-in');
    for (const extra of extraDirs) {
      const dir = path.resolve(extra);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        throw new ConfigurationError(
          `Template folder ${dir} does not exist or is not a folder (check --templates-dir / "templatesDirs" in lesson-forge.config.json).`,
        );
      }
      add(templateDirsIn(dir), 'user');
    }
    return new TemplateRegistry(entries);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  list(): TemplateSummary[] {
    return this.names().map((name) => {
      const e = this.entries.get(name) as Entry;
      const m = e.template?.manifest;
      return {
        name,
        version: m?.version ?? '?',
        description: m?.description ?? '(cannot be loaded)',
        language: m?.language ?? '?',
        tags: m?.tags ?? [],
        origin: e.origin,
        dir: e.dir,
        ...(e.overrides ? { overrides: e.overrides } : {}),
        parameters: Object.entries(m?.parameters ?? {}).map(([key, p]) => ({
          key,
          type: p.type,
          required: p.required === true && p.default === undefined,
          ...(p.default !== undefined ? { default: p.default } : {}),
          description: p.description,
        })),
        problems: e.problems,
      };
    });
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The usable template, or a ConfigurationError that lists what exists or what is wrong. */
  get(name: string): LoadedTemplate {
    const entry = this.entries.get(name);
    if (!entry) {
      throw new ConfigurationError(
        `Unknown template "${name}". Available templates: ${this.names().join(', ') || 'none'}.`,
      );
    }
    if (!entry.template) {
      const details = entry.problems.map((p) => `  ${p.file}: ${p.problem}`).join('\n');
      throw new ConfigurationError(`Template "${name}" (${entry.dir}) cannot be used:\n${details}`);
    }
    return entry.template;
  }

  /** Every problem of every template (all of them, or the named ones). */
  problems(names: string[] = this.names()): TemplateProblem[] {
    return names.flatMap(
      (n) => this.entries.get(n)?.problems ?? [{ template: n, file: '.', problem: 'no such template' }],
    );
  }
}
