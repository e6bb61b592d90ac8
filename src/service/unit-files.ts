import path from 'node:path';

/** What a unit file needs to know about this machine; secrets are not among them. */
export interface ServiceContext {
  /** Absolute paths of node and of the lesson-forge command. */
  node: string;
  command: string;
  /** Folder the service runs in: relative paths in schedules and the config file are from here. */
  workingDirectory: string;
  /** File of KEY=value lines holding the secrets (Gemini keys, a Temporal API key), read at start. */
  envFile: string;
  /** Settings to bake in (non-secret environment: TEMPORAL_ADDRESS, LESSON_FORGE_CONFIG ...). */
  environment: Record<string, string>;
  /** Names of the secret variables the env file must define (never their values). */
  secretNames: string[];
  logFile: string;
  /** PATH for the service, so the temporal CLI and ffprobe found now are found then. */
  path: string;
}

/** Non-secret settings worth carrying from the shell into the service. */
export const carriedSettings = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_TASK_QUEUE',
  'TEMPORAL_TLS',
  'TEMPORAL_API_KEY_ENV',
  'TEMPORAL_CLI',
  'GEMINI_BASE_URL',
  'LESSON_FORGE_CONFIG',
  'LESSON_FORGE_HOME',
] as const;

export const serviceLabel = 'org.lesson-forge.serve';
export const systemdUnitName = 'lesson-forge.service';

const systemdQuote = (value: string) => (/[\s"\\]/.test(value) ? `"${value.replace(/(["\\])/g, '\\$1')}"` : value);

/** A systemd user unit: `systemctl --user enable --now lesson-forge`. */
export function systemdUnit(ctx: ServiceContext): string {
  const env = Object.entries({ PATH: ctx.path, ...ctx.environment }).map(
    ([k, v]) => `Environment=${systemdQuote(`${k}=${v}`)}`,
  );
  return `# ~/.config/systemd/user/${systemdUnitName} — written by \`lesson-forge service print --systemd\`
# Secrets are not in this file: put ${ctx.secretNames.join(', ') || 'GEMINI_API_KEY'} (KEY=value lines) in ${ctx.envFile} (chmod 600).
[Unit]
Description=lesson-forge: local Temporal server and worker for scheduled lesson batches
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
WorkingDirectory=${systemdQuote(ctx.workingDirectory)}
EnvironmentFile=-${ctx.envFile}
${env.join('\n')}
ExecStart=${systemdQuote(ctx.node)} ${systemdQuote(ctx.command)} serve
# serve stops its worker, then the server, on SIGTERM; a killed serve resumes where it was.
KillSignal=SIGTERM
KillMode=mixed
TimeoutStopSec=60
Restart=on-failure
RestartSec=10

[Install]
WantedBy=default.target
`;
}

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A launchd agent: `launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/org.lesson-forge.serve.plist`. */
export function launchdPlist(ctx: ServiceContext): string {
  // launchd has no env-file setting: a shell reads the secrets file, then becomes lesson-forge.
  const script = `set -a; [ -f ${shellQuote(ctx.envFile)} ] && . ${shellQuote(ctx.envFile)}; set +a; exec ${shellQuote(ctx.node)} ${shellQuote(ctx.command)} serve`;
  const env = Object.entries({ PATH: ctx.path, ...ctx.environment })
    .map(([k, v]) => `    <key>${xml(k)}</key>\n    <string>${xml(v)}</string>`)
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- ~/Library/LaunchAgents/${serviceLabel}.plist, written by \`lesson-forge service print --launchd\`.
     Secrets are not in this file: put ${xml(ctx.secretNames.join(', ') || 'GEMINI_API_KEY')} (KEY=value lines) in ${xml(ctx.envFile)} (chmod 600). -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${serviceLabel}</string>
  <key>ProgramArguments</key>
  <array>
    <string>/bin/sh</string>
    <string>-c</string>
    <string>${xml(script)}</string>
  </array>
  <key>WorkingDirectory</key>
  <string>${xml(ctx.workingDirectory)}</string>
  <key>EnvironmentVariables</key>
  <dict>
${env}
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ExitTimeOut</key>
  <integer>60</integer>
  <key>StandardOutPath</key>
  <string>${xml(ctx.logFile)}</string>
  <key>StandardErrorPath</key>
  <string>${xml(ctx.logFile)}</string>
</dict>
</plist>
`;
}

/** The secrets file's usual place: beside the user's other lesson-forge settings. */
export function defaultEnvFile(home: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin'
    ? path.join(home, 'Library', 'Application Support', 'lesson-forge', 'service.env')
    : path.join(home, '.config', 'lesson-forge', 'service.env');
}
