import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaults, ConfigurationError, webhookUrlProblem, type Settings } from '../config';
import { noteKeyVariables } from '../config/child-env';
import { checkOutputPattern } from '../output/naming';
import { modelChain, type ModelCatalog } from '../gemini/catalog';
import { discoverVideos, SourceError } from '../sources/discover';
import { TemplateRegistry, givenParamsFor, resolveParams } from '../templates';
import type { BatchInput, BatchSources, MediaResolution, SkippedEntry, VideoItem, WebhookRef } from '../types';
import { CliError, ExitCode } from './exit-codes';
import { keyProjectsFor, rateLimitedModelsFor, tokenLimitedModelsFor } from './keys';

/** The batch options shared by `start-batch` and `schedule create`. */
export interface BatchCliOptions {
  /** One template, or several (`-t` repeated): one note each, from one upload. */
  template?: string | string[];
  model?: string;
  output?: string;
  outputPattern?: string;
  concurrency?: string;
  recursive?: boolean;
  include: string[];
  exclude: string[];
  list: string[];
  param: string[];
  templatesDir: string[];
  force?: boolean;
  keepUploads?: boolean;
  mediaResolution?: MediaResolution;
  maxCost?: string;
  failureGrace?: string;
  waitOnFailure?: boolean;
  webhook?: string;
  webhookEnv?: string;
  batchId?: string;
  /** `--no-follow-symlinks` sets this to false: a scan stays inside its folder. */
  followSymlinks?: boolean;
  /** A dry run checks the template from its manifest and runs none of its code. */
  dryRun?: boolean;
  /** Economy mode: the Batch API, at its price. */
  economy?: boolean;
  economyPoll?: string;
}

export interface BatchRequest {
  input: BatchInput;
  items: VideoItem[];
  skipped: SkippedEntry[];
  warnings: string[];
}

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `-t` given once, several times (each once, in order), or not at all. */
export function templatesAskedFor(option: string | string[] | undefined): string[] {
  const list = option === undefined ? [] : Array.isArray(option) ? option : [option];
  return [...new Set(list.map((t) => t.trim()).filter(Boolean))];
}

export function parseParams(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--param expects key=value, got "${pair}"`, ExitCode.usage);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

function positiveInt(text: string | undefined, name: string, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new CliError(`${name} must be a whole number from 1 to ${max}, got "${text}"`, ExitCode.usage);
  return n;
}

/** "90", "90s", "15m", "2h", "1d" → seconds. */
export function parseDurationSeconds(text: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)?$/i.exec(text.trim());
  if (!m) throw new CliError(`${name} must be a duration such as 90s, 15m, 2h or 1d, got "${text}"`, ExitCode.usage);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

function slug(text: string): string {
  const s = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return s || 'batch';
}

/** Same command, same day → same id, so running it again continues the batch instead of starting over. */
export function batchIdFor(label: string, fingerprint: unknown, now: Date): string {
  const hash = crypto.createHash('sha256').update(JSON.stringify(fingerprint)).digest('hex').slice(0, 6);
  return `${slug(label)}-${now.toISOString().slice(0, 10)}-${hash}`;
}

/**
 * Turns command-line options into a validated batch, checking everything that can be checked
 * without spending anything: sources exist and hold videos, the template loads and its
 * parameters fit, the models are known, the output folder can be written.
 */
export async function buildBatchRequest(
  inputs: string[],
  opts: BatchCliOptions,
  settings: Settings,
  catalog: ModelCatalog,
  keyAliases: string[],
  now = new Date(),
): Promise<BatchRequest> {
  const warnings: string[] = [];
  if (inputs.length === 0 && opts.list.length === 0) {
    throw new CliError(
      'Nothing to process: give a folder, video files or YouTube links, or --list <file>.',
      ExitCode.usage,
    );
  }
  // Checks that cost nothing and need nothing come first, so a typo is reported before any work.
  const outputPattern = opts.outputPattern ?? settings.file.output?.pattern ?? defaults.outputPattern;
  try {
    checkOutputPattern(outputPattern);
  } catch (err) {
    throw new CliError(`--output-pattern: ${(err as Error).message}`, ExitCode.usage);
  }
  if (opts.webhook !== undefined) {
    const problem = webhookUrlProblem(opts.webhook);
    if (problem) throw new CliError(`--webhook: ${problem}.`, ExitCode.usage);
  }
  if (opts.webhookEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(opts.webhookEnv)) {
    throw new CliError(
      `--webhook-env takes the name of an environment variable, got "${opts.webhookEnv}".`,
      ExitCode.usage,
    );
  }
  const templateDirs = [...(settings.file.templatesDirs ?? []), ...opts.templatesDir.map((d) => path.resolve(d))];
  let registry: TemplateRegistry;
  try {
    registry = TemplateRegistry.load(templateDirs);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.configuration);
  }
  const templateNames = templatesAskedFor(opts.template);
  const templateName = templateNames[0] ?? defaults.template;
  if (templateNames.length > 1 && !outputPattern.includes('{template}')) {
    throw new CliError(
      `${templateNames.length} templates make ${templateNames.length} notes per video, but the output pattern "${outputPattern}" has no {template}: their names would clash. Add {template} to it, e.g. --output-pattern "{template}/{name}.md".`,
      ExitCode.usage,
    );
  }
  const templateParams = parseParams(opts.param);
  const several = templateNames.length > 1;
  const declaredSomewhere = new Set<string>();
  for (const name of templateNames.length > 0 ? templateNames : [templateName]) {
    try {
      // A broken template is reported with its file and problem before anything is spent.
      // A dry run reads the manifest only; a real run loads the selected template (its schema code) in full.
      const template = opts.dryRun ? registry.manifest(name) : registry.get(name);
      Object.keys(template.manifest.parameters).forEach((k) => declaredSomewhere.add(k));
      resolveParams(template, givenParamsFor(template, templateParams, several));
    } catch (err) {
      throw new CliError((err as Error).message, ExitCode.configuration);
    }
  }
  // With several templates each takes the parameters it declares; one that none declares is a typo.
  const unused = Object.keys(templateParams).filter((k) => !declaredSomewhere.has(k));
  if (several && unused.length > 0)
    throw new CliError(
      `None of the templates ${templateNames.join(', ')} has a parameter ${unused.map((k) => `"${k}"`).join(', ')}: see \`lesson-forge templates show <name>\`.`,
      ExitCode.configuration,
    );

  let chain: { models: string[]; warnings: string[] };
  try {
    chain = modelChain(catalog, opts.model ?? settings.file.models?.default, settings.file.models?.fallbacks, now);
  } catch (err) {
    throw new CliError((err as Error).message, ExitCode.configuration);
  }
  warnings.push(...chain.warnings);
  if (chain.models.length === 0)
    throw new CliError('No usable model: check --model and the models in your config file.', ExitCode.configuration);

  const sources: BatchSources = {
    inputs: inputs.map(inputPath),
    listFiles: opts.list.map(inputPath),
    recursive: Boolean(opts.recursive),
    include: opts.include,
    exclude: opts.exclude,
    // Only when asked, so batch ids of existing commands stay the same.
    ...(opts.followSymlinks === false ? { followSymlinks: false } : {}),
  };
  let found: { items: VideoItem[]; skipped: SkippedEntry[] };
  try {
    found = await discoverVideos(sources);
  } catch (err) {
    if (err instanceof SourceError) throw new CliError(err.message, ExitCode.input);
    throw err;
  }

  const outputDir = path.resolve(opts.output ?? settings.file.output?.dir ?? 'lesson-plans');
  assertWritableFolder(outputDir);

  const maxCostUsd = opts.maxCost === undefined ? undefined : Number(opts.maxCost.replace(/^\$/, ''));
  if (maxCostUsd !== undefined && !(maxCostUsd > 0))
    throw new CliError(`--max-cost must be a positive amount in USD, got "${opts.maxCost}"`, ExitCode.usage);

  const options: BatchInput['options'] = {
    template: templateName,
    templateParams,
    models: chain.models,
    outputDir,
    outputPattern,
    templateDirs,
    force: Boolean(opts.force),
    keepUploads: Boolean(opts.keepUploads),
    mediaResolution: opts.mediaResolution,
    rateLimitedModels: rateLimitedModelsFor(settings),
    ...quotaOptions(settings),
    failureGraceSeconds:
      opts.waitOnFailure === false
        ? 0
        : opts.failureGrace
          ? parseDurationSeconds(opts.failureGrace, '--failure-grace')
          : defaults.failureGraceSeconds,
    // Only for several, so a one-template batch (and its id) stays exactly as it was.
    ...(templateNames.length > 1 ? { templates: templateNames } : {}),
    // Only when asked, so batch ids of existing commands stay the same.
    ...economyOptionsOf(opts),
  };
  const label = labelFor(inputs, opts.list);
  const fingerprint = { sources, options, maxCostUsd };
  const input: BatchInput = {
    batchId: opts.batchId ?? batchIdFor(label, fingerprint, now),
    label,
    sources,
    options,
    concurrency: positiveInt(opts.concurrency, '--concurrency', settings.file.concurrency ?? defaults.concurrency, 64),
    keyAliases,
    maxCostUsd,
    webhook: webhookRefOf(opts, settings),
    quotaWarningPercent: settings.file.quotaWarningPercent,
  };
  if (!/^[\p{L}\p{N}._-]{1,100}$/u.test(input.batchId)) {
    throw new CliError(
      `--batch-id may use letters, digits, ".", "_" and "-" (at most 100), got "${input.batchId}"`,
      ExitCode.usage,
    );
  }
  return { input, items: found.items, skipped: found.skipped, warnings };
}

/** `--economy` and its poll interval; `--economy-poll` alone is a mistake worth saying. */
function economyOptionsOf(opts: BatchCliOptions): Partial<BatchInput['options']> {
  if (opts.economyPoll !== undefined && !opts.economy)
    throw new CliError('--economy-poll applies to economy mode only: add --economy.', ExitCode.usage);
  if (!opts.economy) return {};
  if (opts.economyPoll === undefined) return { economy: true };
  const seconds = parseDurationSeconds(opts.economyPoll, '--economy-poll');
  if (seconds < 1) throw new CliError('--economy-poll must be at least 1s.', ExitCode.usage);
  return { economy: true, economyTuning: { gatherSeconds: seconds, firstPollSeconds: seconds } };
}

/** The folder, or the nearest existing folder above it, must be writable; nothing is created here. */
function assertWritableFolder(dir: string): void {
  let probe = dir;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  try {
    if (!fs.statSync(probe).isDirectory()) throw new Error(`${probe} is a file`);
    fs.accessSync(probe, fs.constants.W_OK);
  } catch (err) {
    throw new CliError(
      `Cannot write to the output folder ${dir}: ${(err as Error).message}. Choose another with --output.`,
      ExitCode.configuration,
    );
  }
}

/**
 * An input as the workers will see it: web links as given, `file:///…` links (dragged from a
 * browser or a file manager) as the path they name, anything else as an absolute path.
 */
function inputPath(input: string): string {
  if (/^https?:\/\//i.test(input)) return input;
  if (/^file:\/\//i.test(input)) {
    try {
      return fileURLToPath(input);
    } catch {
      throw new CliError(`${input} is not a usable file:// link: write the path itself.`, ExitCode.input);
    }
  }
  return path.resolve(input);
}

function labelFor(inputs: string[], lists: string[]): string {
  const first = inputs[0] ?? lists[0];
  if (!first) return 'batch';
  if (/^https?:\/\//i.test(first)) return inputs.length > 1 ? 'youtube-links' : 'youtube';
  return path.basename(inputPath(first)).replace(/\.[^.]+$/, '') || 'batch';
}

/**
 * The environment variable through which this process's own worker reads a `--webhook <url>`:
 * the URL stays in this process, and the batch's input only names the variable.
 */
export const localWebhookVariable = 'LESSON_FORGE_WEBHOOK_URL';

/** What to do instead of a webhook URL that would have to travel through Temporal. */
export const webhookAdvice =
  'A webhook URL is often a secret and never goes into Temporal: set "webhookUrl" in the workers\' config file, or put the URL in an environment variable of the workers and pass --webhook-env <name>.';

/** How the batch names its webhook; a URL given on the command line is handed to this process's worker only. */
function webhookRefOf(opts: BatchCliOptions, settings: Settings): WebhookRef | undefined {
  // A webhook URL is a secret like a key: the programs this process starts do not get it either.
  if (opts.webhookEnv) {
    noteKeyVariables([opts.webhookEnv]);
    return { env: opts.webhookEnv };
  }
  if (opts.webhook) {
    process.env[localWebhookVariable] = opts.webhook;
    noteKeyVariables([localWebhookVariable]);
    return { env: localWebhookVariable };
  }
  return settings.file.webhookUrl ? { config: true } : undefined;
}

export function requireKeysOrThrow(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigurationError) throw new CliError(err.message, ExitCode.configuration);
    throw err;
  }
}

/** Tokens-per-minute keys and key projects for the batch input, only when the config has them. */
function quotaOptions(settings: Settings): Pick<BatchInput['options'], 'tokenLimitedModels' | 'keyProjects'> {
  const tokenLimitedModels = tokenLimitedModelsFor(settings);
  const keyProjects = keyProjectsFor(settings);
  return {
    ...(Object.keys(tokenLimitedModels).length ? { tokenLimitedModels } : {}),
    ...(Object.keys(keyProjects).length ? { keyProjects } : {}),
  };
}
