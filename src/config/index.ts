import { readEnv, type EnvSettings } from './env';
import { loadConfigFile, type ConfigFile } from './file';

export { ConfigurationError } from './errors';
export { resolveApiKeys, defaultKeyAlias, type ApiKey } from './keys';
export { projectRoot, userDataDir, userConfigDir, stateDirOf, stateDirName } from './paths';
export { childEnvironment } from './child-env';
export { webhookUrlProblem } from './webhook-url';
export { ignoredFolderConfig, configFileName } from './file';
export type { ConfigFile, KeyLimits } from './file';

export const defaults = {
  localTemporalAddress: 'localhost:7233',
  concurrency: 4,
  outputPattern: '{template}/{name}.md',
  template: 'comprehensive_lesson',
  failureGraceSeconds: 0,
  quotaWarningPercent: 90,
} as const;

export interface Settings {
  env: EnvSettings;
  file: ConfigFile;
  configPath?: string;
}

/** Environment plus optional config file, both validated; throws ConfigurationError naming the bad setting. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const envSettings = readEnv(env);
  const { path, config } = loadConfigFile(env, cwd);
  return { env: envSettings, file: config, configPath: path };
}
