import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { LogEntry } from '@temporalio/worker';
import { defaults, userDataDir, type Settings } from '../config';
import { connectClient } from '../temporal/connection';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { isListening } from '../temporal/port';
import { dim } from './output';

export interface TemporalSession {
  client: Client;
  address: string;
  /** True when no TEMPORAL_ADDRESS is set: the local default server (started if needed). */
  local: boolean;
  uiUrl?: string;
  /** Runs a worker in this process until close(). */
  startWorker(): Promise<void>;
  close(): Promise<void>;
}

let runtimeInstalled = false;

/**
 * Worker logs go to a file, so progress output stays readable; warnings and errors only.
 * @temporalio/worker is loaded here, not at the top: it takes ~0.4 s, which every command
 * (even --help) would pay otherwise.
 */
export async function installFileLogger(): Promise<string> {
  const { DefaultLogger, Runtime } = await import('@temporalio/worker');
  const logFile = path.join(userDataDir(), 'logs', 'worker.log');
  if (runtimeInstalled) return logFile;
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const out = fs.createWriteStream(logFile, { flags: 'a' });
  Runtime.install({
    logger: new DefaultLogger('WARN', (entry: LogEntry) => {
      out.write(
        `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} ${entry.level} ${entry.message} ${entry.meta ? JSON.stringify(entry.meta) : ''}\n`,
      );
    }),
  });
  runtimeInstalled = true;
  return logFile;
}

/**
 * Connects to TEMPORAL_ADDRESS, or, when none is set, to a local dev server on localhost:7233,
 * starting one (SQLite under the user's data folder, Web UI on :8233) if nothing listens there.
 */
export async function openTemporal(settings: Settings, log: (line: string) => void): Promise<TemporalSession> {
  let devServer: DevServer | undefined;
  const local = settings.env.TEMPORAL_ADDRESS === undefined;
  let address = settings.env.TEMPORAL_ADDRESS ?? defaults.localTemporalAddress;
  let uiUrl: string | undefined;
  if (local) {
    uiUrl = 'http://localhost:8233';
    if (!(await isListening(address))) {
      const dbFile = path.join(userDataDir(), 'temporal', 'dev-server.db');
      log(dim(`No Temporal server at ${address}; starting a local one (state kept in ${dbFile}) ...`));
      devServer = await startDevServer({ port: 7233, uiPort: 8233, dbFile });
      address = devServer.address;
      uiUrl = devServer.uiUrl;
    }
  }
  const { client, connection } = await connectClient(address, settings);
  let stopWorker: (() => Promise<void>) | undefined;
  return {
    client,
    address,
    local,
    uiUrl,
    async startWorker() {
      await installFileLogger();
      const { createWorker } = await import('../worker');
      const { worker, close } = await createWorker({
        address,
        namespace: settings.env.TEMPORAL_NAMESPACE,
        taskQueue: settings.env.TEMPORAL_TASK_QUEUE,
        settings,
      });
      const running = worker.run().finally(close);
      stopWorker = async () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      };
    },
    async close() {
      await stopWorker?.();
      await connection.close();
      await devServer?.stop();
    },
  };
}
