import { projectLimits } from '../keys/projects';
import { noteKeyVariables } from './child-env';
import { ConfigurationError } from './errors';
import type { ConfigFile, KeyLimits } from './file';

/**
 * An API key known by name. `value` is only ever read by activities in the worker process; it never
 * enters a workflow input, a history, a log line or an output.
 */
export interface ApiKey {
  alias: string;
  envVar: string;
  value: string;
  /** The Google Cloud project whose quota the key draws on (default: the key's own name). */
  project?: string;
  /** The limits of the key's project (every key of a project carries the same). */
  limits: Record<string, KeyLimits>;
}

export const defaultKeyAlias = 'default';

/** Keys from the config file (by env var name), or GEMINI_API_KEY as the alias "default". */
export function resolveApiKeys(config: ConfigFile, env: NodeJS.ProcessEnv = process.env): ApiKey[] {
  noteKeyVariables((config.keys ?? []).map((k) => k.env));
  if (config.keys && config.keys.length > 0) {
    const seen = new Set<string>();
    const keys: ApiKey[] = [];
    const missing: string[] = [];
    for (const k of config.keys) {
      if (seen.has(k.name)) throw new ConfigurationError(`Key name "${k.name}" appears twice in the config file.`);
      seen.add(k.name);
      const value = env[k.env]?.trim();
      if (!value) {
        missing.push(`${k.name} (set ${k.env})`);
        continue;
      }
      keys.push({ alias: k.name, envVar: k.env, value, project: k.project, limits: k.limits ?? {} });
    }
    const projects = projectLimits(config.keys.map((k) => ({ alias: k.name, project: k.project, limits: k.limits })));
    if (projects.conflicts.length) throw new ConfigurationError(`Key limits: ${projects.conflicts.join('; ')}.`);
    for (const key of keys) key.limits = projects.limits[key.project ?? key.alias] ?? {};
    if (keys.length === 0) {
      throw new ConfigurationError(`None of the configured Gemini keys has a value: ${missing.join(', ')}.`);
    }
    return keys;
  }
  const value = env.GEMINI_API_KEY?.trim();
  if (!value) {
    throw new ConfigurationError(
      'No Gemini API key. Set GEMINI_API_KEY (create one at https://aistudio.google.com/apikey), ' +
        'or list keys by environment-variable name under "keys" in your config file (README "Configuration").',
    );
  }
  return [{ alias: defaultKeyAlias, envVar: 'GEMINI_API_KEY', value, limits: {} }];
}
