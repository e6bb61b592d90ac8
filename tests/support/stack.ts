/**
 * The stack every integration test, benchmark and the demo stands on: a Temporal server (one to
 * reuse, or a dev server started here), the Gemini stand-in, and optionally a real worker in this
 * process whose Gemini SDK talks to the stand-in. One set-up, stopped in reverse order.
 */
import os from 'node:os';
import { Client, Connection } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { ApiKey, Settings } from '../../src/config';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { freePort, isListening } from '../../src/temporal/port';
import { createWorker, type WorkerGroup } from '../../src/worker';
import { startGeminiStandin, type GeminiStandin } from '../../standin';

/** A server to use as it is, or a dev server to start (a free port unless given; reused if one already listens there). */
export type ServerChoice =
  | { address: string }
  | {
      dbFile: string;
      port?: number;
      uiPort?: number;
      headless?: boolean;
      /** False: Temporal's defaults (four partitions per task queue, no search attributes). */
      projectSettings?: boolean;
    };

export interface StackWorker {
  taskQueue: string;
  keys: ApiKey[];
  workerOptions?: Partial<WorkerOptions>;
  /** How often uploads ask whether a file is ACTIVE: short against the stand-in. */
  filePollMs?: number;
  /** Length of the quota minute the token ledger keeps (to match a stand-in with a shorter minute). */
  quotaMinuteMs?: number;
}

export interface RunningWorker {
  worker: WorkerGroup;
  shutdown(): Promise<void>;
}

export interface Stack {
  address: string;
  standin: GeminiStandin;
  client: Client;
  worker?: RunningWorker;
  stop(): Promise<void>;
}

/** Worker settings as the environment would give them: this server, this queue, Gemini at the stand-in. */
export function stackSettings(address: string, taskQueue: string, geminiBaseUrl: string): Settings {
  return {
    env: {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      GEMINI_BASE_URL: geminiBaseUrl,
    },
    // Workers write only inside their output roots; test and benchmark folders are under the temp folder.
    file: { outputRoots: [os.tmpdir()] },
  };
}

/** A real worker in this process, running until shutdown. */
export async function startStackWorker(address: string, geminiBaseUrl: string, w: StackWorker): Promise<RunningWorker> {
  const { worker, close } = await createWorker({
    address,
    namespace: 'default',
    taskQueue: w.taskQueue,
    settings: stackSettings(address, w.taskQueue, geminiBaseUrl),
    keys: w.keys,
    workerOptions: w.workerOptions,
    deps: { filePollMs: w.filePollMs ?? 100, ...(w.quotaMinuteMs ? { quotaMinuteMs: w.quotaMinuteMs } : {}) },
  });
  const running = worker.run();
  return {
    worker,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await close();
    },
  };
}

async function serverFor(choice: ServerChoice): Promise<{ address: string; server?: DevServer }> {
  if ('address' in choice) return { address: choice.address };
  const port = choice.port ?? (await freePort());
  if (choice.port !== undefined && (await isListening(`localhost:${port}`))) return { address: `localhost:${port}` };
  const server = await startDevServer({
    port,
    uiPort: choice.uiPort,
    headless: choice.headless ?? true,
    dbFile: choice.dbFile,
    projectSettings: choice.projectSettings,
  });
  return { address: server.address, server };
}

export async function startStack(options: {
  server: ServerChoice;
  standin: Parameters<typeof startGeminiStandin>[0];
  worker?: StackWorker;
}): Promise<Stack> {
  const { address, server } = await serverFor(options.server);
  const standin = await startGeminiStandin(options.standin);
  const worker = options.worker ? await startStackWorker(address, standin.url, options.worker) : undefined;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await worker?.shutdown();
      await connection.close();
      await standin.close();
      await server?.stop();
    })());
  return { address, standin, client, worker, stop };
}
