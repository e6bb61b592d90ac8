import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { loadSettings } from '../../config';
import { TemplateRegistry } from '../../templates';
import { collect } from '../batch-request';
import { CliError, ExitCode } from '../exit-codes';
import { bold, dim, red, table } from '../output';

function registryFor(templatesDir: string[]): TemplateRegistry {
  const settings = loadSettings();
  return TemplateRegistry.load([...(settings.file.templatesDirs ?? []), ...templatesDir.map((d) => path.resolve(d))]);
}

export function registerTemplates(program: Command): void {
  const templates = program
    .command('templates')
    .description('List, show and check templates (built-in and your own)')
    .addHelpText(
      'after',
      `
A template is a folder: manifest.json, prompt.hbs, schema.ts (or schema.json), output.hbs and optionally system.hbs.
Put yours in a folder and pass --templates-dir, or list it under "templatesDirs" in your config file.
See docs/templates.md.`,
    );

  templates
    .command('list')
    .description(
      'Every template with its version, language and parameters; broken ones with their problems (runs no template code)',
    )
    .option('--templates-dir <dir>', 'also load templates from this folder (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((opts: { templatesDir: string[]; json?: boolean }) => {
      const list = registryFor(opts.templatesDir).list();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const rows = list.map((t) => [
        t.problems.length ? red(t.name) : t.name,
        t.version,
        t.language,
        t.origin + (t.overrides ? ' (overrides built-in)' : ''),
        t.parameters.map((p) => p.key).join(', ') || dim('none'),
        t.problems.length ? red(`${t.problems.length} problem(s)`) : t.description,
      ]);
      process.stdout.write(`${table(['Template', 'Version', 'Lang', 'From', 'Parameters', 'Description'], rows)}\n`);
      const broken = list.filter((t) => t.problems.length);
      for (const t of broken) {
        process.stdout.write(
          `\n${red(bold(t.name))} (${t.dir}):\n${t.problems.map((p) => `  ${p.file}: ${p.problem}`).join('\n')}\n`,
        );
      }
      if (broken.length) process.exitCode = ExitCode.configuration;
    });

  templates
    .command('show')
    .description("A template's manifest, parameters and prompt")
    .argument('<name>')
    .option('--templates-dir <dir>', 'also load templates from this folder (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((name: string, opts: { templatesDir: string[]; json?: boolean }) => {
      const registry = registryFor(opts.templatesDir);
      // The named template is the one chosen: load it in full (its schema too) so every problem shows.
      if (registry.has(name)) {
        try {
          registry.get(name);
        } catch {
          // its problems are listed below
        }
      }
      const summary = registry.list().find((t) => t.name === name);
      if (!summary)
        throw new CliError(
          `Unknown template "${name}". Available: ${registry.names().join(', ')}`,
          ExitCode.configuration,
        );
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      const lines = [
        `${bold(summary.name)} ${summary.version} (${summary.language}, ${summary.origin})`,
        summary.description,
        dim(summary.dir),
        '',
      ];
      if (summary.parameters.length) {
        lines.push(bold('Parameters (--param key=value):'));
        for (const p of summary.parameters) {
          lines.push(
            `  ${p.key} (${p.type}${p.required ? ', required' : ''}${p.default !== undefined ? `, default ${JSON.stringify(p.default)}` : ''}): ${p.description}`,
          );
        }
        lines.push('');
      }
      if (summary.problems.length) {
        lines.push(red('Problems:'), ...summary.problems.map((p) => `  ${p.file}: ${p.problem}`), '');
        process.exitCode = ExitCode.configuration;
      }
      const promptFile = path.join(summary.dir, 'prompt.hbs');
      if (fs.existsSync(promptFile)) lines.push(bold('Prompt:'), fs.readFileSync(promptFile, 'utf8'));
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
