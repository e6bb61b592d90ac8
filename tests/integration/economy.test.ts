import fs from 'node:fs';
import path from 'node:path';
import type { BatchInput } from '../../src/types';
import { economyCollectorId, economyStatusQuery } from '../../src/workflows/economy/definitions';
import {
  batchInput,
  makeVideoFolder,
  tempDir,
  timelineLabels,
  uniqueId,
  useWorkerRig,
  waitFor,
} from '../support/harness';

/** Economy mode end to end: real server, real worker, the real SDK's Batch API against the stand-in. */
describe('economy mode (Gemini Batch API)', () => {
  const rig = useWorkerRig('economy', { processingMs: 20 });
  const tuning = { gatherSeconds: 1, firstPollSeconds: 1, maxPollSeconds: 2 };

  beforeEach(() => {
    rig.standin.batches.clearOutcomes();
    rig.standin.batches.configure({
      pendingMs: 100,
      runningMs: 200,
      expireAfterMs: 48 * 3600 * 1000,
      enqueuedTokenLimits: {},
    });
  });

  function economyBatch(count: number, overrides: Partial<BatchInput> = {}) {
    const videos = makeVideoFolder(count);
    const output = tempDir('econ-out');
    const batchId = uniqueId('econ');
    return {
      batchId,
      output,
      input: batchInput(batchId, [videos], output, overrides, { economy: true, economyTuning: tuning }),
    };
  }

  test('a batch goes through one Batch API job at half price', async () => {
    const { batchId, input } = economyBatch(3);
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 3, failed: 0 });
    const jobs = await rig.standin.batches.jobs();
    const ours = jobs.filter((j) => j.displayName?.includes(batchId));
    expect(ours.length).toBeGreaterThanOrEqual(1);
    expect(ours.flatMap((j) => j.bills).every((b) => b.priceFactor === 0.5)).toBe(true);
    expect(rig.standin.stats().tokensByModel).toEqual({});
    for (const out of summary.outputs) expect(fs.existsSync(out)).toBe(true);
    const status = await rig.client.workflow.getHandle(economyCollectorId(batchId)).query(economyStatusQuery);
    expect(status.answered).toBe(3);
    const labels = await timelineLabels(rig.client, economyCollectorId(batchId));
    expect(labels.some((l) => l.startsWith('create Batch API job'))).toBe(true);
  });

  test('above the inline limit, the requests go as a JSONL file and the answers come back as a results file', async () => {
    const videos = makeVideoFolder(2);
    const batchId = uniqueId('econ-file');
    const input = batchInput(
      batchId,
      [videos],
      tempDir('econ-out'),
      {},
      {
        economy: true,
        economyTuning: { ...tuning, inlineLimitBytes: 1 },
      },
    );
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs).toHaveLength(1);
    // File input: the bills carry the JSONL keys, which name each video's request.
    expect(jobs[0]!.bills.map((b) => b.key.replace(/-[a-z0-9]+#1~0$/, '')).sort()).toEqual([
      `${batchId}/lesson-01`,
      `${batchId}/lesson-02`,
    ]);
  });

  /** This batch's jobs at the stand-in, oldest first, with their bills. */
  async function jobsOf(batchId: string) {
    return (await rig.standin.batches.jobs()).filter((j) => j.displayName?.includes(batchId));
  }
  test('some requests fail: a retryable one goes into a later job, a refused one fails its video as interactively; answered ones are never sent again', async () => {
    const { batchId, input } = economyBatch(3);
    rig.standin.addFault({
      route: 'batch.request',
      match: { video: 'lesson-02' },
      times: 1,
      action: { type: 'http', kind: 'internal' },
    });
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-03' },
      action: { type: 'finish', reason: 'SAFETY' },
    });
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 2, failed: 1 });
    expect(summary.failures[0]).toMatchObject({ errorType: 'GeminiContentBlocked' });
    expect(summary.failures[0]?.reason).toMatch(/refused this video.*Batch API job batches\//);
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => j.requestCount)).toEqual([3, 1]);
    expect(jobs[0]?.bills.map((b) => [b.ok, b.errorCode])).toContainEqual([false, 13]);
    // Answered once each (lesson-03's refusal is an answer too): the second job re-sent only lesson-02.
    expect(jobs.flatMap((j) => j.bills).filter((b) => b.ok)).toHaveLength(3);
    expect(summary.outputs.join()).toContain('lesson-02');
  });

  test('a job that expires: its requests go into a new job, and nothing is billed twice', async () => {
    const { batchId, input } = economyBatch(2);
    rig.standin.batches.addOutcome({ match: { displayName: batchId }, times: 1, state: 'EXPIRED' });
    const summary = await rig.runBatch(input);
    expect(summary).toMatchObject({ succeeded: 2, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => [j.state, j.requestCount, j.bills.length])).toEqual([
      ['BATCH_STATE_EXPIRED', 2, 0],
      ['BATCH_STATE_SUCCEEDED', 2, 2],
    ]);
    // The half price is what the videos record.
    const billedTokens = jobs[1]!.bills.reduce((n, b) => n + b.promptTokens + b.candidatesTokens + b.thoughtsTokens, 0);
    expect(summary.usage.totalTokens).toBe(billedTokens);
  });

  test('an upload that expired before its request ran is uploaded again and sent in a new job', async () => {
    rig.standin.batches.configure({ pendingMs: 600_000 });
    const { batchId, input, output } = economyBatch(1);
    const run = rig.runBatch(input);
    await waitFor(async () => (await jobsOf(batchId)).length === 1, 60_000, 'the first job');
    const prepared = findFiles(output, /^economy-.*[^r]\.json$/).filter((f) => !f.includes('.answer.'));
    const fileName = (JSON.parse(fs.readFileSync(prepared[0]!, 'utf8')) as { analyzeInput: { file: { name: string } } })
      .analyzeInput.file.name;
    rig.standin.expireFile(fileName);
    rig.standin.batches.configure({ pendingMs: 100 });
    rig.standin.batches.advance((await jobsOf(batchId))[0]!.name, 'SUCCEEDED');
    const summary = await run;
    expect(summary).toMatchObject({ succeeded: 1, failed: 0 });
    const jobs = await jobsOf(batchId);
    expect(jobs.map((j) => j.bills.map((b) => b.errorCode ?? 'ok'))).toEqual([[7], ['ok']]);
    const uploads = Object.entries(rig.standin.stats().byVideo).filter(([name]) => name.startsWith('lesson-01'));
    expect(uploads.map(([, v]) => v.uploadsCompleted)).toEqual([2]);
  });
});

function findFiles(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...findFiles(full, pattern));
    else if (pattern.test(entry.name)) out.push(full);
  }
  return out;
}
