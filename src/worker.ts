import { spawn } from 'node:child_process';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createActivities, type ActivityDeps } from './activities';
import { ConfigurationError, loadSettings, resolveApiKeys, defaults, type ApiKey, type Settings } from './config';
import { GeminiGateway } from './gemini/gateway';
import { loadCatalog } from './gemini/catalog';
import { activitiesPerSecond, keyQueueName } from './keys/queues';
import { connectionOptions } from './temporal/connection';

export interface WorkerSetup {
  address: string;
  namespace: string;
  taskQueue: string;
  settings: Settings;
  /** The keys to use; by default those the settings name, read from the environment. */
  keys?: ApiKey[];
  /** Overrides for tests and benchmarks (a pre-built bundle, smaller limits...). */
  workerOptions?: Partial<WorkerOptions>;
  deps?: Partial<ActivityDeps>;
}

/** The worker of the main task queue plus one per rate-limited key queue, run and stopped together. */
export interface WorkerGroup {
  run(): Promise<void>;
  shutdown(): void;
  getState(): string;
  /** Queues this group polls, for logs. */
  queues: string[];
}

/** Rate-limited queues this worker serves: one per key (and model) with a per-minute limit. */
export function rateLimitedQueues(keys: ApiKey[], taskQueue: string): Array<{ queue: string; perSecond: number }> {
  const out: Array<{ queue: string; perSecond: number }> = [];
  for (const key of keys) {
    for (const [model, limits] of Object.entries(key.limits)) {
      if (limits.rpm)
        out.push({ queue: keyQueueName(taskQueue, key.alias, model), perSecond: activitiesPerSecond(limits.rpm) });
    }
  }
  return out;
}

/**
 * Bundles the workflow code with webpack in a short-lived child process. Bundling in the worker
 * itself leaves webpack's memory resident for the worker's whole life: measured with 8 concurrent
 * 1 GiB uploads (bench/upload-memory.ts), idle RSS 344 MB when bundling in-process, 211 MB when
 * handed a ready bundle.
 */
export function bundleWorkflowsInChild(): Promise<{ code: string }> {
  const script = `const w = require(process.argv[1]);
w.bundleWorkflowCode({ workflowsPath: process.argv[2], logger: new w.DefaultLogger('WARN') }).then(
  (b) => process.send(b.code, () => process.exit(0)),
  (e) => { console.error(e); process.exit(1); });`;
  const args = ['-e', script, require.resolve('@temporalio/worker'), require.resolve('./workflows')];
  return new Promise((resolve, reject) => {
    // Plain node (no tsx): Temporal's bundler compiles the TypeScript workflows itself.
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let code: string | undefined;
    child.on('message', (m) => {
      if (typeof m === 'string') code = m;
    });
    child.on('error', reject);
    child.on('exit', (status) => {
      if (code !== undefined) resolve({ code });
      else reject(new Error(`Bundling the workflow code failed (bundler exited with ${status}); see the error above.`));
    });
  });
}

/** Workers that run both workflows and every activity, with the keys of this machine's environment. */
export async function createWorker(setup: WorkerSetup): Promise<{ worker: WorkerGroup; close: () => Promise<void> }> {
  const keys = setup.keys ?? resolveApiKeys(setup.settings.file);
  let connection: NativeConnection;
  try {
    connection = await NativeConnection.connect(connectionOptions(setup.address, setup.settings));
  } catch (err) {
    throw new ConfigurationError(
      `The worker cannot reach the Temporal server at ${setup.address}: ${(err as Error).message}. ` +
        'Check TEMPORAL_ADDRESS and that the server is running (`lesson-forge server` starts a local one).',
    );
  }
  const clientConnection = await Connection.connect(connectionOptions(setup.address, setup.settings));
  const client = new Client({ connection: clientConnection, namespace: setup.namespace });
  const deps: ActivityDeps = {
    gemini: new GeminiGateway(keys, setup.settings.env.GEMINI_BASE_URL),
    catalog: loadCatalog(),
    temporal: client,
    keys,
    ...setup.deps,
  };
  const activities = createActivities(deps);
  const main = await Worker.create({
    connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.workerOptions?.workflowBundle ? {} : { workflowBundle: await bundleWorkflowsInChild() }),
    activities,
    maxConcurrentActivityTaskExecutions: 40,
    ...setup.workerOptions,
  });
  // The server enforces each queue's rate across all workers, so a key's limit holds however many run.
  const limited = await Promise.all(
    rateLimitedQueues(keys, setup.taskQueue).map(({ queue, perSecond }) =>
      Worker.create({
        connection,
        namespace: setup.namespace,
        taskQueue: queue,
        activities: { analyzeVideo: activities.analyzeVideo },
        maxTaskQueueActivitiesPerSecond: perSecond,
        maxConcurrentActivityTaskExecutions: 20,
      }),
    ),
  );
  const all = [main, ...limited];
  const group: WorkerGroup = {
    queues: [setup.taskQueue, ...limited.map((w) => w.options.taskQueue)],
    run: async () => {
      await Promise.all(all.map((w) => w.run()));
    },
    shutdown: () => {
      for (const w of all) if (w.getState() === 'RUNNING') w.shutdown();
    },
    getState: () => main.getState(),
  };
  return {
    worker: group,
    close: async () => {
      await clientConnection.close();
      await connection.close();
    },
  };
}

/** A worker for the configured Temporal server until Ctrl-C (Temporal shuts it down gracefully). */
export async function runWorkerUntilStopped(settings: Settings, maxActivities = 40): Promise<void> {
  const address = settings.env.TEMPORAL_ADDRESS ?? defaults.localTemporalAddress;
  const { worker, close } = await createWorker({
    address,
    namespace: settings.env.TEMPORAL_NAMESPACE,
    taskQueue: settings.env.TEMPORAL_TASK_QUEUE,
    settings,
    workerOptions: { maxConcurrentActivityTaskExecutions: maxActivities },
  });
  process.stderr.write(
    `Worker polling ${worker.queues.join(', ')} on ${address} (namespace ${settings.env.TEMPORAL_NAMESPACE}). Ctrl-C to stop.\n`,
  );
  try {
    await worker.run();
  } finally {
    await close();
  }
}

async function main(): Promise<void> {
  await runWorkerUntilStopped(loadSettings());
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
