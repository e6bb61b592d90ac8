/**
 * Read a video's duration with ffprobe. The duration drives cost estimates and the choice of media
 * resolution, but a video without one can still be analysed, so nothing here throws for a bad file:
 * callers get `undefined` (or `{ ok: false, reason }`) and carry on.
 *
 * An ffprobe that crashes, hangs, cannot run or prints nonsense says nothing about the file, so the
 * next one is tried (FFPROBE_PATH or PATH, then the one shipped in npm), and then the project's own
 * reader for the containers where that is cheap (src/media/duration). The static ffprobe shipped in
 * npm segfaults on MPEG-TS on some AVX-512 Xeons; without this, such machines get no duration for
 * any .ts video. An ffprobe that runs and says the file is unreadable is believed.
 */
import { spawn } from 'node:child_process';
import { childEnvironment } from '../config/child-env';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { readContainerDuration } from './duration';
import { sniffVideoFile } from './sniff';

export interface ProbeOptions {
  /** Kill ffprobe after this long (default 30 s: a healthy probe of a local file takes well under 1 s). */
  timeoutMs?: number;
  /** Use this ffprobe binary instead of looking one up (the built-in reader remains the fallback). */
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
      /** Set when the first ffprobe could not answer: what went wrong and where the answer came from. */
      note?: string;
    }
  | { ok: false; reason: string };

export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;

/** Duration in seconds, or undefined when it cannot be read (use `probeVideo` for the reason). */
export async function probeDuration(filePath: string, opts: ProbeOptions = {}): Promise<number | undefined> {
  const result = await probeVideo(filePath, opts);
  return result.ok ? result.durationSeconds : undefined;
}

const CANCELLED = 'ffprobe was cancelled';

/**
 * ffprobe binaries that crashed, with the containers they crashed on: not run on that kind of file
 * again in this process (a batch of 200 .ts files would otherwise crash it 200 times, each leaving
 * a kernel log line and perhaps a core dump).
 */
const crashedOn = new Map<string, Set<string>>();

async function containerOf(filePath: string): Promise<string | undefined> {
  const sniffed = await sniffVideoFile(filePath).catch(() => undefined);
  return sniffed?.ok ? sniffed.container : undefined;
}

/** Duration, format and stream kinds of a media file; `{ ok: false, reason }` instead of throwing. */
export async function probeVideo(filePath: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  if (opts.signal?.aborted) return { ok: false, reason: CANCELLED };
  const candidates = opts.ffprobePath ? [opts.ffprobePath] : ffprobeCandidates(opts.env);
  // Why each ffprobe tried gave no answer, in order.
  const problems: string[] = [];
  if (candidates.length === 0) problems.push('ffprobe was not found');
  let container: Promise<string | undefined> | undefined;
  const kind = (): Promise<string | undefined> => (container ??= containerOf(filePath));
  for (const ffprobe of candidates) {
    const crashedKinds = crashedOn.get(ffprobe);
    const known = crashedKinds ? await kind() : undefined;
    if (known && crashedKinds?.has(known)) {
      problems.push(`ffprobe (${ffprobe}) skipped: it crashed on ${known} files earlier`);
      continue;
    }
    const outcome = await runFfprobe(ffprobe, filePath, opts);
    if (outcome.kind === 'unusable' && outcome.crashed) {
      const crashedKind = await kind();
      if (crashedKind) crashedOn.set(ffprobe, (crashedKinds ?? new Set<string>()).add(crashedKind));
    }
    if (outcome.kind === 'answer') {
      if (!outcome.result.ok) {
        // It read the file and found no duration: the built-in reader may still find one.
        problems.push(outcome.result.reason);
        break;
      }
      return problems.length > 0 ? { ...outcome.result, note: problems.join('; ') } : outcome.result;
    }
    if (outcome.kind === 'verdict') return { ok: false, reason: outcome.reason };
    if (outcome.reason === CANCELLED) return { ok: false, reason: CANCELLED };
    problems.push(outcome.reason);
  }
  const own = await readContainerDuration(filePath);
  if (own.ok) return { ...own, note: `${problems.join('; ')}; duration read from the file itself` };
  const advice = problems.includes('ffprobe was not found')
    ? 'install ffmpeg, or set FFPROBE_PATH to an ffprobe binary'
    : "install a working ffmpeg (e.g. your system's package), or set FFPROBE_PATH to an ffprobe binary";
  return { ok: false, reason: `${[...problems, own.reason].join('; ')}. To get a duration: ${advice}` };
}

type FfprobeOutcome =
  /** ffprobe answered with JSON (which may still lack a duration). */
  | { kind: 'answer'; result: ProbeResult }
  /** ffprobe ran normally and refused the file: believed, nothing else is tried. */
  | { kind: 'verdict'; reason: string }
  /** This ffprobe is of no use here (missing, crashed, hung, cancelled, printed nonsense). */
  | { kind: 'unusable'; reason: string; crashed?: true };

async function runFfprobe(ffprobe: string, filePath: string, opts: ProbeOptions): Promise<FfprobeOutcome> {
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
  if (run.error) return { kind: 'unusable', reason: run.error };
  const crash = crashOf(run);
  if (crash) return { kind: 'unusable', reason: `ffprobe (${ffprobe}) crashed (${crash})`, crashed: true };
  if (run.exitCode !== 0) {
    const detail = lastLine(run.stderr) || `exit code ${String(run.exitCode)}`;
    return { kind: 'verdict', reason: `ffprobe could not read the file: ${detail}` };
  }
  const result = parseFfprobeJson(run.stdout);
  if (!result.ok && result.reason === NOT_JSON) return { kind: 'unusable', reason: `${NOT_JSON} (${ffprobe})` };
  return { kind: 'answer', result };
}

/**
 * A signal (SIGSEGV, SIGILL, SIGBUS …), or a shell wrapper's 128 + signal exit code. ffprobe's own
 * errors exit with small codes.
 */
function crashOf(run: ProcessRun): string | undefined {
  if (run.signal) return run.signal;
  if (run.exitCode !== null && run.exitCode > 128 && run.exitCode < 160) return `exit code ${run.exitCode}`;
  return undefined;
}

const positiveNumber = (value: string | undefined): number | undefined => {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
};

interface FfprobeJson {
  format?: { duration?: string; format_name?: string };
  streams?: Array<{ codec_type?: string; duration?: string }>;
}

const NOT_JSON = 'ffprobe printed something that is not JSON';

/** Interprets ffprobe's JSON; exported for tests. Falls back to the longest stream duration. */
export function parseFfprobeJson(stdout: string): ProbeResult {
  let data: FfprobeJson;
  try {
    data = JSON.parse(stdout) as FfprobeJson;
  } catch {
    return { ok: false, reason: NOT_JSON };
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
 * The ffprobe to run first: `FFPROBE_PATH`, else `ffprobe` on `PATH`, else the binary shipped by
 * the `@ffprobe-installer/ffprobe` package (so a machine without ffmpeg still works).
 */
export function findFfprobe(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return ffprobeCandidates(env)[0];
}

/** Every ffprobe to try, in order, without repeats: `FFPROBE_PATH`, `PATH`, the npm one. */
export function ffprobeCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const found = [env.FFPROBE_PATH || undefined, findOnPath('ffprobe', env), bundledFfprobe()];
  return [...new Set(found.filter((file): file is string => file !== undefined))];
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
  /** The signal that ended it, when one did (a crash, unless we stopped it: then `error` is set). */
  signal?: NodeJS.Signals | null;
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
      resolve({ exitCode: null, stdout: '', stderr: '', error: CANCELLED });
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
    const onAbort = (): void => stop(CANCELLED);
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
    child.on('close', (exitCode, exitSignal) =>
      finish({
        exitCode,
        signal: exitSignal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ...(stopReason ? { error: stopReason } : {}),
      }),
    );
  });
}

const lastLine = (text: string): string => text.trim().split(/\r?\n/).filter(Boolean).pop()?.trim() ?? '';
