import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from './errors';
import { userDataDir } from './paths';

const limitsSchema = z.object({
  rpm: z.number().positive().optional(),
  tpm: z.number().positive().optional(),
  rpd: z.number().positive().optional(),
});

const keySchema = z.object({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, 'use letters, digits, - and _ (at most 40)'),
  env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be the NAME of an environment variable, not the key itself'),
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
    output: z.object({ dir: z.string().optional(), pattern: z.string().optional() }).strict().optional(),
    concurrency: z.number().int().min(1).max(64).optional(),
    webhookUrl: z.string().url().optional(),
    quotaWarningPercent: z.number().min(1).max(100).optional(),
  })
  .strict();

export type ConfigFile = z.infer<typeof configFileSchema>;
export type KeyLimits = z.infer<typeof limitsSchema>;

export const configFileName = 'lesson-forge.config.json';

/** Where the config file is looked for: $LESSON_FORGE_CONFIG, ./lesson-forge.config.json, the user data folder. */
export function configFileCandidates(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string[] {
  if (env.LESSON_FORGE_CONFIG) return [path.resolve(cwd, env.LESSON_FORGE_CONFIG)];
  return [path.join(cwd, configFileName), path.join(userDataDir(env), 'config.json')];
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
      throw new ConfigurationError(`LESSON_FORGE_CONFIG points to ${candidates[0]}, which does not exist.`);
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
  return { path: found, config };
}
