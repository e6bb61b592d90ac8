import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime, type WorkerOptions } from '@temporalio/worker';
import type { ApiKey } from '../../src/config';
import type { GeminiStandin } from '../../standin';
import { startStack } from '../../tests/support/stack';

export interface LocalStack {
  /** The benchmark's own work folder (videos, output, the server's SQLite file). */
  dir: string;
  address: string;
  taskQueue: string;
  standin: GeminiStandin;
  client: Client;
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
  standin: Parameters<typeof startStack>[0]['standin'];
  keys: ApiKey[];
  workerOptions?: Partial<WorkerOptions>;
  /** False: a server with Temporal's defaults (four partitions per task queue, no search attributes). */
  projectServerSettings?: boolean;
  /** How often uploads ask whether a file is ACTIVE (default 50 ms). */
  filePollMs?: number;
}): Promise<LocalStack> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lf-bench-${options.name}-`));
  const { taskQueue } = options;
  const stack = await startStack({
    server: { dbFile: path.join(dir, 'temporal.db'), projectSettings: options.projectServerSettings },
    standin: options.standin,
    worker: {
      taskQueue,
      keys: options.keys,
      workerOptions: options.workerOptions,
      filePollMs: options.filePollMs ?? 50,
    },
  });
  const stop = async (stopOptions: { keepDir?: boolean } = {}): Promise<void> => {
    await stack.stop();
    if (!stopOptions.keepDir) fs.rmSync(dir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the worker, the stand-in and the Temporal server ...`);
      void stop().finally(() => process.exit(130));
    });
  }
  const { address, standin, client } = stack;
  return { dir, address, taskQueue, standin, client, stop };
}

/**
 * Folder of `count` videos: copies of one small sample (50 KB), each a file of its own to hash,
 * upload and name (hard links would be one video: a scan counts a file linked twice once).
 */
export function linkSampleVideos(dir: string, count: number, prefix = 'clip-'): string {
  const videoDir = path.join(dir, 'videos');
  fs.mkdirSync(videoDir);
  const sample = path.resolve(__dirname, '..', '..', 'samples', 'color-theory-intro.mp4');
  for (let i = 0; i < count; i++)
    fs.copyFileSync(
      sample,
      path.join(videoDir, `${prefix}${String(i).padStart(5, '0')}.mp4`),
      fs.constants.COPYFILE_FICLONE,
    );
  return videoDir;
}

/** A folder of `count` videos: the samples in turn, copied under names of their own (`<prefix>-001.mp4`, …). */
export function sampleVideoFolder(root: string, name: string, count: number, prefix = name): string {
  const samples = path.resolve(__dirname, '..', '..', 'samples');
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  const files = fs.readdirSync(samples).sort();
  for (let i = 0; i < count; i++) {
    const sample = files[i % files.length] as string;
    fs.copyFileSync(
      path.join(samples, sample),
      path.join(dir, `${prefix}-${String(i + 1).padStart(3, '0')}${path.extname(sample)}`),
    );
  }
  return dir;
}
