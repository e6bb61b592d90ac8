import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { checkOutputPattern } from '../output/naming';
import { noteKeyVariables } from './child-env';
import { ConfigurationError } from './errors';
import { userConfigDir, userDataDir } from './paths';
import { webhookUrlProblem } from './webhook-url';

const limitsSchema = z.object({
  rpm: z.number().positive().optional(),
  tpm: z.number().positive().optional(),
  rpd: z.number().positive().optional(),
});

const keySchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, 'use letters, digits, - and _ (at most 40)'),
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable, not the key itself'),
  /** The Google Cloud project the key belongs to: its keys share rpm, tpm and rpd. Default: a project of its own. */
  project: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'use letters, digits, - and _ (at most 63)')
    .optional(),
  limits: z.record(z.string(), limitsSchema).optional(),
});

export const configFileSchema = z
  .object({
    keys: z.array(keySchema).optional(),
    models: z
      .object({ default: z.string().optional(), fallbacks: z.array(z.string()).optional() })
      .strict()
      .optional(),
    templatesDirs: z.array(z.string()).optional(),
    output: z
      .object({
        dir: z.string().optional(),
        pattern: z
          .string()
          .superRefine((pattern, ctx) => {
            try {
              checkOutputPattern(pattern);
            } catch (err) {
              ctx.addIssue({ code: 'custom', message: (err as Error).message });
            }
          })
          .optional(),
      })
      .strict()
      .optional(),
    /** Folders a worker reading this config may write into (besides output.dir); see README "Security". */
    outputRoots: z.array(z.string()).optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    webhookUrl: z
      .string()
      .superRefine((url, ctx) => {
        const problem = webhookUrlProblem(url);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    quotaWarningPercent: z.number().min(1).max(100).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;
export type KeyLimits = z.infer<typeof limitsSchema>;

export const configFileName = 'lesson-forge.config.json';

/**
 * Where the config file is looked for: `--config` / $LESSON_FORGE_CONFIG, else the user's own
 * config folder. A `lesson-forge.config.json` in the current folder is NOT read unless named so:
 * a folder someone else made must not choose template code, an output folder or a webhook.
 */
export function configFileCandidates(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  if (env.LESSON_FORGE_CONFIG) return [path.resolve(cwd, env.LESSON_FORGE_CONFIG)];
  return [...new Set([path.join(userConfigDir(env), 'config.json'), path.join(userDataDir(env), 'config.json')])];
}

/**
 * The current folder's `lesson-forge.config.json` when it exists but is not the config in use, so
 * the CLI can say how to opt in; undefined otherwise.
 */
export function ignoredFolderConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const local = path.join(cwd, configFileName);
  if (!fs.existsSync(local)) return undefined;
  const inUse = configFileCandidates(env, cwd).find((p) => fs.existsSync(p));
  return inUse !== undefined && path.resolve(inUse) === local ? undefined : local;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

export interface LoadedConfigFile {
  path?: string;
  config: ConfigFile;
}

export function loadConfigFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LoadedConfigFile {
  const candidates = configFileCandidates(env, cwd);
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) {
    if (env.LESSON_FORGE_CONFIG) {
      throw new ConfigurationError(
        `The config file ${candidates[0]} (from --config or LESSON_FORGE_CONFIG) does not exist.`,
      );
    }
    return { config: {} };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(found, 'utf8'));
  } catch (err) {
    throw new ConfigurationError(`Config file ${found} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new ConfigurationError(`Config file ${found} has problems:\n${lines.join('\n')}`);
  }
  const config = parsed.data;
  // Relative folders are relative to the config file, not to wherever the command runs.
  const resolveDir = (d: string) => path.resolve(path.dirname(found), expandHome(d));
  if (config.templatesDirs) config.templatesDirs = config.templatesDirs.map(resolveDir);
  if (config.output?.dir) config.output.dir = resolveDir(config.output.dir);
  if (config.outputRoots) config.outputRoots = config.outputRoots.map(resolveDir);
  // Child processes get an environment without these variables (src/config/child-env.ts).
  noteKeyVariables((config.keys ?? []).map((k) => k.env));
  return { path: found, config };
}
