import fs from 'node:fs';
import type { BatchInput } from '../../src/types';
import { economyCollectorId, economyStatusQuery } from '../../src/workflows/economy/definitions';
import { batchInput, makeVideoFolder, tempDir, timelineLabels, uniqueId, useWorkerRig } from '../support/harness';

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
});
