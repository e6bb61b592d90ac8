import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { ScheduleCreateOptions } from '../../src/cli/commands/schedule';
import type { ApiKey, Settings } from '../../src/config';
import type { startGeminiStandin, GeminiStandin } from '../../standin';
import type { BatchInput, BatchSummary, ProcessingOptions, VideoOutcome } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import { outcomeInFailure } from '../../src/workflows/failure-info';
import { startStack, startStackWorker, stackSettings, type RunningWorker, type Stack } from './stack';
import { processingOptions } from './processing-options';

export const projectRoot = path.resolve(__dirname, '..', '..');
export const samplesDir = path.join(projectRoot, 'samples');
export const sampleFiles = ['color-theory-intro.mp4', 'stage-lighting-basics.mp4', 'perspective-drawing.webm'];

let runtimeReady = false;
/** Worker logs only when something is wrong, so test output stays readable. */
export function quietRuntime(): void {
  if (runtimeReady) return;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  runtimeReady = true;
}

export function temporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address)
    throw new Error(
      'TEMPORAL_TEST_ADDRESS is not set: run integration tests through jest (globalSetup starts the server).',
    );
  return address;
}

let bundlePromise: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle is built once per test file; building takes seconds. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundlePromise ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    logger: new DefaultLogger('ERROR'),
  });
  return bundlePromise;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `lf-${prefix}-`));
}

/** A folder of real small videos (copies of the samples under distinct names), plus optional extra files. */
export function makeVideoFolder(count: number, extra: Record<string, string | Buffer> = {}): string {
  const dir = tempDir('videos');
  for (let i = 0; i < count; i++) {
    const sample = sampleFiles[i % sampleFiles.length];
    const ext = path.extname(sample);
    fs.copyFileSync(path.join(samplesDir, sample), path.join(dir, `lesson-${String(i + 1).padStart(2, '0')}${ext}`));
  }
  for (const [name, content] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

export function testSettings(taskQueue: string, baseUrl: string): Settings {
  return stackSettings(temporalAddress(), taskQueue, baseUrl);
}

export function testKeys(value = 'test-key-value-0123456789'): ApiKey[] {
  return [{ alias: 'default', envVar: 'GEMINI_API_KEY', value, limits: {} }];
}

export async function connectTestClient(): Promise<{ client: Client; connection: Connection }> {
  const connection = await Connection.connect({ address: temporalAddress() });
  return { client: new Client({ connection, namespace: 'default' }), connection };
}

export type { RunningWorker };

/** The workflow bundle, with test-only interceptors when asked (see slow-child-starts.ts). */
async function bundleWith(workflowInterceptorModules: string[]): Promise<WorkflowBundleWithSourceMap> {
  if (!workflowInterceptorModules.length) return workflowBundle();
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows'),
    workflowInterceptorModules,
    logger: new DefaultLogger('ERROR'),
  });
}

/** A real worker in this process, on its own task queue, talking to the stand-in through the real SDK. */
export async function startTestWorker(
  taskQueue: string,
  baseUrl: string,
  keys: ApiKey[] = testKeys(),
  workflowInterceptorModules: string[] = [],
): Promise<RunningWorker> {
  quietRuntime();
  const workflowBundle = await bundleWith(workflowInterceptorModules);
  return startStackWorker(temporalAddress(), baseUrl, { taskQueue, keys, workerOptions: { workflowBundle } });
}

export interface WorkerRig {
  readonly taskQueue: string;
  readonly standin: GeminiStandin;
  readonly client: Client;
  /** Runs a batch on the rig's task queue, with its batch id as workflow id, and returns its summary. */
  runBatch(input: BatchInput): Promise<BatchSummary>;
}

/**
 * The usual integration set-up, as jest hooks: before all, a Gemini stand-in, a real worker on a
 * task queue of its own and a client; before each test, fresh stand-in counters and no faults;
 * after all, everything closed. Its fields are ready inside tests, not at describe time.
 */
export function useWorkerRig(
  prefix: string,
  standinOptions: Parameters<typeof startGeminiStandin>[0] = {},
  keys: ApiKey[] = testKeys(),
  /** Test-only workflow interceptors to bundle with the workflows (see slow-child-starts.ts). */
  workflowInterceptorModules: string[] = [],
): WorkerRig {
  const taskQueue = uniqueId(prefix);
  let stack: Stack | undefined;
  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`The rig's ${what} is only there inside tests (after beforeAll).`);
    return value;
  };

  beforeAll(async () => {
    quietRuntime();
    const workflowBundle = await bundleWith(workflowInterceptorModules);
    stack = await startStack({
      server: { address: temporalAddress() },
      standin: standinOptions,
      worker: { taskQueue, keys, workerOptions: { workflowBundle } },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(() => {
    stack?.standin.resetStats();
    stack?.standin.clearFaults();
  });

  return {
    taskQueue,
    get standin() {
      return ready(stack, 'stand-in').standin;
    },
    get client() {
      return ready(stack, 'client').client;
    },
    runBatch: (input) =>
      ready(stack, 'client').client.workflow.execute(BatchWorkflow, {
        workflowId: input.batchId,
        taskQueue,
        args: [input],
      }),
  };
}

export { processingOptions };

export function batchInput(
  batchId: string,
  inputs: string[],
  outputDir: string,
  overrides: Partial<BatchInput> = {},
  options: Partial<ProcessingOptions> = {},
): BatchInput {
  return {
    batchId,
    label: path.basename(inputs[0] ?? 'batch'),
    sources: { inputs, listFiles: [], recursive: false, include: [], exclude: [] },
    options: processingOptions(outputDir, options),
    concurrency: 4,
    keyAliases: ['default'],
    ...overrides,
  };
}

/** `schedule create`'s options as the command line gives them with no flags, writing to `output`, plus `extra`. */
export const scheduleOptions = (output: string, extra: Partial<ScheduleCreateOptions>): ScheduleCreateOptions => ({
  include: [],
  exclude: [],
  list: [],
  param: [],
  templatesDir: [],
  model: 'gemini-3.8-flash',
  output,
  waitOnFailure: false,
  ...extra,
});

export const uniqueId = (prefix: string): string =>
  `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

/** Payload bytes as text, so a search of the history sees what a person would see decoded. */
function decodeBytes(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (
    value &&
    typeof value === 'object' &&
    (value as { type?: string }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return Buffer.from((value as { data: number[] }).data).toString('utf8');
  }
  return value;
}

/** Every event of every workflow whose id starts with the prefix, as JSON text. */
export async function historiesText(client: Client, idPrefix: string): Promise<string> {
  const texts: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${idPrefix}"` })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    texts.push(JSON.stringify(history, decodeBytes));
  }
  return texts.join('\n');
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Ids of the workflows whose `activityName` activity has completed, among those whose id starts with prefix. */
export async function workflowsWithCompletedActivity(
  client: Client,
  idPrefix: string,
  activityName: string,
): Promise<string[]> {
  const done: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${idPrefix}/"` })) {
    const history = await client.workflow.getHandle(wf.workflowId).fetchHistory();
    const scheduled = new Map<string, string>();
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes)
        scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
      const completed = e.activityTaskCompletedEventAttributes;
      if (completed && scheduled.get(String(completed.scheduledEventId)) === activityName) {
        done.push(wf.workflowId);
        break;
      }
    }
  }
  return done;
}

/** A worker in its own process (`node --import tsx src/worker.ts`), so it can be killed for real. */
export function spawnWorkerProcess(env: Record<string, string>): ChildProcess {
  // Workers write only inside their output roots (README "Security"); test outputs are under the temp folder.
  const config = env.LESSON_FORGE_CONFIG ?? path.join(tempDir('worker-cfg'), 'config.json');
  if (!env.LESSON_FORGE_CONFIG) fs.writeFileSync(config, JSON.stringify({ outputRoots: [os.tmpdir()] }));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src', 'worker.ts')], {
    cwd: projectRoot,
    env: { ...process.env, ...env, LESSON_FORGE_CONFIG: config },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

/**
 * Replays every history the visibility query finds against today's workflow code and returns
 * the ones that do not replay (nondeterminism or other replay errors), as "<id>: <error>".
 * Workflow code that cannot replay its own histories would break on any worker restart.
 */
export async function historiesThatDoNotReplay(
  client: Client,
  query: string,
): Promise<{ replayed: number; failures: string[] }> {
  const results = Worker.runReplayHistories(
    { workflowBundle: await workflowBundle() },
    client.workflow.list({ query }).intoHistories(),
  );
  let replayed = 0;
  const failures: string[] = [];
  for await (const result of results) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return { replayed, failures };
}

/**
 * A VideoWorkflow's outcome: its result, or, for a video that ended Failed, the outcome it carries
 * in its failure's details (with the failure's type and message, as the Web UI shows them).
 */
export async function videoOutcome(
  handle: WorkflowHandle,
): Promise<VideoOutcome & { failure?: { type?: string | null; message: string } }> {
  try {
    return (await handle.result()) as VideoOutcome;
  } catch (err) {
    const outcome = outcomeInFailure(err);
    const failure = err instanceof WorkflowFailedError ? err.cause : undefined;
    if (!outcome || !(failure instanceof ApplicationFailure)) throw err;
    return { ...outcome, failure: { type: failure.type, message: failure.message } };
  }
}

/** The summaries of every activity, timer and child in the histories of workflows whose id starts with the prefix. */
export async function timelineLabels(client: Client, idPrefix: string): Promise<string[]> {
  const labels: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId STARTS_WITH "${idPrefix}"` })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const data = e.userMetadata?.summary?.data;
      if (data) labels.push(JSON.parse(Buffer.from(data).toString('utf8')) as string);
    }
  }
  return labels;
}
