import fs from 'node:fs';
import path from 'node:path';
import { defaults, type Settings } from '../config';
import { connectClient } from '../temporal/connection';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { isListening } from '../temporal/port';

export interface ServeOptions {
  port: number;
  uiPort: number;
  dbFile: string;
  maxActivities: number;
  log: (line: string) => void;
}

/** Where a served local server's pid is kept, so a restart after a kill adopts the server it left. */
const pidFileOf = (dbFile: string) => `${dbFile}.server-pid`;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The local server: the one already listening (adopted if an earlier `serve` started it), or a new one. */
async function localServer(
  options: ServeOptions,
  namespace: string,
): Promise<{ address: string; stop?: () => Promise<void>; server?: DevServer }> {
  const address = `127.0.0.1:${options.port}`;
  const pidFile = pidFileOf(options.dbFile);
  if (await isListening(address)) {
    const pid = Number(fs.existsSync(pidFile) ? fs.readFileSync(pidFile, 'utf8') : NaN);
    if (Number.isInteger(pid) && alive(pid)) {
      // A `serve` killed without a chance to stop its server left it running: carry on with it, and own it again.
      options.log(`Using the local Temporal server an earlier serve left running (pid ${pid}).`);
      return { address, stop: () => stopPid(pid, pidFile) };
    }
    options.log(`Using the Temporal server already listening at ${address} (not started by serve; left running).`);
    return { address };
  }
  options.log(`Starting the local Temporal server (state in ${options.dbFile}) ...`);
  const server = await startDevServer({
    port: options.port,
    uiPort: options.uiPort,
    dbFile: options.dbFile,
    namespace,
    // Its own process group: a Ctrl-C in the terminal reaches serve, which stops the server last.
    detached: true,
  });
  fs.writeFileSync(pidFile, String(server.pid));
  return {
    address: server.address,
    server,
    stop: async () => {
      await server.stop();
      fs.rmSync(pidFile, { force: true });
    },
  };
}

async function stopPid(pid: number, pidFile: string): Promise<void> {
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  fs.rmSync(pidFile, { force: true });
}

/**
 * `lesson-forge serve`: the local Temporal server (when no TEMPORAL_ADDRESS is set) and a worker,
 * in one long-running process, so schedules run without anyone keeping terminals open. Stops
 * cleanly on SIGINT or SIGTERM (worker first, then the server it started). After a kill, starting
 * it again continues every batch where it was: the state is the server's, kept in SQLite.
 */
export async function runServe(settings: Settings, options: ServeOptions): Promise<void> {
  const remote = settings.env.TEMPORAL_ADDRESS;
  fs.mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const local = remote ? undefined : await localServer(options, settings.env.TEMPORAL_NAMESPACE);
  const address = remote ?? local?.address ?? defaults.localTemporalAddress;
  const namespace = settings.env.TEMPORAL_NAMESPACE;
  let stopping = false;
  const cleanup: Array<() => Promise<void>> = [];
  try {
    // Checks the namespace and registers the search attributes before the worker starts.
    const { connection } = await connectClient(address, settings);
    cleanup.push(() => connection.close());
    const { createWorker, warnAboutPartitions } = await import('../worker');
    // A service's output is read in a journal: the worker's warnings and errors, not its every state change.
    const { DefaultLogger, Runtime } = await import('@temporalio/worker');
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const { worker, close } = await createWorker({
      address,
      namespace,
      taskQueue: settings.env.TEMPORAL_TASK_QUEUE,
      settings,
      workerOptions: { maxConcurrentActivityTaskExecutions: options.maxActivities },
    });
    cleanup.unshift(close);
    const running = worker.run();
    if (!remote) options.log(`Temporal Web UI: http://localhost:${options.uiPort}/namespaces/${namespace}/workflows`);
    options.log(
      `Serving: worker polling ${worker.queues.join(', ')} on ${address} (namespace ${namespace}). ` +
        'Schedules run while this runs; Ctrl-C or SIGTERM stops it cleanly.',
    );
    void warnAboutPartitions(connection, namespace, worker.queues.slice(1), options.log);
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          options.log(`${signal} again: exiting now.`);
          process.exit(130);
        }
        stopping = true;
        options.log(`${signal}: stopping the worker (running activities are retried later), then the server ...`);
        worker.shutdown();
        void running.finally(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      running.then(resolve, resolve);
    });
    await running;
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
    await local?.stop?.();
  }
  options.log('Stopped.');
}
