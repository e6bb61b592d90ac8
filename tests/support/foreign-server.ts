import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { findTemporalCli } from '../../src/temporal/cli-binary';
import { freePort } from '../../src/temporal/port';
import { projectRoot } from './harness';

export interface PlainServer {
  address: string;
  client: Client;
  connection: Connection;
  stop(): Promise<void>;
}

/**
 * A Temporal dev server started the way someone else would start it: `temporal server start-dev`
 * with nothing of this project's (no search attributes, default task queue partitions), in memory.
 * A port the OS handed out can be taken again (by an outgoing connection) before the server binds
 * it: a server that exits while starting is started again on another port.
 */
export async function startPlainServer(): Promise<PlainServer> {
  const failures: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    const started = await startOnce(await freePort());
    if ('server' in started) return started.server;
    failures.push(started.failure);
    if (!started.exited) break;
  }
  throw new Error(`The plain Temporal server did not start:\n${failures.join('\n')}`);
}

async function startOnce(port: number): Promise<{ server: PlainServer } | { failure: string; exited: boolean }> {
  const child = spawn(
    findTemporalCli(),
    ['server', 'start-dev', '--headless', '--port', String(port), '--log-level', 'error'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.describeNamespace({ namespace: 'default' });
      return { server: plainServer(address, connection, child) };
    } catch (err) {
      const exited = child.exitCode !== null;
      if (Date.now() > deadline || exited) {
        child.kill('SIGKILL');
        const why = exited ? `exited with ${child.exitCode}` : 'not ready within 60 s';
        return { exited, failure: `at ${address}: ${why}, last error ${String(err)}; its stderr: ${stderr.trim()}` };
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

function plainServer(address: string, connection: Connection, child: ChildProcess): PlainServer {
  return {
    address,
    connection,
    client: new Client({ connection, namespace: 'default' }),
    async stop() {
      await connection.close();
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** The installed command as a user runs it: bin/lesson-forge, in a folder of theirs, in its own process. */
export function spawnCommand(args: string[], options: { cwd: string; env: Record<string, string> }): ChildProcess {
  // Only what a user's shell would have: no TEMPORAL_* or GEMINI_* leaking in from the test's environment.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(TEMPORAL_|GEMINI_|LESSON_FORGE_)/.test(k)),
  ) as Record<string, string>;
  return spawn(process.execPath, [path.join(projectRoot, 'bin', 'lesson-forge'), ...args], {
    cwd: options.cwd,
    env: { ...base, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command to its end. */
export function runCommand(args: string[], options: { cwd: string; env: Record<string, string> }): Promise<CommandRun> {
  const child = spawnCommand(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

/** Collects a long-running process's stderr, and waits for a line matching a pattern. */
export function watchOutput(child: ChildProcess): {
  text: () => string;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<string>;
} {
  let text = '';
  child.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  return {
    text: () => text,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + timeoutMs;
        const check = () => {
          const m = pattern.exec(text);
          if (m) return resolve(m[0]);
          if (Date.now() > deadline || child.exitCode !== null)
            return reject(new Error(`No output matching ${pattern} (exit ${child.exitCode}); output so far:\n${text}`));
          setTimeout(check, 100);
        };
        check();
      }),
  };
}
