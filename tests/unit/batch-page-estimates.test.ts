import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { batchActivities } from '../../src/activities/batch';
import { ActivityContext } from '../../src/activities/context';
import { getModel, loadCatalog } from '../../src/gemini/catalog';
import type { GeminiGateway } from '../../src/gemini/gateway';
import type { PlannedVideo, VideoItem } from '../../src/types';

/** A page's estimates feed --max-cost: an economy batch's videos are priced at the model's Batch API price. */

const samples = path.resolve(__dirname, '..', '..', 'samples');
const catalog = loadCatalog();
const model = 'gemini-3.8-flash';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-page-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

async function page(estimate: { economy?: boolean; templates?: string[] }): Promise<PlannedVideo[]> {
  const items: VideoItem[] = ['stage-lighting-basics.mp4', 'color-theory-intro.mp4'].map((name, i) => ({
    key: `video-${i}`,
    title: name,
    source: { kind: 'file', path: path.join(samples, name) },
  }));
  const listPath = path.join(root, 'videos.jsonl');
  fs.writeFileSync(listPath, items.map((i) => JSON.stringify(i)).join('\n') + '\n');
  const activities = batchActivities(new ActivityContext({ gemini: {} as GeminiGateway, catalog }));
  return new MockActivityEnvironment().run(activities.loadBatchPage, {
    listPath,
    offset: 0,
    limit: 10,
    estimateWith: {
      model,
      template: estimate.templates?.[0] ?? 'comprehensive_lesson',
      ...estimate,
    },
  });
}

test('economy mode: every video is expected to cost the batch price, ceiling included', async () => {
  const interactive = await page({});
  const economy = await page({ economy: true });
  const factor = getModel(catalog, model).batchPriceFactor;
  expect(factor).toBeLessThan(1);
  expect(economy).toHaveLength(2);
  economy.forEach((video, i) => {
    expect(video.expectedCostUsd).toBeGreaterThan(0);
    expect(video.expectedCostUsd).toBeCloseTo(interactive[i]!.expectedCostUsd! * factor, 12);
    expect(video.estimatedCostUsd).toBeCloseTo(interactive[i]!.estimatedCostUsd! * factor, 12);
  });
});

test('economy mode with several templates: a video is expected to cost the sum of its notes at the batch price', async () => {
  const templates = ['comprehensive_lesson', 'quiz', 'summary_report'];
  const each = await Promise.all(templates.map((t) => page({ economy: true, templates: [t] })));
  const all = await page({ economy: true, templates });
  all.forEach((video, i) => {
    const sum = each.reduce((a, one) => a + one[i]!.expectedCostUsd!, 0);
    expect(video.expectedCostUsd).toBeCloseTo(sum, 12);
  });
});
