import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import type { ApiKey } from '../../src/config';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/port';
import { createWorker, type WorkerGroup } from '../../src/worker';

export interface LocalStack {
  /** The benchmark's own work folder (videos, output, the server's SQLite file). */
  dir: string;
  address: string;
  taskQueue: string;
  standin: GeminiStandin;
  client: Client;
  worker: WorkerGroup;
  /** Stops everything; keeps the work folder (and its server database) when asked to, for reading histories. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
}

/**
 * What every benchmark needs: its own dev server (SQLite, headless, free port), the Gemini stand-in
 * and a worker in this process, so this process's RSS is the worker's. Ctrl-C or a SIGTERM stops
 * them all: a benchmark must never leave a server running behind it.
 */
export async function startLocalStack(options: {
  name: string;
  taskQueue: string;
  standin: Parameters<typeof startGeminiStandin>[0];
  keys: ApiKey[];
  workerOptions?: Partial<WorkerOptions>;
  /** False: a server with Temporal's defaults (four partitions per task queue, no search attributes). */
  projectServerSettings?: boolean;
}): Promise<LocalStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lf-bench-${options.name}-`));
  const server = await startDevServer({
    port: await freePort(),
    headless: true,
    dbFile: path.join(dir, 'temporal.db'),
    projectSettings: options.projectServerSettings,
  });
  const standin = await startGeminiStandin(options.standin);
  const { taskQueue } = options;
  const { worker, close } = await createWorker({
    address: server.address,
    namespace: 'default',
    taskQueue,
    settings: {
      env: {
        TEMPORAL_ADDRESS: server.address,
        TEMPORAL_NAMESPACE: 'default',
        TEMPORAL_TASK_QUEUE: taskQueue,
        GEMINI_BASE_URL: standin.url,
      },
      // Workers write only inside their output roots; test and benchmark folders are under the temp folder.
      file: { outputRoots: [os.tmpdir()] },
    },
    keys: options.keys,
    deps: { filePollMs: 50 },
    workerOptions: options.workerOptions,
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });

  let stopping: Promise<void> | undefined;
  const stop = (stopOptions: { keepDir?: boolean } = {}): Promise<void> =>
    (stopping ??= (async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running.catch(() => undefined);
      await close();
      await connection.close();
      await standin.close();
      await server.stop();
      if (!stopOptions.keepDir) fs.rmSync(dir, { recursive: true, force: true });
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the worker, the stand-in and the Temporal server ...`);
      void stop().finally(() => process.exit(130));
    });
  }
  return { dir, address: server.address, taskQueue, standin, client, worker, stop };
}

/** Folder of `count` videos: hard links of one small sample, so each is a file of its own to hash, upload and name. */
export function linkSampleVideos(dir: string, count: number, prefix = 'clip-'): string {
  const videoDir = path.join(dir, 'videos');
  fs.mkdirSync(videoDir);
  const sample = path.resolve(__dirname, '..', '..', 'samples', 'color-theory-intro.mp4');
  for (let i = 0; i < count; i++)
    fs.linkSync(sample, path.join(videoDir, `${prefix}${String(i).padStart(5, '0')}.mp4`));
  return videoDir;
}
