import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadSettings, projectRoot, resolveApiKeys, userDataDir } from '../../config';
import { runServe } from '../../service/run-serve';
import {
  carriedSettings,
  defaultEnvFile,
  launchdPlist,
  serviceLabel,
  systemdUnit,
  systemdUnitName,
  type ServiceContext,
} from '../../service/unit-files';
import { requireKeysOrThrow } from '../batch-request';
import { CliError, ExitCode } from '../exit-codes';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'Run the local Temporal server (unless TEMPORAL_ADDRESS is set) and a worker in one long-running process, for schedules',
    )
    .option('--port <n>', 'gRPC port of the local server', '7233')
    .option('--ui-port <n>', 'Web UI port of the local server', '8233')
    .option('--db <file>', 'SQLite file of the local server', path.join(userDataDir(), 'temporal', 'dev-server.db'))
    .option('--max-activities <n>', 'activities run at once by this worker', '40')
    .addHelpText(
      'after',
      `
Keeps running until Ctrl-C or SIGTERM, then stops the worker and the server cleanly. Killed or
rebooted, it continues every batch where it was when started again. To start it at login or boot:
  $ lesson-forge service print --systemd   # a systemd user unit for this machine
  $ lesson-forge service print --launchd   # a launchd agent (macOS)`,
    )
    .action(async (opts: { port: string; uiPort: string; db: string; maxActivities: string }) => {
      const settings = loadSettings();
      requireKeysOrThrow(() => resolveApiKeys(settings.file));
      await runServe(settings, {
        port: portOption(opts.port, '--port'),
        uiPort: portOption(opts.uiPort, '--ui-port'),
        dbFile: path.resolve(opts.db),
        maxActivities: Math.max(1, Number(opts.maxActivities) || 40),
        log: (line) => process.stderr.write(`${line}\n`),
      });
    });

  const service = program
    .command('service')
    .description('Files that start `lesson-forge serve` at login or boot (systemd, launchd)');
  service
    .command('print')
    .description('Print a systemd user unit or a launchd agent for `lesson-forge serve`, filled in for this machine')
    .addOption(new Option('--systemd', 'a systemd user unit (Linux)').conflicts('launchd'))
    .addOption(new Option('--launchd', 'a launchd agent (macOS)'))
    .option('--env-file <file>', 'file of KEY=value lines with the secrets (Gemini keys), read by the service')
    .addHelpText(
      'after',
      `
Run it in the folder the service should work in (relative paths in schedules and the config file
are from there). Settings in your environment (TEMPORAL_ADDRESS, LESSON_FORGE_CONFIG ...) are
written into the file; secrets are not: they go in the env file, which the unit reads at start.

  $ lesson-forge service print --systemd > ~/.config/systemd/user/${systemdUnitName}
  $ systemctl --user daemon-reload && systemctl --user enable --now lesson-forge
  $ loginctl enable-linger "$USER"          # also at boot, without logging in

  $ lesson-forge service print --launchd > ~/Library/LaunchAgents/${serviceLabel}.plist
  $ launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/${serviceLabel}.plist`,
    )
    .action((opts: { systemd?: boolean; launchd?: boolean; envFile?: string }) => {
      const kind = opts.systemd
        ? 'systemd'
        : opts.launchd
          ? 'launchd'
          : process.platform === 'darwin'
            ? 'launchd'
            : 'systemd';
      const ctx = serviceContext(opts.envFile);
      process.stdout.write(kind === 'systemd' ? systemdUnit(ctx) : launchdPlist(ctx));
    });
}

function portOption(value: string, name: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new CliError(`${name} must be a port number, got "${value}".`, ExitCode.usage);
  return n;
}

/** This machine's paths and settings; names of secrets, never their values. */
export function serviceContext(
  envFile?: string,
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): ServiceContext {
  const settings = loadSettings(env, cwd);
  const environment: Record<string, string> = {};
  for (const name of carriedSettings) {
    const value = env[name];
    if (value) environment[name] = name === 'LESSON_FORGE_CONFIG' ? path.resolve(cwd, value) : value;
  }
  // The config file found now must be the one found then, whatever the service's folder.
  if (!environment.LESSON_FORGE_CONFIG && settings.configPath) environment.LESSON_FORGE_CONFIG = settings.configPath;
  const secretNames = [
    ...(settings.file.keys?.length ? settings.file.keys.map((k) => k.env) : ['GEMINI_API_KEY']),
    ...(env.TEMPORAL_API_KEY_ENV ? [env.TEMPORAL_API_KEY_ENV] : []),
  ];
  const nodeDir = path.dirname(process.execPath);
  const pathDirs = [nodeDir, ...(env.PATH ?? '').split(path.delimiter).filter((d) => d && path.isAbsolute(d))];
  return {
    node: process.execPath,
    command: path.join(projectRoot, 'bin', 'lesson-forge'),
    workingDirectory: cwd,
    envFile: path.resolve(envFile ?? defaultEnvFile(os.homedir())),
    environment,
    secretNames,
    logFile: path.join(userDataDir(env), 'logs', 'serve.log'),
    path: [...new Set(pathDirs)].join(path.delimiter),
  };
}
