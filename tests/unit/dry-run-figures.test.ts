import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readEnv } from '../../src/config/env';
import { loadCatalog } from '../../src/gemini/catalog';
import { requestTextTokens } from '../../src/gemini/estimate';
import { probeDuration } from '../../src/media/probe';
import { buildBatchRequest } from '../../src/cli/batch-request';
import { budgetCoverage, planBatch } from '../../src/cli/dry-run';
import { TemplateRegistry } from '../../src/templates';

const samples = path.resolve(__dirname, '..', '..', 'samples');
const now = new Date('2026-11-22T12:00:00Z'); // inside gemini-3.8-flash's promotional price period

async function request(output: string) {
  const settings = { env: readEnv({}), file: {} };
  return buildBatchRequest(
    [samples],
    {
      template: 'summary_report',
      model: 'gemini-3.8-flash',
      output,
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
}

/** Dry-run figures checked against the catalog's numbers, worked out by hand. */
test('dry-run: expected and ceiling follow the catalog arithmetic for each video', async () => {
  const plans = await planBatch(await request(path.join(samples, '..', 'no-such-output')), loadCatalog(), now);
  const template = TemplateRegistry.load([]).get('summary_report');
  expect(plans).toHaveLength(3);
  for (const plan of plans) {
    const seconds = (await probeDuration(plan.source)) as number;
    expect(seconds).toBeGreaterThan(5);
    // gemini-3.8-flash (Gemini 3 guide): 70 tokens per frame at 1 fps + 32 audio tokens/s = 102 tokens/s;
    // plus the prompt, system instruction and response schema at 4 characters per token.
    const text = requestTextTokens(template, {
      title: plan.title,
      source: plan.source,
      sourceKind: 'file',
      durationSeconds: seconds,
    });
    expect(text).toBeGreaterThan(300);
    const input = Math.ceil(102 * seconds) + text;
    expect(plan.resolution).toBe('default');
    expect(plan.expected.inputTokens).toBe(input);
    expect(plan.ceiling.inputTokens).toBe(input);
    // Expected output: summary_report's typical 1,100 tokens (no history in this folder); ceiling: its 16,384 limit.
    expect(plan.expected.outputTokens).toBe(1100);
    expect(plan.ceiling.outputTokens).toBe(16_384);
    expect(plan.historyVideos).toBe(0);
    expect(plan.basis).toMatch(/102 tokens\/s .*typical size, no history yet/);
    // $0.75 per 1M input tokens, $3.75 per 1M output tokens (promotional period).
    expect(plan.expected.usd).toBeCloseTo((input * 0.75 + 1100 * 3.75) / 1e6, 12);
    expect(plan.ceiling.usd).toBeCloseTo((input * 0.75 + 16_384 * 3.75) / 1e6, 12);
  }
  // After the promotion the standard price applies: $1.50 / $7.50.
  const later = await planBatch(
    await request(path.join(samples, '..', 'no-such-output')),
    loadCatalog(),
    new Date('2027-02-01T00:00:00Z'),
  );
  expect(later[0].expected.usd).toBeCloseTo(plans[0].expected.usd * 2, 12);
});

test('dry-run: with earlier answers in the output folder, the expected output is their mean', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-history-'));
  const state = path.join(out, '.lesson-forge');
  fs.mkdirSync(path.join(state, 'batches', 'b1'), { recursive: true });
  const entry = (rel: string, template: string, model: string) =>
    JSON.stringify({ outputPath: rel, template, model, source: rel, contentHash: 'h', templateVersion: '1.0.0' });
  fs.writeFileSync(
    path.join(state, 'manifest.jsonl'),
    [
      entry('summary_report/a.md', 'summary_report', 'gemini-3.8-flash'),
      entry('summary_report/b.md', 'summary_report', 'gemini-3.8-flash'),
      entry('quiz/c.md', 'quiz', 'gemini-3.8-flash'),
    ].join('\n') + '\n',
  );
  const outcome = (key: string, rel: string, output: number, thoughts: number, model = 'gemini-3.8-flash') =>
    JSON.stringify({
      key,
      title: key,
      source: key,
      status: 'succeeded',
      outputPath: path.join(out, rel),
      model,
      usage: { promptTokens: 5000, outputTokens: output, thoughtsTokens: thoughts, totalTokens: 0 },
      costUsd: 0,
    });
  fs.writeFileSync(
    path.join(state, 'batches', 'b1', 'outcomes.jsonl'),
    [
      outcome('a', 'summary_report/a.md', 1500, 300), // 1,800 billed as output
      outcome('b', 'summary_report/b.md', 2000, 400), // 2,400
      outcome('c', 'quiz/c.md', 9000, 0), // another template: not counted
    ].join('\n') + '\n',
  );
  const plans = await planBatch(await request(out), loadCatalog(), now);
  for (const plan of plans) {
    expect(plan.expected.outputTokens).toBe(2100); // (1,800 + 2,400) / 2
    expect(plan.historyVideos).toBe(2);
    expect(plan.basis).toMatch(/mean of 2 earlier videos/);
  }
});

test('budget coverage counts videos in order, by expected cost and at the ceiling', () => {
  const p = (expected: number, ceiling: number) => ({
    expected: { inputTokens: 0, outputTokens: 0, usd: expected },
    ceiling: { inputTokens: 0, outputTokens: 0, usd: ceiling },
  });
  const plans = [p(0.1, 0.5), p(0.1, 0.5), p(0.1, 0.5), p(0.1, 0.5)];
  expect(budgetCoverage(plans, 0.25)).toEqual({ expected: 2, atCeiling: 0 });
  expect(budgetCoverage(plans, 1.0)).toEqual({ expected: 4, atCeiling: 2 });
});
