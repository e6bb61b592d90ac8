import { DEFAULT_CATALOG_PATH, getModel, loadCatalog } from '../../src/gemini/catalog';
import {
  CONTEXT_FILL_RATIO,
  DEFAULT_PROMPT_TOKENS,
  costOfUsage,
  equalClips,
  estimatePlanCost,
  estimatePromptCost,
  estimateVideoCost,
  estimateVideoTokens,
  formatUsd,
  lowResolutionSaves,
  planMediaStrategy,
  roundUsd,
  splitVideoTokens,
  videoTokenRoom,
  videoTokensPerSecond,
} from '../../src/gemini/cost';

const catalog = loadCatalog(DEFAULT_CATALOG_PATH);
const flash38 = getModel(catalog, 'gemini-3.8-flash');
/**
 * gemini-3.8-flash's prices with round media rates (268 + 32 = 300 tokens/s, 68 + 32 = 100 at low),
 * so the hand-worked planning figures below read easily; the catalog's own rates are tested after.
 */
const at300 = {
  ...flash38,
  mediaTokens: { ...flash38.mediaTokens, tokensPerFrame: { default: 268, low: 68 } },
};
const flash25 = getModel(catalog, 'gemini-2.5-flash');
/** Clips that meet end to end at the given bounds: `clipsAt(0, 5, 9)` is 0–5 and 5–9. */
const clipsAt = (...bounds: number[]) =>
  bounds.slice(1).map((endSeconds, i) => ({ startSeconds: bounds[i], endSeconds }));
const pro25 = getModel(catalog, 'gemini-2.5-pro');
const pro31 = getModel(catalog, 'gemini-3.1-pro-preview');
const NOV_2026 = new Date('2026-11-22T12:00:00Z');
const JAN_2027 = new Date('2027-01-15T12:00:00Z');

describe('video tokens', () => {
  test.each([
    [60, 'default', 18_000],
    [60, 'low', 6_000],
    [3600, 'default', 1_080_000],
    [3600, 'low', 360_000],
    [13.007, 'default', 3_903], // 3902.1 rounded up
    [0, 'default', 0],
    [-5, 'low', 0],
  ] as const)('%d s at %s resolution = %d tokens', (seconds, resolution, tokens) => {
    expect(estimateVideoTokens(at300, seconds, resolution)).toBe(tokens);
  });

  test('split into picture and sound: 32 tokens/s of audio', () => {
    expect(splitVideoTokens(at300, 60, 'default')).toEqual({ video: 16_080, audio: 1_920 });
    expect(splitVideoTokens(at300, 60, 'low')).toEqual({ video: 4_080, audio: 1_920 });
  });
});

describe("each model's own documented rates (catalog/models.json)", () => {
  const lite25 = getModel(catalog, 'gemini-2.5-flash-lite');

  test('Gemini 2.x, video guide: 258 tokens per frame at 1 fps (66 at low) + 32 audio tokens/s', () => {
    expect(videoTokensPerSecond(lite25, 'default')).toBe(290);
    expect(videoTokensPerSecond(lite25, 'low')).toBe(98);
    expect(lowResolutionSaves(lite25)).toBe(true);
    // 10 min: 174,000 tokens at default, 58,800 at low.
    expect(estimateVideoTokens(lite25, 600, 'default')).toBe(174_000);
    expect(estimateVideoTokens(lite25, 600, 'low')).toBe(58_800);
    expect(lite25.mediaTokens.source).toMatch(/^https:\/\/ai\.google\.dev\/gemini-api\/docs\/video-understanding/);
  });

  test('Gemini 3.x, Gemini 3 guide: 70 tokens per frame at low and default alike + 32 audio tokens/s', () => {
    for (const id of ['gemini-3.8-flash', 'gemini-3.5-flash', 'gemini-3.5-flash-lite', 'gemini-3.1-pro-preview']) {
      const m = getModel(catalog, id);
      expect(videoTokensPerSecond(m, 'default')).toBe(102);
      expect(videoTokensPerSecond(m, 'low')).toBe(102);
      expect(m.mediaTokens.tokensPerFrame.high).toBe(280);
      expect(lowResolutionSaves(m)).toBe(false);
      expect(m.mediaTokens.source).toMatch(/^https:\/\/ai\.google\.dev\/gemini-api\/docs\/gemini-3/);
    }
    // 10 min on gemini-3.8-flash: 61,200 tokens (42,000 picture + 19,200 sound).
    expect(splitVideoTokens(flash38, 600, 'default')).toEqual({ video: 42_000, audio: 19_200 });
  });

  test('low resolution is chosen by itself only where it saves tokens', () => {
    // gemini-2.5-flash-lite, 8,192 output: room 931,526 tokens → 3,212 s fit at 290/s, 3,213 s go low.
    expect(planMediaStrategy(lite25, 3_212, { expectedOutputTokens: 8_192 }).resolution).toBe('default');
    expect(planMediaStrategy(lite25, 3_213, { expectedOutputTokens: 8_192 })).toEqual({
      resolution: 'low',
      strategy: 'whole',
    });
    // gemini-3.8-flash: 931,526 / 102 = 9,132 s fit; beyond, low would cost the same, so clips at default.
    expect(planMediaStrategy(flash38, 9_132, { expectedOutputTokens: 8_192 })).toEqual({
      resolution: 'default',
      strategy: 'whole',
    });
    expect(planMediaStrategy(flash38, 9_133, { expectedOutputTokens: 8_192 })).toEqual({
      resolution: 'default',
      strategy: 'clips',
      clips: clipsAt(0, 4_566, 9_133),
    });
    // Asked for, low is still sent (the user may want it for other reasons).
    expect(planMediaStrategy(flash38, 60, { expectedOutputTokens: 8_192, resolution: 'low' }).resolution).toBe('low');
  });
});

describe('prices, checked by hand', () => {
  test('10 minutes on gemini-3.8-flash, promotional price', () => {
    // 600 s × 300 = 180,000 video tokens + 4,000 prompt = 184,000 in; 8,000 out.
    // 184,000 × $0.75/M = $0.138; 8,000 × $3.75/M = $0.03; total $0.168.
    const estimate = estimateVideoCost(at300, 600, 'default', 8_000, NOV_2026);
    expect(estimate.inputTokens).toBe(184_000);
    expect(estimate.outputTokens).toBe(8_000);
    expect(estimate.usd).toBeCloseTo(0.168, 12);
  });

  test('the same after the promotion ends: $0.276 + $0.06 = $0.336', () => {
    expect(estimateVideoCost(at300, 600, 'default', 8_000, JAN_2027).usd).toBeCloseTo(0.336, 12);
  });

  test('batch mode halves it: $0.084', () => {
    expect(estimateVideoCost(at300, 600, 'default', 8_000, NOV_2026, { batch: true }).usd).toBeCloseTo(0.084, 12);
  });

  test('low resolution: 60,000 + 4,000 in → $0.048 + $0.03 = $0.078', () => {
    expect(estimateVideoCost(at300, 600, 'low', 8_000, NOV_2026).usd).toBeCloseTo(0.078, 12);
  });

  test('audio at its own price on gemini-2.5-flash', () => {
    // 258 tokens per frame at 1 fps: video 154,800 × $0.30 = $0.04644; audio 32/s → 19,200 × $1.00 =
    // $0.0192; text 4,000 × $0.30 = $0.0012; output 8,000 × $2.50 = $0.02; total $0.08684.
    expect(estimateVideoCost(flash25, 600, 'default', 8_000, NOV_2026).usd).toBeCloseTo(0.08684, 12);
  });

  test('long prompts switch gemini-2.5-pro to its long-context price', () => {
    // 290 tokens/s. 600 s: 178,000 in ≤ 200k → 178,000 × $1.25 + 8,000 × $10 = $0.2225 + $0.08.
    expect(estimateVideoCost(pro25, 600, 'default', 8_000, NOV_2026).usd).toBeCloseTo(0.3025, 12);
    // 1,200 s: 352,000 in > 200k → 352,000 × $2.50 + 8,000 × $15 = $0.88 + $0.12 = $1.00.
    expect(estimateVideoCost(pro25, 1_200, 'default', 8_000, NOV_2026).usd).toBeCloseTo(1.0, 12);
  });

  test('the long-context threshold is "above", not "at"', () => {
    // 200,000 × $2 + 10,000 × $12 = $0.52; 200,001 tokens → × $4 and × $18.
    expect(estimatePromptCost(pro31, { input: { text: 200_000 }, output: 10_000 }, NOV_2026)).toBeCloseTo(0.52, 12);
    expect(estimatePromptCost(pro31, { input: { text: 200_001 }, output: 10_000 }, NOV_2026)).toBeCloseTo(
      0.800004 + 0.18,
      12,
    );
  });

  test('a custom prompt size', () => {
    // 60 s: 18,000 + 500 = 18,500 in × $0.75 = $0.013875; 1,000 out × $3.75 = $0.00375.
    const estimate = estimateVideoCost(at300, 60, 'default', 1_000, NOV_2026, { promptTokens: 500 });
    expect(estimate).toEqual({ inputTokens: 18_500, outputTokens: 1_000, usd: expect.closeTo(0.017625, 12) });
  });
});

describe('costOfUsage', () => {
  const usage = { promptTokens: 100_000, outputTokens: 2_000, thoughtsTokens: 3_000, totalTokens: 105_000 };

  test('thinking tokens are billed as output', () => {
    // 100,000 × $0.75 = $0.075; (2,000 + 3,000) × $3.75 = $0.01875; total $0.09375.
    expect(costOfUsage(at300, usage, NOV_2026)).toBeCloseTo(0.09375, 12);
  });

  test('batch: half', () => {
    expect(costOfUsage(at300, usage, NOV_2026, { batch: true })).toBeCloseTo(0.046875, 12);
  });

  test('the date picks the price period', () => {
    // 100,000 × $1.50 + 5,000 × $7.50 = $0.15 + $0.0375.
    expect(costOfUsage(at300, usage, JAN_2027)).toBeCloseTo(0.1875, 12);
  });

  test('prompt tokens by modality, the rest at the default price', () => {
    // video 80,000 × $0.30 = $0.024; audio 10,000 × $1.00 = $0.01; text 5,000 × $0.30 = $0.0015;
    // 5,000 unattributed × $0.30 = $0.0015; output 5,000 × $2.50 = $0.0125; total $0.0495.
    const cost = costOfUsage(flash25, usage, NOV_2026, {
      promptTokensByModality: { video: 80_000, audio: 10_000, text: 5_000 },
    });
    expect(cost).toBeCloseTo(0.0495, 12);
  });

  test('no tokens, no cost', () => {
    expect(costOfUsage(at300, { promptTokens: 0, outputTokens: 0, thoughtsTokens: 0, totalTokens: 0 }, NOV_2026)).toBe(
      0,
    );
  });
});

describe('planMediaStrategy on a 1,048,576-token window', () => {
  // floor(1,048,576 × 0.9) = 943,718; minus 8,192 output and 4,000 prompt = 931,526 tokens of video.
  const opts = { expectedOutputTokens: 8_192 };

  test('room for video', () => {
    expect(CONTEXT_FILL_RATIO).toBe(0.9);
    expect(DEFAULT_PROMPT_TOKENS).toBe(4_000);
    expect(videoTokenRoom(at300, opts)).toBe(931_526);
  });

  test.each([
    [60, { resolution: 'default', strategy: 'whole' }],
    [3_105, { resolution: 'default', strategy: 'whole' }], // 931,500 tokens fit
    [3_106, { resolution: 'low', strategy: 'whole' }], // 931,800 do not; 310,600 at low do
    [9_315, { resolution: 'low', strategy: 'whole' }], // 931,500 at low
    [
      9_316,
      {
        resolution: 'low',
        strategy: 'clips',
        clips: clipsAt(0, 4_658, 9_316),
      },
    ],
    [
      14_400,
      {
        resolution: 'low',
        strategy: 'clips',
        clips: clipsAt(0, 7_200, 14_400),
      },
    ],
    [
      36_000,
      {
        resolution: 'low',
        strategy: 'clips',
        clips: clipsAt(0, 9_000, 18_000, 27_000, 36_000),
      },
    ],
  ])('%d s → %j', (seconds, plan) => {
    expect(planMediaStrategy(at300, seconds, opts)).toEqual(plan);
  });

  test('a fractional duration: the last clip ends at the next whole second', () => {
    expect(planMediaStrategy(at300, 9_316.4, opts).clips).toEqual(clipsAt(0, 4_658, 9_317));
  });

  test('a larger expected output leaves less room', () => {
    // 943,718 − 65,536 − 4,000 = 874,182: 2,913 s fits at default (873,900), 2,914 s does not.
    expect(planMediaStrategy(at300, 2_913, { expectedOutputTokens: 65_536 }).resolution).toBe('default');
    expect(planMediaStrategy(at300, 2_914, { expectedOutputTokens: 65_536 }).resolution).toBe('low');
  });

  test('a chosen resolution is kept; clips at that resolution when needed', () => {
    expect(planMediaStrategy(at300, 60, { ...opts, resolution: 'low' })).toEqual({
      resolution: 'low',
      strategy: 'whole',
    });
    // floor(931,526 / 300) = 3,105 s per clip → 2 clips of 2,000 s.
    expect(planMediaStrategy(at300, 4_000, { ...opts, resolution: 'default' })).toEqual({
      resolution: 'default',
      strategy: 'clips',
      clips: clipsAt(0, 2_000, 4_000),
    });
  });

  test('an unknown duration is sent whole', () => {
    expect(planMediaStrategy(at300, undefined, opts)).toEqual({ resolution: 'default', strategy: 'whole' });
    expect(planMediaStrategy(at300, undefined, { ...opts, resolution: 'low' })).toEqual({
      resolution: 'low',
      strategy: 'whole',
    });
  });

  test('an output too large for the window is an error that says what to change', () => {
    expect(() => planMediaStrategy(at300, 60, { expectedOutputTokens: 1_000_000 })).toThrow(
      /Lower the template's max output tokens/,
    );
  });

  test('every clip of every plan fits and the clips cover the video without gaps', () => {
    for (const seconds of [9_316, 12_345.6, 20_000, 50_001, 86_400]) {
      const plan = planMediaStrategy(at300, seconds, opts);
      const clips = plan.clips ?? [];
      expect(clips[0]?.startSeconds).toBe(0);
      expect(clips.at(-1)?.endSeconds).toBe(Math.ceil(seconds));
      clips.forEach((clip, i) => {
        if (i > 0) expect(clip.startSeconds).toBe(clips[i - 1]?.endSeconds);
        expect(estimateVideoTokens(at300, clip.endSeconds - clip.startSeconds, plan.resolution)).toBeLessThanOrEqual(
          931_526,
        );
      });
    }
  });

  test('equalClips', () => {
    expect(equalClips(10, 3)).toEqual(clipsAt(0, 2, 5, 7, 10));
    expect(equalClips(0.4, 100)).toEqual([{ startSeconds: 0, endSeconds: 1 }]);
  });
});

describe('estimatePlanCost', () => {
  test('whole: the same as estimateVideoCost', () => {
    const plan = planMediaStrategy(at300, 600, { expectedOutputTokens: 8_000 });
    expect(estimatePlanCost(at300, 600, plan, 8_000, NOV_2026)).toEqual(
      estimateVideoCost(at300, 600, 'default', 8_000, NOV_2026),
    );
  });

  test('clips: one request per clip, each with prompt and output', () => {
    // 4 h at low → 2 clips of 7,200 s: each 720,000 + 4,000 = 724,000 in × $0.75 = $0.543 and
    // 8,192 out × $3.75 = $0.03072 → $0.57372 per clip, $1.14744 in all.
    const plan = planMediaStrategy(at300, 14_400, { expectedOutputTokens: 8_192 });
    expect(estimatePlanCost(at300, 14_400, plan, 8_192, NOV_2026)).toEqual({
      inputTokens: 1_448_000,
      outputTokens: 16_384,
      usd: expect.closeTo(1.14744, 12),
    });
  });
});

describe('money for people and for storage', () => {
  test.each([
    [0.1 + 0.2, 0.3],
    [1.0000004, 1],
    [0.0000005, 0.000001],
    [0.168, 0.168],
  ])('roundUsd(%d) = %d', (raw, rounded) => {
    expect(roundUsd(raw)).toBe(rounded);
  });

  test('roundUsd to cents', () => {
    expect(roundUsd(1.14744, 2)).toBe(1.15);
  });

  test.each([
    [0, '$0.00'],
    [12.3456, '$12.35'],
    [0.168, '$0.17'],
    [0.1, '$0.10'],
    [0.05, '$0.05'],
    [0.0042, '$0.0042'],
    [0.000123, '$0.00012'],
    [1e-9, '<$0.000001'],
    [-0.5, '-$0.50'],
  ])('formatUsd(%d) = %s', (usd, text) => {
    expect(formatUsd(usd)).toBe(text);
  });
});
