/**
 * Records real workflow histories as replay fixtures: `npm run record-histories -- --release <name>`.
 * Runs a few small batches (a failing video, model fallback and re-upload, a grace wait ended by
 * `retry` and `skip`, a grace that expires, two keys with a daily quota) on a stack of its own and
 * writes every run's history as JSON (the format of `temporal workflow show --output json`).
 * Recorded with the code of the day into folders named `<scenario>-<release>`; the replay test then
 * runs them against every later change. Keep the folders of earlier releases.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { ApiKey } from '../../src/config';
import type { BatchInput } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import { retrySignal, skipSignal } from '../../src/workflows/definitions';
import { processingOptions } from './processing-options';
import { startLocalStack } from '../../bench/support/local-stack';

const root = path.resolve(__dirname, '..', '..');
const here = path.join(root, 'tests', 'fixtures', 'histories');
const temporalCli = path.join(root, '.tools', 'bin', 'temporal');
const samples = path.join(root, 'samples');
const releaseArg = process.argv.indexOf('--release');
const release = releaseArg >= 0 ? process.argv[releaseArg + 1] : undefined;
const keys: ApiKey[] = [
  { alias: 'lab-a', envVar: 'GEMINI_KEY_LAB_A', value: 'fixture-key-a-0123456789', limits: {} },
  { alias: 'lab-b', envVar: 'GEMINI_KEY_LAB_B', value: 'fixture-key-b-0123456789', limits: {} },
];

function videoFolder(root: string, names: string[]): string {
  const dir = fs.mkdtempSync(path.join(root, 'videos-'));
  for (const name of names)
    fs.copyFileSync(path.join(samples, 'color-theory-intro.mp4'), path.join(dir, `${name}.mp4`));
  return dir;
}

async function saveHistories(client: Client, address: string, scenario: string, batchId: string): Promise<void> {
  const dir = path.join(here, `${scenario}-${release}`);
  fs.mkdirSync(dir, { recursive: true });
  const query = `WorkflowId = "${batchId}" OR BatchId = "${batchId}" OR WorkflowId STARTS_WITH "${batchId}/"`;
  const seen = new Set<string>();
  for await (const wf of client.workflow.list({ query })) {
    if (seen.has(wf.runId)) continue;
    seen.add(wf.runId);
    const name = `${wf.workflowId.slice(batchId.length).replace(/[^a-z0-9]+/gi, '-') || 'batch'}-${wf.runId.slice(-8)}`;
    // The CLI's own JSON: what a person exports from any server, and what replay reads back.
    const json = execFileSync(temporalCli, [
      'workflow',
      'show',
      '--address',
      address,
      '-w',
      wf.workflowId,
      '-r',
      wf.runId,
      '--output',
      'json',
    ]);
    fs.writeFileSync(path.join(dir, `${name.replace(/^-/, '')}.json`), json);
  }
  console.log(`${scenario}: ${seen.size} histories`);
}

async function main(): Promise<void> {
  if (!release || !/^[a-z0-9.-]+$/.test(release))
    throw new Error('Name the release these histories come from: npm run record-histories -- --release 0.2.0');
  const stack = await startLocalStack({
    name: 'fixtures',
    taskQueue: 'fixtures',
    standin: {
      processingMs: 50,
      latencyMs: 5,
      keys: keys.map((k) => ({ name: k.alias, value: k.value })),
    },
    keys,
  });
  const { client, standin, taskQueue, dir: work, address } = stack;
  const input = (batchId: string, videos: string, overrides: Partial<BatchInput> = {}, grace = 0): BatchInput => ({
    batchId,
    label: batchId,
    sources: { inputs: [videos], listFiles: [], recursive: false, include: [], exclude: [] },
    options: processingOptions(path.join(work, 'out', batchId), { failureGraceSeconds: grace }),
    concurrency: 2,
    keyAliases: ['lab-a'],
    ...overrides,
  });
  try {
    // 1. Three videos: one refused for good, one that meets a retired model, an expired file and
    //    an invalid answer; at most two starts per run, so the batch continues as new with children in flight.
    standin.addFault({ route: 'generate', match: { video: 'refused' }, action: { type: 'finish', reason: 'SAFETY' } });
    standin.addFault({
      route: 'generate',
      match: { video: 'recovers', model: 'gemini-3.8-flash' },
      action: { type: 'http', kind: 'not-found' },
    });
    standin.addFault({
      route: 'generate',
      match: { video: 'recovers' },
      times: 1,
      action: { type: 'http', kind: 'permission-denied' },
    });
    standin.addFault({ route: 'generate', match: { video: 'recovers' }, times: 1, action: { type: 'invalid-json' } });
    const mixed = `fx-mixed-${Date.now().toString(36)}`;
    await client.workflow.execute(BatchWorkflow, {
      workflowId: mixed,
      taskQueue,
      args: [input(mixed, videoFolder(work, ['clean', 'refused', 'recovers']), { tuning: { maxStartsPerRun: 2 } })],
    });
    await saveHistories(client, address, 'mixed-batch', mixed);
    standin.clearFaults();

    // 2. A grace period: two videos refused once wait for a person; one is retried, one skipped.
    for (const video of ['to-retry', 'to-skip'])
      standin.addFault({ route: 'generate', match: { video }, times: 1, action: { type: 'finish', reason: 'SAFETY' } });
    const grace = `fx-grace-${Date.now().toString(36)}`;
    const handle = await client.workflow.start(BatchWorkflow, {
      workflowId: grace,
      taskQueue,
      args: [input(grace, videoFolder(work, ['to-retry', 'to-skip']), {}, 600)],
    });
    for (const [video, act] of [
      ['to-retry', (id: string) => client.workflow.getHandle(id).signal(retrySignal)],
      ['to-skip', (id: string) => client.workflow.getHandle(id).signal(skipSignal, { reason: 'not this term' })],
    ] as const) {
      let id: string | undefined;
      while (!id) {
        const query = `WorkflowId STARTS_WITH "${grace}/${video}" AND VideoStatus = "NeedsAttention"`;
        for await (const wf of client.workflow.list({ query })) id = wf.workflowId;
        if (!id) await new Promise((r) => setTimeout(r, 200));
      }
      await act(id);
    }
    await handle.result();
    await saveHistories(client, address, 'grace-retry-skip', grace);

    // 3. A grace period nobody acts on: the video ends failed when it runs out.
    standin.addFault({
      route: 'generate',
      match: { video: 'ignored' },
      times: 1,
      action: { type: 'finish', reason: 'SAFETY' },
    });
    const expired = `fx-expired-${Date.now().toString(36)}`;
    await client.workflow.execute(BatchWorkflow, {
      workflowId: expired,
      taskQueue,
      args: [input(expired, videoFolder(work, ['ignored']), {}, 2)],
    });
    await saveHistories(client, address, 'grace-expired', expired);

    // 4. Two keys: lab-a's daily quota is used up, so the work moves to lab-b; usage goes to the key pool.
    standin.addFault({ route: 'generate', match: { key: 'lab-a' }, action: { type: 'http', kind: 'quota-day' } });
    const twoKeys = `fx-keys-${Date.now().toString(36)}`;
    await client.workflow.execute(BatchWorkflow, {
      workflowId: twoKeys,
      taskQueue,
      args: [input(twoKeys, videoFolder(work, ['first', 'second', 'third']), { keyAliases: ['lab-a', 'lab-b'] })],
    });
    await saveHistories(client, address, 'two-keys', twoKeys);
    // The key pool, still running: every usage report and park it heard so far.
    await saveHistories(client, address, 'key-pool', `lesson-forge-keys/${taskQueue}`);
  } finally {
    await stack.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
