import { spawn, type ChildProcess } from 'node:child_process';
import { childEnvironment } from '../config/child-env';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { customSearchAttributes } from '../search-attributes';
import { findTemporalCli } from './cli-binary';

export interface DevServerOptions {
  port?: number;
  uiPort?: number;
  /** SQLite file; state survives restarts. Without it the server keeps state in memory. */
  dbFile?: string;
  namespace?: string;
  headless?: boolean;
  /** Server output goes here (it is noisy); defaults to a file beside the database or discarded. */
  logFile?: string;
  startTimeoutMs?: number;
  /** Keep running after this process exits (used by `serve`, which adopts it after a kill). */
  detached?: boolean;
  /**
   * False starts the server as anyone else would (no search attributes, default partitions and
   * limits): benchmarks use it to measure the project on a server it did not set up.
   */
  projectSettings?: boolean;
}

/** What the project's own local server is started with. */
function projectServerSettings(): string[] {
  const args: string[] = [];
  for (const attr of customSearchAttributes) args.push('--search-attribute', `${attr.name}=Keyword`);
  // Big batches start thousands of children; keep the server's own per-namespace rate limits out of the way.
  args.push('--dynamic-config-value', 'frontend.namespaceRPS=10000');
  args.push('--dynamic-config-value', 'frontend.namespaceRPS.visibility=1000');
  // One partition per task queue: a key queue's rate limit is then one token bucket, so a burst
  // cannot pass several partitions' allowance at once (seen: 4 partitions let 4 calls through together).
  args.push('--dynamic-config-value', 'matching.numTaskqueueReadPartitions=1');
  args.push('--dynamic-config-value', 'matching.numTaskqueueWritePartitions=1');
  return args;
}

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid: number;
  process: ChildProcess;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `temporal server start-dev` from the project's CLI with the product's search attributes
 * registered, and resolves once the namespace answers.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = findTemporalCli();
  const port = options.port ?? 7233;
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--port', String(port), '--namespace', namespace, '--log-level', 'warn'];
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort ?? port + 1000));
  if (options.dbFile) {
    fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
    // SQLite's default rollback journal syncs several times per transaction, and every workflow
    // task, signal and child start is a transaction: write-ahead logging syncs once per commit and
    // stays durable (synchronous=FULL is kept), which cuts each server round trip by half or more.
    args.push('--sqlite-pragma', 'journal_mode=wal');
  }
  if (options.projectSettings !== false) args.push(...projectServerSettings());

  const logFile = options.logFile ?? (options.dbFile ? `${options.dbFile}.log` : undefined);
  const out = logFile ? fs.openSync(logFile, 'a') : 'ignore';
  // The server never needs a Gemini key: it gets an environment without one.
  const child = spawn(cli, args, {
    stdio: ['ignore', out, out],
    detached: options.detached ?? false,
    env: childEnvironment(),
  });
  if (typeof out === 'number') fs.closeSync(out);
  if (options.detached) child.unref();
  else {
    // An attached server is this process's to stop: never leave one running after an early exit.
    const killOnExit = () => child.kill('SIGTERM');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
  }

  const address = `127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(
        new Error(
          `The Temporal dev server exited at start (code ${code ?? signal}).` +
            (logFile ? ` See ${logFile}.` : '') +
            ` Is port ${port} already in use?`,
        ),
      ),
    );
    child.once('error', reject);
  });
  exited.catch(() => undefined);
  await Promise.race([waitForNamespace(address, namespace, options.startTimeoutMs ?? 60_000), exited]);

  return {
    address,
    uiUrl: options.headless ? undefined : `http://localhost:${options.uiPort ?? port + 1000}`,
    pid: child.pid ?? -1,
    process: child,
    stop: (signal: NodeJS.Signals = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // A detached server is unref'd: without this, nothing else pending, node would exit before it does.
        child.ref();
        child.kill(signal);
      }),
  };
}

async function waitForNamespace(address: string, namespace: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`The Temporal dev server did not become ready at ${address}: ${String(lastError)}`);
}
