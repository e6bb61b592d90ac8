import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../src/config/errors';
import {
  CatalogError,
  DEFAULT_CATALOG_PATH,
  getModel,
  isRetired,
  loadCatalog,
  modelChain,
  parseCatalog,
  priceAt,
  type ModelCatalog,
} from '../../src/gemini/catalog';

const NOV_2026 = new Date('2026-11-22T12:00:00Z');
const DEC_2026 = new Date('2026-12-01T00:00:00Z');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lf-catalog-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A minimal valid model entry, overridable per test. */
const model = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id,
  displayName: id,
  status: 'stable',
  contextWindowTokens: 1_000_000,
  maxOutputTokens: 65_536,
  mediaTokens: {
    framesPerSecond: 1,
    tokensPerFrame: { default: 258, low: 66 },
    audioTokensPerSecond: 32,
    source: 'https://ai.google.dev/gemini-api/docs/video-understanding',
    checked: '2026-11-29',
  },
  batchPriceFactor: 0.5,
  prices: [{ inputPerMillion: { default: 1 }, outputPerMillion: 2 }],
  ...extra,
});
const catalogData = (
  models: Array<Record<string, unknown>>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> => ({
  version: 1,
  updated: '2026-11-22',
  defaultModel: models[0]?.id,
  fallbackChain: [],
  models,
  ...extra,
});

function catalogError(run: () => unknown): CatalogError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return err as CatalogError;
  }
  throw new Error('no error');
}

describe('the shipped catalog', () => {
  const catalog = loadCatalog(DEFAULT_CATALOG_PATH);

  test('loads from catalog/models.json by default, with current models', () => {
    expect(loadCatalog(undefined, {}).source).toBe(DEFAULT_CATALOG_PATH);
    expect(catalog.defaultModel).toBe('gemini-3.8-flash');
    expect(catalog.fallbackChain).toEqual(['gemini-3.5-flash-lite', 'gemini-2.5-flash-lite']);
    expect(catalog.models.map((m) => m.id).sort()).toEqual([
      'gemini-2.5-flash',
      'gemini-2.5-flash-lite',
      'gemini-2.5-pro',
      'gemini-3.1-pro-preview',
      'gemini-3.5-flash',
      'gemini-3.5-flash-lite',
      'gemini-3.8-flash',
    ]);
  });

  test('Gemini 2.5 Pro and Flash retire on 2026-12-01, with their named replacements', () => {
    expect(getModel(catalog, 'gemini-2.5-pro')).toMatchObject({
      status: 'deprecated',
      retiresOn: '2026-12-01',
      replacement: 'gemini-3.8-flash',
    });
    expect(getModel(catalog, 'gemini-2.5-flash')).toMatchObject({
      status: 'deprecated',
      retiresOn: '2026-12-01',
      replacement: 'gemini-3.5-flash-lite',
    });
    expect(getModel(catalog, 'gemini-3.1-pro-preview').status).toBe('preview');
  });

  test('every model records its media token rates with a source and the day they were checked; half-price batch', () => {
    for (const m of catalog.models) {
      const media = m.mediaTokens;
      expect(media.framesPerSecond).toBe(1);
      expect(media.audioTokensPerSecond).toBe(32);
      // Gemini 3 guide for 3.x models, the video guide for the others.
      expect(media.tokensPerFrame).toEqual(
        m.id.startsWith('gemini-3') ? { default: 70, low: 70, medium: 70, high: 280 } : { default: 258, low: 66 },
      );
      expect(media.source).toMatch(/^https:\/\/ai\.google\.dev\/gemini-api\/docs\//);
      expect(media.checked).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(m.batchPriceFactor).toBe(0.5);
    }
  });

  test('typical output sizes for the built-in templates, with where they come from', () => {
    expect(catalog.typicalOutputTokens?.templates).toEqual({
      comprehensive_lesson: 2200,
      summary_report: 1100,
      quiz: 950,
      chinese_transcript: 1400,
    });
    expect(catalog.typicalOutputTokens?.about).toMatch(/example answer/);
  });

  test.each([
    ['gemini-3.8-flash', NOV_2026, 0.75, 3.75],
    ['gemini-3.8-flash', new Date('2026-12-31T23:59:59Z'), 0.75, 3.75],
    ['gemini-3.8-flash', new Date('2027-01-01T00:00:00Z'), 1.5, 7.5],
    ['gemini-3.5-flash', NOV_2026, 1.5, 9.0],
    ['gemini-3.5-flash-lite', NOV_2026, 0.3, 2.5],
    ['gemini-2.5-flash-lite', NOV_2026, 0.1, 0.4],
    ['gemini-3.1-pro-preview', NOV_2026, 2.0, 12.0],
    ['gemini-2.5-pro', NOV_2026, 1.25, 10.0],
    ['gemini-2.5-flash', NOV_2026, 0.3, 2.5],
  ])('priceAt(%s, %s) = %d in / %d out', (id, date, input, output) => {
    const period = priceAt(getModel(catalog, id), date);
    expect(period.inputPerMillion.default).toBe(input);
    expect(period.outputPerMillion).toBe(output);
  });

  test('price periods carry labels', () => {
    const flash = getModel(catalog, 'gemini-3.8-flash');
    expect(priceAt(flash, NOV_2026).label).toBe('promotional');
    expect(priceAt(flash, new Date('2027-06-01')).label).toBe('standard');
  });
});

describe('loading', () => {
  test('LESSON_FORGE_MODELS points to another file; an explicit path wins over it', async () => {
    const custom = path.join(tmp, 'custom.json');
    await writeFile(custom, JSON.stringify(catalogData([model('my-model')])));
    expect(loadCatalog(undefined, { LESSON_FORGE_MODELS: custom }).defaultModel).toBe('my-model');
    expect(loadCatalog(DEFAULT_CATALOG_PATH, { LESSON_FORGE_MODELS: custom }).defaultModel).toBe('gemini-3.8-flash');
  });

  test('a missing file names the variable that pointed to it', () => {
    const err = catalogError(() => loadCatalog(undefined, { LESSON_FORGE_MODELS: path.join(tmp, 'missing.json') }));
    expect(err.message).toMatch(
      /^cannot read the model catalog .*missing\.json \(set by LESSON_FORGE_MODELS\): ENOENT/,
    );
  });

  test('invalid JSON', async () => {
    const bad = path.join(tmp, 'bad.json');
    await writeFile(bad, '{ "version": 1, ');
    expect(catalogError(() => loadCatalog(bad)).message).toMatch(/^the model catalog .*bad\.json is not valid JSON: /);
  });

  test('a catalog error is a configuration error', () => {
    expect(catalogError(() => parseCatalog({}))).toBeInstanceOf(ConfigurationError);
  });
});

describe('validation names the file and the field', () => {
  test.each([
    [
      'a negative price',
      [model('a', { prices: [{ inputPerMillion: { default: -1 }, outputPerMillion: 1 }] })],
      /models\[0\]\.prices\[0\]\.inputPerMillion\.default/,
    ],
    ['an unknown status', [model('a', { status: 'beta' })], /models\[0\]\.status/],
    ['a misspelt field', [model('a', { contextWindow: 5 })], /contextWindow/],
    ['a bad date', [model('a', { retiresOn: '1 Dec 2026' })], /models\[0\]\.retiresOn/],
    ['a bad id', [model('Gemini Flash')], /models\[0\]\.id/],
    ['no prices', [model('a', { prices: [] })], /models\[0\]\.prices/],
  ])('%s', (_label, models, field) => {
    const err = catalogError(() => parseCatalog(catalogData(models), 'test.json'));
    expect(err.message).toMatch(/^test\.json is not a valid model catalog:/);
    expect(err.message).toMatch(field);
  });

  test.each([
    ['a duplicate id', catalogData([model('a'), model('a')]), 'model a is listed twice'],
    ['an unknown default', catalogData([model('a')], { defaultModel: 'b' }), 'defaultModel names an unknown model "b"'],
    [
      'an unknown fallback',
      catalogData([model('a')], { fallbackChain: ['z'] }),
      'fallbackChain names an unknown model "z"',
    ],
    [
      'an unknown replacement',
      catalogData([model('a', { replacement: 'q' })]),
      'a.replacement names an unknown model "q"',
    ],
    [
      'a first period with a date',
      catalogData([
        model('a', { prices: [{ from: '2026-01-01', inputPerMillion: { default: 1 }, outputPerMillion: 1 }] }),
      ]),
      'the first price period must have no "from" date',
    ],
    [
      'periods out of order',
      catalogData([
        model('a', {
          prices: [
            { inputPerMillion: { default: 1 }, outputPerMillion: 1 },
            { from: '2027-01-01', inputPerMillion: { default: 2 }, outputPerMillion: 2 },
            { from: '2026-06-01', inputPerMillion: { default: 3 }, outputPerMillion: 3 },
          ],
        }),
      ]),
      'price periods must be in date order (2026-06-01 after 2027-01-01)',
    ],
    [
      'low resolution dearer than the default',
      catalogData([
        model('a', {
          mediaTokens: {
            framesPerSecond: 1,
            tokensPerFrame: { default: 66, low: 258 },
            audioTokensPerSecond: 32,
            source: 'https://example.org/x',
            checked: '2026-11-29',
          },
        }),
      ]),
      'mediaTokens.tokensPerFrame.low (258) exceeds the default (66)',
    ],
  ])('%s', (_label, data, problem) => {
    expect(catalogError(() => parseCatalog(data, 'x.json')).message).toContain(problem);
  });
});

describe('getModel', () => {
  const catalog = loadCatalog(DEFAULT_CATALOG_PATH);

  test('an unknown id lists the known ones', () => {
    const err = catalogError(() => getModel(catalog, 'gemini-2.0-flash'));
    expect(err.message).toMatch(
      /^unknown model "gemini-2\.0-flash"\. Known models: gemini-3\.8-flash, gemini-3\.5-flash, .*gemini-2\.5-flash-lite\. A newer model can be added to /,
    );
  });

  test('a model past its retirement date names its replacement (when a date is given)', () => {
    expect(getModel(catalog, 'gemini-2.5-pro', NOV_2026).id).toBe('gemini-2.5-pro');
    expect(catalogError(() => getModel(catalog, 'gemini-2.5-pro', DEC_2026)).message).toBe(
      'model gemini-2.5-pro was retired on 2026-12-01 and no longer answers: use gemini-3.8-flash instead.',
    );
  });

  test('a model marked retired is refused whatever the date', () => {
    const c = parseCatalog(catalogData([model('new'), model('old', { status: 'retired', replacement: 'new' })]));
    expect(catalogError(() => getModel(c, 'old')).message).toBe(
      'model old was retired and no longer answers: use new instead.',
    );
  });

  test('isRetired by status or by date (UTC day start)', () => {
    const pro = getModel(catalog, 'gemini-2.5-pro');
    expect(isRetired(pro)).toBe(false);
    expect(isRetired(pro, new Date('2026-11-30T23:59:59Z'))).toBe(false);
    expect(isRetired(pro, DEC_2026)).toBe(true);
  });
});

describe('modelChain', () => {
  const catalog = loadCatalog(DEFAULT_CATALOG_PATH);

  test('default model then the fallback chain', () => {
    expect(modelChain(catalog, undefined, undefined, NOV_2026)).toEqual({
      models: ['gemini-3.8-flash', 'gemini-3.5-flash-lite', 'gemini-2.5-flash-lite'],
      warnings: [],
    });
  });

  test('a model retiring soon is kept, with a warning', () => {
    expect(modelChain(catalog, 'gemini-2.5-flash', undefined, NOV_2026)).toEqual({
      models: ['gemini-2.5-flash', 'gemini-3.5-flash-lite', 'gemini-2.5-flash-lite'],
      warnings: ['gemini-2.5-flash will be retired on 2026-12-01; switch to gemini-3.5-flash-lite.'],
    });
  });

  test('a retired model is replaced, and the replacement not repeated', () => {
    expect(modelChain(catalog, 'gemini-2.5-flash', undefined, DEC_2026)).toEqual({
      models: ['gemini-3.5-flash-lite', 'gemini-2.5-flash-lite'],
      warnings: ['gemini-2.5-flash was retired on 2026-12-01: using its replacement gemini-3.5-flash-lite.'],
    });
  });

  test('explicit fallbacks replace the catalog chain; duplicates collapse', () => {
    expect(
      modelChain(catalog, 'gemini-3.5-flash', ['gemini-2.5-pro', 'gemini-3.8-flash', 'gemini-3.5-flash'], DEC_2026)
        .models,
    ).toEqual(['gemini-3.5-flash', 'gemini-3.8-flash']);
    expect(modelChain(catalog, 'gemini-3.5-flash', [], NOV_2026).models).toEqual(['gemini-3.5-flash']);
  });

  test('an unknown id is an error, not a silent fallback', () => {
    expect(catalogError(() => modelChain(catalog, 'gemini-9-ultra', undefined, NOV_2026)).message).toMatch(
      /^unknown model "gemini-9-ultra"/,
    );
  });

  describe('replacement chains (synthetic catalog)', () => {
    const c: ModelCatalog = parseCatalog(
      catalogData([
        model('a', { status: 'retired', replacement: 'b' }),
        model('b', { status: 'deprecated', retiresOn: '2026-01-01', replacement: 'c' }),
        model('c'),
        model('x', { status: 'retired', replacement: 'y' }),
        model('y', { status: 'retired', replacement: 'x' }),
        model('lonely', { status: 'retired' }),
      ]),
    );

    test('follows successors that are retired too', () => {
      expect(modelChain(c, 'a', [], NOV_2026)).toEqual({
        models: ['c'],
        warnings: ['a is retired: using its replacement c.'],
      });
    });

    test('a cycle of retired models is dropped, not looped', () => {
      expect(modelChain(c, 'c', ['x'], NOV_2026)).toEqual({
        models: ['c'],
        warnings: ['x is retired and has no usable replacement: it is left out.'],
      });
    });

    test('nothing usable left is an error that lists usable models', () => {
      expect(catalogError(() => modelChain(c, 'lonely', ['x'], NOV_2026)).message).toBe(
        'none of the models asked for (lonely, x) can be used any more: choose one of c.',
      );
    });
  });
});
