import path from 'node:path';
import { getModel, loadCatalog } from '../../src/gemini/catalog';
import { estimateForVideo } from '../../src/gemini/estimate';
import { probeDuration } from '../../src/media/probe';
import { TemplateRegistry } from '../../src/templates';
import { batchInput, makeVideoFolder, tempDir, uniqueId, useWorkerRig } from '../support/harness';

describe('--max-cost', () => {
  const rig = useWorkerRig('budget', { processingMs: 20 });

  test('stops starting videos once spent plus in-flight estimates would pass the budget, and says so', async () => {
    const videos = makeVideoFolder(4); // all copies of 12-20 s samples; lesson-01 is the 12 s one
    const seconds = await probeDuration(path.join(videos, 'lesson-01.mp4'));
    const template = TemplateRegistry.load([]).get('comprehensive_lesson');
    const estimate = estimateForVideo({
      model: getModel(loadCatalog(), 'gemini-3.8-flash'),
      template,
      video: {
        title: 'Lesson 01',
        source: path.join(videos, 'lesson-01.mp4'),
        sourceKind: 'file',
        durationSeconds: seconds,
      },
      now: new Date(),
      typical: loadCatalog().typicalOutputTokens,
    });
    const oneVideo = estimate.expected.usd;
    // Room for the first video's expected cost, not for a second one in flight beside it.
    const maxCostUsd = oneVideo * 1.5;
    const batchId = uniqueId('budget');
    const summary = await rig.runBatch(batchInput(batchId, [videos], tempDir('out'), { concurrency: 2, maxCostUsd }));
    expect(summary.stoppedEarly).toMatch(/^budget: .* would pass the \$[\d.]+ limit/);
    expect(summary.succeeded).toBeGreaterThanOrEqual(1);
    expect(summary.notStarted).toBeGreaterThanOrEqual(1);
    expect(summary.succeeded + (summary.notStarted ?? 0)).toBe(4);
    // Answers may cost more than expected (the stand-in's sizes vary with each run's names): what
    // holds is that a batch ends at most one video's ceiling over the limit.
    expect(summary.costUsd).toBeLessThanOrEqual(maxCostUsd + estimate.ceiling.usd);
    expect(Object.keys(rig.standin.stats().byVideo)).toHaveLength(summary.succeeded);
  });
});
