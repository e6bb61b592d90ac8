import { spawn } from 'node:child_process';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createActivities, type ActivityDeps } from './activities';
import { policyFromSettings, type WorkerPolicy } from './activities/input-policy';
import { childEnvironment, noteKeyVariables } from './config/child-env';
import { ConfigurationError, loadSettings, resolveApiKeys, defaults, type ApiKey, type Settings } from './config';
import { GeminiGateway } from './gemini/gateway';
import { loadCatalog } from './gemini/catalog';
import { activitiesPerSecond, keyQueueName } from './keys/queues';
import { ExitCode } from './cli/exit-codes';
import { connectionOptions, targetOf } from './temporal/connection';
import { explainTemporalError } from './temporal/errors';
import { ensureSearchAttributes } from './temporal/search-attributes-setup';
import { partitionWarning, splitKeyQueues } from './temporal/partitions';

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
  /** What workflow inputs may name; by default from the settings (README "Security"). */
  policy?: WorkerPolicy;
}

/** The worker of the main task queue plus one per rate-limited key queue, run and stopped together. */
export interface WorkerGroup {
  run(): Promise<void>;
  shutdown(): void;
  getState(): string;
  /** Queues this group polls, for logs. */
  queues: string[];
}

/** Rate-limited queues this worker serves: one per project (and model) with a per-minute request limit. */
export function rateLimitedQueues(keys: ApiKey[], taskQueue: string): Array<{ queue: string; perSecond: number }> {
  const out: Array<{ queue: string; perSecond: number }> = [];
  for (const key of keys) {
    for (const [model, limits] of Object.entries(key.limits)) {
      const queue = keyQueueName(taskQueue, key.project ?? key.alias, model);
      if (limits.rpm && !out.some((q) => q.queue === queue))
        out.push({ queue, perSecond: activitiesPerSecond(limits.rpm) });
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
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: childEnvironment(),
    });
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
export async function createWorker(
  setup: WorkerSetup,
): Promise<{ worker: WorkerGroup; connection: Connection; close: () => Promise<void> }> {
  const keys = setup.keys ?? resolveApiKeys(setup.settings.file);
  noteKeyVariables(keys.map((k) => k.envVar));
  const target = targetOf(setup.address, setup.settings);
  const tls = setup.settings.env.TEMPORAL_TLS === 'true' || Boolean(setup.settings.env.TEMPORAL_API_KEY_ENV);
  let connection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;
  try {
    connection = await NativeConnection.connect(connectionOptions(setup.address, setup.settings));
    clientConnection = await Connection.connect(connectionOptions(setup.address, setup.settings));
    // Workflows set the search attributes: a namespace without them would fail every batch.
    await ensureSearchAttributes(clientConnection, target);
  } catch (err) {
    await clientConnection?.close().catch(() => undefined);
    await connection?.close().catch(() => undefined);
    throw explainTemporalError(err, target, tls) ?? err;
  }
  const native = connection;
  const plain = clientConnection;
  const client = new Client({ connection: plain, namespace: setup.namespace });
  const deps: ActivityDeps = {
    gemini: new GeminiGateway(keys, setup.settings.env.GEMINI_BASE_URL),
    catalog: loadCatalog(),
    temporal: client,
    keys,
    policy: setup.policy ?? policyFromSettings(setup.settings),
    webhookUrl: setup.settings.file.webhookUrl,
    ...setup.deps,
  };
  const activities = createActivities(deps);
  const main = await Worker.create({
    connection: native,
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
        connection: native,
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
    connection: plain,
    close: async () => {
      await plain.close();
      await native.close();
    },
  };
}

/**
 * Warns, once the worker polls, when a key queue is spread over several partitions: its
 * per-minute limit then lets bursts through. Says exactly which dynamic config fixes it.
 */
export async function warnAboutPartitions(
  connection: Connection,
  namespace: string,
  keyQueues: string[],
  log: (line: string) => void,
  afterMs = 3000,
): Promise<void> {
  if (keyQueues.length === 0) return;
  await new Promise((r) => setTimeout(r, afterMs).unref());
  try {
    const split = await splitKeyQueues(connection, namespace, keyQueues);
    if (split.length) log(`warning: ${partitionWarning(namespace, split)}`);
  } catch {
    // A check that cannot run (connection closing) is no reason to disturb the worker.
  }
}

/** A worker for the configured Temporal server until Ctrl-C (Temporal shuts it down gracefully). */
export async function runWorkerUntilStopped(settings: Settings, maxActivities = 40): Promise<void> {
  const address = settings.env.TEMPORAL_ADDRESS ?? defaults.localTemporalAddress;
  const { worker, connection, close } = await createWorker({
    address,
    namespace: settings.env.TEMPORAL_NAMESPACE,
    taskQueue: settings.env.TEMPORAL_TASK_QUEUE,
    settings,
    workerOptions: { maxConcurrentActivityTaskExecutions: maxActivities },
  });
  process.stderr.write(
    `Worker polling ${worker.queues.join(', ')} on ${address} (namespace ${settings.env.TEMPORAL_NAMESPACE}). Ctrl-C to stop.\n`,
  );
  void warnAboutPartitions(connection, settings.env.TEMPORAL_NAMESPACE, worker.queues.slice(1), (line) =>
    process.stderr.write(`${line}\n`),
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
    const problem = explainTemporalError(err);
    console.error(problem?.message ?? (err instanceof Error ? err.message : err));
    process.exit(
      problem?.exitCode ?? (err instanceof ConfigurationError ? ExitCode.configuration : ExitCode.unexpected),
    );
  });
}
