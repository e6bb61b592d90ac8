import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { renderDocument } from './document';
import { analyseTemplate } from './hbs-ast';
import { COMPILE_OPTIONS, createEnvironment } from './helpers';
import { toGeminiSchema, zodToGeminiSchema } from './json-schema';
import { parseManifest, type Manifest } from './manifest';
import { sampleFromSchema } from './sample';
import { loadSchema, SCHEMA_FILES } from './schema-loader';
import type { LoadedTemplate, TemplateOrigin, TemplateProblem, ZodSchema } from './types';
import { emptyUsage } from '../types';

export interface LoadOutcome {
  name: string;
  dir: string;
  /** Present only when there are no problems. */
  template?: LoadedTemplate;
  problems: TemplateProblem[];
}

const HBS_FILES = [
  { file: 'prompt.hbs', required: true },
  { file: 'system.hbs', required: false },
  { file: 'output.hbs', required: true },
] as const;

const env = createEnvironment();

function hashFiles(dir: string, files: string[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    hash
      .update(file)
      .update('\0')
      .update(fs.readFileSync(path.join(dir, file)))
      .update('\0');
  }
  return hash.digest('hex');
}

/** What can be known of a template folder without running any of its code. */
export interface StaticOutcome {
  name: string;
  dir: string;
  manifest?: Manifest;
  sources: Partial<Record<(typeof HBS_FILES)[number]['file'], string>>;
  problems: TemplateProblem[];
}

/**
 * Reads and checks a template folder's manifest and Handlebars files; runs none of its code (no
 * schema module is loaded), so it is safe on a folder nobody chose to trust: `templates list` and
 * `--dry-run` use only this.
 */
export function inspectTemplateDir(dir: string): StaticOutcome {
  const absDir = path.resolve(dir);
  const name = path.basename(absDir);
  const problems: TemplateProblem[] = [];
  const sources: StaticOutcome['sources'] = {};
  const report = (file: string, problem: string) => problems.push({ template: name, file, problem });

  if (!fs.existsSync(absDir) || !fs.statSync(absDir).isDirectory()) {
    report('.', `${absDir} is not a folder`);
    return { name, dir: absDir, sources, problems };
  }

  let manifest: Manifest | undefined;
  const manifestPath = path.join(absDir, 'manifest.json');
  if (!fs.existsSync(manifestPath)) report('manifest.json', 'missing');
  else {
    const parsed = parseManifest(fs.readFileSync(manifestPath, 'utf8'), name);
    parsed.problems.forEach((p) => report('manifest.json', p));
    manifest = parsed.manifest;
  }

  for (const { file, required } of HBS_FILES) {
    const full = path.join(absDir, file);
    if (!fs.existsSync(full)) {
      if (required) report(file, 'missing');
      continue;
    }
    const source = fs.readFileSync(full, 'utf8');
    if (source.trim() === '') {
      report(file, required ? 'is empty' : 'is empty; delete it if there is no system instruction');
      continue;
    }
    const analysis = analyseTemplate(source);
    if (!analysis.ok) {
      report(file, analysis.error);
      continue;
    }
    sources[file] = source;
    const { usage } = analysis;
    if (manifest) {
      for (const [key, line] of usage.params) {
        if (!(key in manifest.parameters)) {
          const declared = Object.keys(manifest.parameters);
          report(
            file,
            `line ${line}: uses params.${key}, which manifest.json does not declare (declared: ${declared.join(', ') || 'none'})`,
          );
        }
      }
    }
    for (const [helper, line] of usage.unknownHelpers) report(file, `line ${line}: unknown helper "${helper}"`);
    for (const line of usage.partials) report(file, `line ${line}: partials are not supported`);
    if (file === 'output.hbs') {
      for (const line of usage.unescaped) {
        report(
          file,
          `line ${line}: {{{…}}} and {{& …}} are not allowed in output templates; use {{…}} (values are already made safe for Markdown)`,
        );
      }
    }
  }
  if (!SCHEMA_FILES.some((f) => fs.existsSync(path.join(absDir, f))))
    report(SCHEMA_FILES.join(' | '), 'missing: a template needs schema.ts, schema.js or schema.json');
  return { name, dir: absDir, manifest, sources, problems };
}

/**
 * Loads and checks one template folder, its schema module included (that runs the folder's code:
 * only for a template someone selected); never throws for a broken template, it reports.
 */
export function loadTemplateDir(
  dir: string,
  origin: TemplateOrigin = 'user',
  opts: { runCode?: boolean } = {},
): LoadOutcome {
  const checked = inspectTemplateDir(dir);
  const { name, dir: absDir, manifest, sources } = checked;
  const problems = checked.problems.filter((p) => !p.problem.startsWith('missing: a template needs'));
  const report = (file: string, problem: string) => problems.push({ template: name, file, problem });
  if (!fs.existsSync(absDir) || !fs.statSync(absDir).isDirectory()) return { name, dir: absDir, problems };

  let schema: ZodSchema | undefined;
  let schemaFile: string | undefined;
  let responseJsonSchema: Record<string, unknown> | undefined;
  const loaded: ReturnType<typeof loadSchemaWithoutCode> =
    opts.runCode === false ? loadSchemaWithoutCode(absDir) : loadSchema(absDir);
  if (!loaded) report(SCHEMA_FILES.join(' | '), 'missing: a template needs schema.ts, schema.js or schema.json');
  else if (!loaded.ok) report(loaded.file, loaded.error);
  else {
    const extra = SCHEMA_FILES.filter((f) => f !== loaded.file && fs.existsSync(path.join(absDir, f)));
    if (extra.length > 0) report(extra[0], `${loaded.file} exists too; keep only one schema file`);
    try {
      responseJsonSchema =
        loaded.notRun === true
          ? {}
          : loaded.jsonSchema !== undefined
            ? toGeminiSchema(loaded.jsonSchema)
            : zodToGeminiSchema(loaded.schema);
      schema = loaded.schema;
      schemaFile = loaded.file;
    } catch (err) {
      report(loaded.file, `cannot be sent to Gemini: ${(err as Error).message}`);
    }
  }

  if (
    problems.length > 0 ||
    !manifest ||
    !schema ||
    !schemaFile ||
    !responseJsonSchema ||
    sources['prompt.hbs'] === undefined ||
    sources['output.hbs'] === undefined
  ) {
    return { name, dir: absDir, problems };
  }

  const present = ['manifest.json', ...Object.keys(sources), schemaFile];
  const template: LoadedTemplate = {
    name,
    dir: absDir,
    origin,
    manifest,
    schema,
    responseJsonSchema,
    prompt: env.compile(sources['prompt.hbs'], COMPILE_OPTIONS),
    system: sources['system.hbs'] !== undefined ? env.compile(sources['system.hbs'], COMPILE_OPTIONS) : undefined,
    output: env.compile(sources['output.hbs'], COMPILE_OPTIONS),
    contentHash: hashFiles(absDir, present),
  };
  smokeTest(template, report);
  return problems.length > 0 ? { name, dir: absDir, problems } : { name, dir: absDir, template, problems };
}

/**
 * A schema.json is data and loads as usual; a schema module is not run: its place is taken by a
 * schema that accepts anything (for estimates, where only the prompt's size matters).
 */
function loadSchemaWithoutCode(dir: string): (ReturnType<typeof loadSchema> & { notRun?: boolean }) | undefined {
  const file = SCHEMA_FILES.find((f) => fs.existsSync(path.join(dir, f)));
  if (file === undefined || file === 'schema.json') return loadSchema(dir);
  return { ok: true, file, schema: z.unknown(), notRun: true };
}

/** Renders prompt and output once with made-up data, so runtime template errors show at load time. */
function smokeTest(template: LoadedTemplate, report: (file: string, problem: string) => void): void {
  const params = Object.fromEntries(Object.entries(template.manifest.parameters).map(([k, p]) => [k, p.default]));
  const video = {
    title: 'Sample',
    source: '/videos/sample.mp4',
    sourceKind: 'file',
    durationSeconds: 600,
    duration: '10:00',
  };
  for (const [file, fn] of [
    ['prompt.hbs', template.prompt],
    ['system.hbs', template.system],
  ] as const) {
    try {
      fn?.({ video, params, template: { name: template.name, version: template.manifest.version } });
    } catch (err) {
      report(file, `fails to render: ${(err as Error).message}`);
    }
  }
  const sample = sampleFromSchema(template.responseJsonSchema);
  if (!template.schema.safeParse(sample).success) return; // refinements we cannot guess; the real answer will tell
  try {
    renderDocument(template, sample, {
      title: 'Sample',
      source: '/videos/sample.mp4',
      sourceKind: 'file',
      durationSeconds: 600,
      created: '2026-01-01T00:00:00.000Z',
      templateName: template.name,
      templateVersion: template.manifest.version,
      model: 'sample',
      usage: emptyUsage(),
      costUsd: 0,
      mediaResolution: 'default',
      truncated: false,
      contentSha256: '0'.repeat(64),
      params,
    });
  } catch (err) {
    report('output.hbs', `fails to render: ${(err as Error).message}`);
  }
}
