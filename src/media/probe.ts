/**
 * Read a video's duration with ffprobe. The duration drives cost estimates and the choice of media
 * resolution, but a video without one can still be analysed, so nothing here throws for a bad file:
 * callers get `undefined` (or `{ ok: false, reason }`) and carry on.
 */
import { spawn } from 'node:child_process';
import { childEnvironment } from '../config/child-env';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export interface ProbeOptions {
  /** Kill ffprobe after this long (default 30 s: a healthy probe of a local file takes well under 1 s). */
  timeoutMs?: number;
  /** Use this ffprobe binary instead of looking one up. */
  ffprobePath?: string;
  signal?: AbortSignal;
  /** Environment for the lookup (`FFPROBE_PATH`, `PATH`); defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
}

export type ProbeResult =
  | {
      ok: true;
      durationSeconds: number;
      /** ffprobe's format name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`. */
      formatName: string;
      hasVideo: boolean;
      hasAudio: boolean;
    }
  | { ok: false; reason: string };

export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;

/** Duration in seconds, or undefined when it cannot be read (use `probeVideo` for the reason). */
export async function probeDuration(filePath: string, opts: ProbeOptions = {}): Promise<number | undefined> {
  const result = await probeVideo(filePath, opts);
  return result.ok ? result.durationSeconds : undefined;
}

/** Duration, format and stream kinds of a media file; `{ ok: false, reason }` instead of throwing. */
export async function probeVideo(filePath: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const ffprobe = opts.ffprobePath ?? findFfprobe(opts.env);
  if (!ffprobe) {
    return { ok: false, reason: 'ffprobe was not found: install ffmpeg, or set FFPROBE_PATH to an ffprobe binary' };
  }
  const args = [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_entries',
    'format=duration,format_name:stream=codec_type,duration',
    '--',
    asFileUrl(filePath),
  ];
  const run = await runProcess(ffprobe, args, opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, opts.signal);
  if (run.error) return { ok: false, reason: run.error };
  if (run.exitCode !== 0) {
    const detail = lastLine(run.stderr) || `exit code ${String(run.exitCode)}`;
    return { ok: false, reason: `ffprobe could not read the file: ${detail}` };
  }
  return parseFfprobeJson(run.stdout);
}

const positiveNumber = (value: string | undefined): number | undefined => {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};

interface FfprobeJson {
  format?: { duration?: string; format_name?: string };
  streams?: Array<{ codec_type?: string; duration?: string }>;
}

/** Interprets ffprobe's JSON; exported for tests. Falls back to the longest stream duration. */
export function parseFfprobeJson(stdout: string): ProbeResult {
  let data: FfprobeJson;
  try {
    data = JSON.parse(stdout) as FfprobeJson;
  } catch {
    return { ok: false, reason: 'ffprobe printed something that is not JSON' };
  }
  const streams = data.streams ?? [];
  const formatName = data.format?.format_name ?? 'unknown';
  // The container's duration wins; streams only help when the container has none (some WebM/MKV).
  const streamDurations = streams.map((s) => positiveNumber(s.duration)).filter((d): d is number => d !== undefined);
  const durationSeconds =
    positiveNumber(data.format?.duration) ?? (streamDurations.length > 0 ? Math.max(...streamDurations) : undefined);
  if (durationSeconds === undefined) {
    return {
      ok: false,
      reason: `ffprobe found no duration in this ${formatName} file (it may be damaged or still being written)`,
    };
  }
  return {
    ok: true,
    durationSeconds,
    formatName,
    hasVideo: streams.some((s) => s.codec_type === 'video'),
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
  };
}

/**
 * The ffprobe to run: `FFPROBE_PATH`, else `ffprobe` on `PATH`, else the binary shipped by the
 * `@ffprobe-installer/ffprobe` package (so a machine without ffmpeg still works).
 */
export function findFfprobe(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.FFPROBE_PATH) return env.FFPROBE_PATH;
  return findOnPath('ffprobe', env) ?? bundledFfprobe();
}

function findOnPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  const pathValue = env.PATH ?? env.Path ?? '';
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of pathValue.split(path.delimiter).filter(Boolean)) {
    for (const ext of extensions) {
      const candidate = path.join(dir, command + ext.toLowerCase());
      if (isExecutable(candidate)) return candidate;
    }
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function bundledFfprobe(): string | undefined {
  try {
    // Required lazily: the package throws on platforms it has no binary for.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const installer = require('@ffprobe-installer/ffprobe') as { path?: string };
    return installer.path && isExecutable(installer.path) ? installer.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ffprobe reads `concat:a|b`, `http:…` and other protocol prefixes in a name; the explicit `file:`
 * protocol on an absolute path makes any file name, however odd, just a file.
 */
const asFileUrl = (filePath: string): string => `file:${path.resolve(filePath)}`;

interface ProcessRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not run or was stopped: the reason in words. */
  error?: string;
}

/** ffprobe's JSON for one file is small; more than this means something is wrong. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** Runs a program with arguments (no shell, so file names are never interpreted) and a time limit. */
function runProcess(command: string, args: string[], timeoutMs: number, signal?: AbortSignal): Promise<ProcessRun> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve({ exitCode: null, stdout: '', stderr: '', error: 'ffprobe was cancelled' });
      return;
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let stopReason: string | undefined;
    let settled = false;
    // Its own process group (POSIX), so a stop also ends anything it started (a wrapper script's children).
    const ownGroup = process.platform !== 'win32';
    // No Gemini key in its environment: ffprobe (or whatever is first on PATH) has no use for one.
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      detached: ownGroup,
      env: childEnvironment(),
    });
    const stop = (reason: string): void => {
      stopReason ??= reason;
      try {
        if (ownGroup && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(
      () => stop(`ffprobe took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`),
      timeoutMs,
    );
    const onAbort = (): void => stop('ffprobe was cancelled');
    signal?.addEventListener('abort', onAbort, { once: true });
    const collect =
      (into: Buffer[]) =>
      (chunk: Buffer): void => {
        outputBytes += chunk.length;
        if (outputBytes > MAX_OUTPUT_BYTES) stop('ffprobe printed far more than expected and was stopped');
        else into.push(chunk);
      };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    const finish = (run: ProcessRun): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(run);
    };
    child.on('error', (err) =>
      finish({ exitCode: null, stdout: '', stderr: '', error: `could not run ffprobe (${command}): ${err.message}` }),
    );
    // A stopped run ends at exit: a grandchild still holding the pipes must not delay it.
    child.on('exit', () => {
      if (stopReason) finish({ exitCode: null, stdout: '', stderr: '', error: stopReason });
    });
    child.on('close', (exitCode) =>
      finish({
        exitCode,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ...(stopReason ? { error: stopReason } : {}),
      }),
    );
  });
}

const lastLine = (text: string): string => text.trim().split(/\r?\n/).filter(Boolean).pop()?.trim() ?? '';
