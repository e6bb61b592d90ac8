import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client, Connection } from '@temporalio/client';
import { createActivities, type ActivityDeps } from './activities';
import { loadSettings, resolveApiKeys, defaults, type ApiKey, type Settings } from './config';
import { GeminiGateway } from './gemini/gateway';
import { loadCatalog } from './gemini/catalog';
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

/** A worker that runs both workflows and every activity, with the keys of this machine's environment. */
export async function createWorker(setup: WorkerSetup): Promise<{ worker: Worker; close: () => Promise<void> }> {
  const keys = setup.keys ?? resolveApiKeys(setup.settings.file);
  const connection = await NativeConnection.connect(connectionOptions(setup.address, setup.settings));
  const clientConnection = await Connection.connect(connectionOptions(setup.address, setup.settings));
  const client = new Client({ connection: clientConnection, namespace: setup.namespace });
  const deps: ActivityDeps = {
    gemini: new GeminiGateway(keys, setup.settings.env.GEMINI_BASE_URL),
    catalog: loadCatalog(),
    temporal: client,
    ...setup.deps,
  };
  const worker = await Worker.create({
    connection,
    namespace: setup.namespace,
    taskQueue: setup.taskQueue,
    ...(setup.workerOptions?.workflowBundle ? {} : { workflowsPath: require.resolve('./workflows') }),
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: 40,
    ...setup.workerOptions,
  });
  return {
    worker,
    close: async () => {
      await clientConnection.close();
      await connection.close();
    },
  };
}

/** `tsx src/worker.ts`: a worker for the configured Temporal server, until Ctrl-C. */
async function main(): Promise<void> {
  const settings = loadSettings();
  const address = settings.env.TEMPORAL_ADDRESS ?? defaults.localTemporalAddress;
  const { worker, close } = await createWorker({
    address,
    namespace: settings.env.TEMPORAL_NAMESPACE,
    taskQueue: settings.env.TEMPORAL_TASK_QUEUE,
    settings,
  });
  console.log(`Worker polling task queue "${settings.env.TEMPORAL_TASK_QUEUE}" on ${address} (namespace ${settings.env.TEMPORAL_NAMESPACE}). Ctrl-C to stop.`);
  try {
    await worker.run();
  } finally {
    await close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
