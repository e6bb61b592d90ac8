import path from 'node:path';
import { readEnv } from '../../src/config/env';
import { loadCatalog } from '../../src/gemini/catalog';
import { probeDuration } from '../../src/media/probe';
import { buildBatchRequest } from '../../src/cli/batch-request';
import { planBatch } from '../../src/cli/dry-run';

const samples = path.resolve(__dirname, '..', '..', 'samples');

/** Dry-run figures checked against the catalog's numbers, worked out by hand. */
test('dry-run estimates follow the catalog arithmetic for each video', async () => {
  const settings = { env: readEnv({}), file: {} };
  const now = new Date('2026-11-22T12:00:00Z'); // inside gemini-3.8-flash's promotional price period
  const request = await buildBatchRequest(
    [samples],
    {
      template: 'summary_report',
      model: 'gemini-3.8-flash',
      output: path.join(samples, '..', 'no-such-output'),
      include: [],
      exclude: [],
      list: [],
      param: [],
      templatesDir: [],
    },
    settings,
    loadCatalog(),
    ['default'],
    now,
  );
  const plans = await planBatch(request, loadCatalog(), now);
  expect(plans).toHaveLength(3);
  for (const plan of plans) {
    const seconds = await probeDuration(plan.source);
    expect(seconds).toBeGreaterThan(5);
    // 300 video tokens per second at default resolution + 4000 prompt tokens;
    // expected output: half of summary_report's 16384-token limit.
    const input = Math.ceil(300 * (seconds as number)) + 4000;
    const output = 8192;
    expect(plan.resolution).toBe('default');
    expect(plan.inputTokens).toBe(input);
    expect(plan.outputTokens).toBe(output);
    // $0.75 per 1M input tokens, $3.75 per 1M output tokens (promotional period).
    expect(plan.usd).toBeCloseTo((input * 0.75 + output * 3.75) / 1e6, 9);
  }
  // After the promotion the standard price applies: $1.50 / $7.50.
  const later = await planBatch(request, loadCatalog(), new Date('2027-02-01T00:00:00Z'));
  expect(later[0].usd).toBeCloseTo(plans[0].usd * 2, 9);
});
