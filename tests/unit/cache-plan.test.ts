/**
 * Several templates from one upload: when a context cache pays, what cached tokens and storage
 * cost, the estimate of a video's notes with and without the cache, and the command line's checks.
 */
import path from 'node:path';
import { buildProgram } from '../../src/cli';
import { readEnv } from '../../src/config/env';
import { buildBatchRequest, templatesAskedFor } from '../../src/cli/batch-request';
import { cacheLine, planBatch } from '../../src/cli/dry-run';
import { CliError } from '../../src/cli/exit-codes';
import { progressLine } from '../../src/cli/progress';
import { cacheCreationCost, cachedReadCost, decideCache, type CacheQuestion } from '../../src/gemini/cache-plan';
import { getModel, loadCatalog, parseCatalog } from '../../src/gemini/catalog';
import { cacheStorageCost, costOfUsage } from '../../src/gemini/cost';
import { estimateForVideo } from '../../src/gemini/estimate';
import { estimateForTemplates } from '../../src/gemini/estimate-templates';
import { givenParamsFor, TemplateRegistry } from '../../src/templates';
import { addUsage, emptyUsage, type BatchProgress } from '../../src/types';

const catalog = loadCatalog();
const now = new Date('2026-11-22T12:00:00Z'); // gemini-3.8-flash's promotional prices: input 0.75, cached 0.075, storage 1.00
const flash = getModel(catalog, 'gemini-3.8-flash');
const samples = path.resolve(__dirname, '..', '..', 'samples');

const question = (over: Partial<CacheQuestion> = {}): CacheQuestion => ({
  model: flash,
  templates: 3,
  durationSeconds: 600,
  plan: { strategy: 'whole', resolution: 'default' },
  sourceKind: 'file',
  date: now,
  ...over,
});

describe('whether a context cache pays', () => {
  test('three templates of a ten-minute video: the video is paid once, then read at a tenth of the price', () => {
    const d = decideCache(question());
    expect(d.pays).toBe(true);
    // 600 s × (70 video + 32 audio tokens) on Gemini 3 models.
    expect(d.tokens).toBe(61_200);
    expect(d.withoutCacheUsd).toBeCloseTo((3 * 61_200 * 0.75) / 1e6, 12);
    // Creation at the input price, three reads at the cached price, storage for 3 × 2 minutes.
    const expected = (61_200 * 0.75 + 3 * 61_200 * 0.075 + 61_200 * 0.1 * 1.0) / 1e6;
    expect(d.withCacheUsd).toBeCloseTo(expected, 12);
  });

  test('one template, a YouTube link, an unknown length, clips or low resolution: no cache', () => {
    expect(decideCache(question({ templates: 1 })).pays).toBe(false);
    expect(decideCache(question({ sourceKind: 'youtube' })).pays).toBe(false);
    expect(decideCache(question({ durationSeconds: undefined })).pays).toBe(false);
    expect(decideCache(question({ plan: { strategy: 'clips', resolution: 'default' } })).pays).toBe(false);
    expect(decideCache(question({ plan: { strategy: 'whole', resolution: 'low' } })).pays).toBe(false);
  });

  test("below the model's minimum cache size (catalog): no cache; pro models need four times more", () => {
    expect(flash.contextCache?.minimumTokens).toBe(1024);
    const short = decideCache(question({ durationSeconds: 10 })); // 1,020 tokens
    expect(short).toMatchObject({ pays: false, tokens: 1020 });
    expect(short.reason).toMatch(/below gemini-3.8-flash's minimum cache of 1024/);
    expect(decideCache(question({ durationSeconds: 11 })).pays).toBe(true);
    const pro = getModel(catalog, 'gemini-3.1-pro-preview');
    expect(pro.contextCache?.minimumTokens).toBe(4096);
    expect(decideCache(question({ model: pro, durationSeconds: 30 })).pays).toBe(false);
    expect(decideCache(question({ model: pro, durationSeconds: 60 })).pays).toBe(true);
  });

  test('storage long enough to cost more than it saves: no cache', () => {
    // Two templates save 2 × 0.675 − 0.75 … per million; a day of storage at $1 per million per hour does not pay.
    expect(decideCache(question({ templates: 2, hours: 24 })).pays).toBe(false);
    expect(decideCache(question({ templates: 2, hours: 0.1 })).pays).toBe(true);
  });

  test('a model the catalog gives no cache prices is never cached', () => {
    const { source: _source, ...raw } = JSON.parse(JSON.stringify(catalog)) as {
      source: string;
      models: Array<Record<string, unknown>>;
    };
    const model = raw.models.find((m) => m.id === 'gemini-3.8-flash')!;
    delete model.contextCache;
    const bare = getModel(parseCatalog(raw, 'copy'), 'gemini-3.8-flash');
    expect(decideCache(question({ model: bare })).reason).toMatch(/no context-cache prices/);
  });
});

describe('cost with cached tokens', () => {
  test('cached tokens (part of the prompt) cost the cached input price', () => {
    const usage = {
      promptTokens: 10_000,
      cachedTokens: 8_000,
      outputTokens: 800,
      thoughtsTokens: 200,
      totalTokens: 11_000,
    };
    expect(costOfUsage(flash, usage, now)).toBeCloseTo((2_000 * 0.75 + 8_000 * 0.075 + 1_000 * 3.75) / 1e6, 12);
    const { cachedTokens: _none, ...uncached } = usage;
    expect(costOfUsage(flash, uncached, now)).toBeCloseTo((10_000 * 0.75 + 1_000 * 3.75) / 1e6, 12);
  });

  test('by modality: cached sound at the cached audio price where the model prices sound apart', () => {
    const model = getModel(catalog, 'gemini-2.5-flash'); // input 0.30 (audio 1.00), cached 0.03 (audio 0.10)
    const usage = {
      promptTokens: 10_000,
      cachedTokens: 8_000,
      outputTokens: 0,
      thoughtsTokens: 0,
      totalTokens: 10_000,
    };
    const cost = costOfUsage(model, usage, now, {
      promptTokensByModality: { video: 6_000, audio: 2_000, text: 2_000 },
      cachedTokensByModality: { video: 6_000, audio: 2_000 },
    });
    expect(cost).toBeCloseTo((6_000 * 0.03 + 2_000 * 0.1 + 2_000 * 0.3) / 1e6, 12);
  });

  test('storage, creation and reads of a cache', () => {
    expect(cacheStorageCost(flash, 1_000_000, 2, now)).toBeCloseTo(2, 12);
    expect(cacheCreationCost(flash, 61_200, 600, now)).toBeCloseTo((61_200 * 0.75) / 1e6, 12);
    expect(cachedReadCost(flash, { video: 42_000, audio: 19_200 }, now)).toBeCloseTo((61_200 * 0.075) / 1e6, 12);
    // The standard prices of 2027 double the cached input price; storage stays at $1 per million per hour.
    const later = new Date('2027-02-01T00:00:00Z');
    expect(cachedReadCost(flash, { video: 1_000_000, audio: 0 }, later)).toBeCloseTo(0.15, 12);
    expect(cacheStorageCost(flash, 1_000_000, 1, later)).toBeCloseTo(1, 12);
  });

  test('usage without cached tokens adds up exactly as before; with them, they add up too', () => {
    const a = { promptTokens: 1, outputTokens: 2, thoughtsTokens: 3, totalTokens: 6 };
    expect(addUsage(emptyUsage(), a)).toEqual(a);
    expect(addUsage(a, { ...a, cachedTokens: 5 })).toEqual({ ...addUsage(a, a), cachedTokens: 5 });
  });
});

describe('estimates of several notes', () => {
  const registry = TemplateRegistry.load([]);
  const templates = ['comprehensive_lesson', 'quiz', 'summary_report'].map((t) => registry.forEstimate(t));
  const video = { title: 'Lesson', source: '/videos/lesson.mp4', sourceKind: 'file' as const, durationSeconds: 600 };

  test('the sum of each template, less what the cache saves', () => {
    const each = templates.map((template) => estimateForVideo({ model: flash, template, video, now }));
    const sum = each.reduce((a, e) => a + e.expected.usd, 0);
    const est = estimateForTemplates({ model: flash, video, now }, templates);
    const saved = decideCache(question());
    expect(est.cache).toEqual({ tokens: 61_200, savedUsd: saved.withoutCacheUsd - saved.withCacheUsd });
    expect(est.expected.usd).toBeCloseTo(sum - est.cache!.savedUsd, 12);
    expect(est.expected.outputTokens).toBe(each.reduce((a, e) => a + e.expected.outputTokens, 0));
    expect(est.ceiling.usd).toBeLessThan(each.reduce((a, e) => a + e.ceiling.usd, 0));
  });

  test('economy mode (no cache): the plain sum of every template, the video paid each time', () => {
    const each = templates.map((template) => estimateForVideo({ model: flash, template, video, now }));
    const est = estimateForTemplates({ model: flash, video, now }, templates, false);
    expect(est.cache).toBeUndefined();
    expect(est.noCacheReason).toBe('economy mode makes none');
    expect(est.expected.usd).toBeCloseTo(
      each.reduce((a, e) => a + e.expected.usd, 0),
      12,
    );
    expect(est.expected.usd).toBeGreaterThan(
      estimateForTemplates({ model: flash, video, now }, templates).expected.usd,
    );
  });

  test('one template: exactly its own estimate; a short video: the plain sum, with the reason', () => {
    const one = estimateForTemplates({ model: flash, video, now }, [templates[1]!]);
    expect(one.expected).toEqual(estimateForVideo({ model: flash, template: templates[1]!, video, now }).expected);
    expect(one.cache).toBeUndefined();
    const short = estimateForTemplates({ model: flash, video: { ...video, durationSeconds: 5 }, now }, templates);
    expect(short.cache).toBeUndefined();
    expect(short.noCacheReason).toMatch(/minimum cache/);
  });
});

describe('the command line', () => {
  const settings = { env: readEnv({}), file: {} };
  const request = (template: string[], outputPattern?: string) =>
    buildBatchRequest(
      [samples],
      {
        template,
        outputPattern,
        output: path.join(samples, '..', 'no-such-output'),
        include: [],
        exclude: [],
        list: [],
        param: [],
        templatesDir: [],
        dryRun: true,
      },
      settings,
      catalog,
      ['default'],
      now,
    );

  test('-t repeated: every template, each once, the first as the template; once: as before', async () => {
    expect(templatesAskedFor(['quiz', 'summary_report', 'quiz'])).toEqual(['quiz', 'summary_report']);
    const several = await request(['quiz', 'summary_report']);
    expect(several.input.options).toMatchObject({ template: 'quiz', templates: ['quiz', 'summary_report'] });
    const one = await request(['quiz']);
    expect(one.input.options.template).toBe('quiz');
    expect('templates' in one.input.options).toBe(false);
  });

  test('several templates with a pattern that has no {template}: refused with exit 2, saying to add it', async () => {
    const refused = request(['quiz', 'summary_report'], '{name}.md');
    await expect(refused).rejects.toBeInstanceOf(CliError);
    await expect(refused).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/Add \{template\}/) });
    await expect(request(['quiz'], '{name}.md')).resolves.toBeDefined();
  });

  test('the dry run prices three notes per sample, with the cache, and says so', async () => {
    const plans = await planBatch(await request(['comprehensive_lesson', 'quiz', 'summary_report']), catalog, now);
    expect(plans).toHaveLength(3);
    for (const p of plans) expect(p.cache?.savedUsd).toBeGreaterThan(0);
    expect(cacheLine(plans, 3)).toMatch(/3 of 3 videos read from a context cache/);
  });

  test('one --param list for several templates: each takes what it declares; one that none declares is refused', async () => {
    const withParams = (param: string[]) =>
      buildBatchRequest(
        [samples],
        {
          template: ['quiz', 'summary_report'],
          output: path.join(samples, '..', 'no-such-output'),
          include: [],
          exclude: [],
          list: [],
          param,
          templatesDir: [],
        },
        settings,
        catalog,
        ['default'],
        now,
      );
    // max_length is summary_report's only: quiz does not refuse it.
    await expect(withParams(['max_length=200'])).resolves.toBeDefined();
    await expect(withParams(['no_such=1'])).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/None of the templates quiz, summary_report has a parameter "no_such"/),
    });
    const summaryReport = TemplateRegistry.load([]).get('summary_report');
    const quiz = TemplateRegistry.load([]).get('quiz');
    expect(givenParamsFor(summaryReport, { max_length: '200' }, true)).toEqual({ max_length: '200' });
    expect(givenParamsFor(quiz, { max_length: '200' }, true)).toEqual({});
    expect(givenParamsFor(quiz, { max_length: '200' }, false)).toEqual({ max_length: '200' });
  });

  test('start-batch and schedule create both take -t more than once', () => {
    const program = buildProgram();
    const startBatch = program.commands.find((c) => c.name() === 'start-batch')!;
    const create = program.commands.find((c) => c.name() === 'schedule')!.commands.find((c) => c.name() === 'create')!;
    for (const cmd of [startBatch, create]) {
      cmd.parseOptions(['-t', 'quiz', '--template', 'summary_report']);
      expect(cmd.opts().template).toEqual(['quiz', 'summary_report']);
    }
  });

  test('watch names the notes each video gets', () => {
    const progress: BatchProgress = {
      batchId: 'b',
      state: 'running',
      total: 2,
      started: 1,
      running: 1,
      succeeded: 0,
      failed: 0,
      skipped: 0,
      waiting: 0,
      usage: emptyUsage(),
      costUsd: 0,
      startedAt: now.toISOString(),
      generation: 1,
      templates: ['quiz', 'summary_report'],
    };
    expect(progressLine(progress)).toContain('notes: quiz, summary_report');
  });
});
