import { clipMoments, clipsAtTheirMoments } from '../../src/activities/clip-moments';
import type { GenerateResult } from '../../src/gemini/gateway';
import { DEFAULT_CATALOG_PATH, getModel, loadCatalog } from '../../src/gemini/catalog';
import { clipsByCount, equalClips, estimateVideoTokens } from '../../src/gemini/cost';
import { clipBudgetShare, clipsForMinuteBudget, minimumClipSeconds } from '../../src/gemini/minute-clips';

const catalog = loadCatalog(DEFAULT_CATALOG_PATH);
/** 70 tokens per frame at any resolution but high, plus 32 of sound: 102 tokens a second. */
const flash38 = getModel(catalog, 'gemini-3.8-flash');

describe('clips sized for a project’s tokens per minute', () => {
  const lesson = { model: flash38, resolution: 'default' as const, textTokens: 2_400, ratio: 1 };

  test('a 40-minute lesson on a free-tier project (250k tpm) goes in the fewest equal clips that fit', () => {
    const budget = Math.floor(250_000 * 0.97);
    const plan = clipsForMinuteBudget({ ...lesson, durationSeconds: 2_400, budget });
    if ('tooSmall' in plan) throw new Error('refused');
    // Whole, it needs 2,400 + 244,800 tokens: more than the minute; two clips of 20 minutes fit.
    expect(plan.clips).toEqual([
      { startSeconds: 0, endSeconds: 1_200 },
      { startSeconds: 1_200, endSeconds: 2_400 },
    ]);
    expect(plan.tokens).toEqual([2_400 + 122_400, 2_400 + 122_400]);
    for (const t of plan.tokens) expect(t).toBeLessThanOrEqual(budget * clipBudgetShare);
  });

  test('the fewest clips: one clip fewer would not fit, and each lasts whole seconds', () => {
    const budget = 40_000;
    const plan = clipsForMinuteBudget({ ...lesson, durationSeconds: 3_601.4, budget });
    if ('tooSmall' in plan) throw new Error('refused');
    for (const c of plan.clips) expect(Number.isInteger(c.endSeconds - c.startSeconds)).toBe(true);
    expect(plan.clips[plan.clips.length - 1].endSeconds).toBe(3_602);
    const fewer = clipsByCount(3_601.4, plan.clips.length - 1);
    const longest = Math.max(...fewer.map((c) => c.endSeconds - c.startSeconds));
    expect(2_400 + estimateVideoTokens(flash38, longest, 'default')).toBeGreaterThan(budget * clipBudgetShare);
    for (const t of plan.tokens) expect(t).toBeLessThanOrEqual(budget * clipBudgetShare);
  });

  test('the ledger’s ratio of actual to expected tokens makes the clips shorter', () => {
    const budget = 100_000;
    const plain = clipsForMinuteBudget({ ...lesson, durationSeconds: 3_000, budget });
    const biased = clipsForMinuteBudget({ ...lesson, durationSeconds: 3_000, budget, ratio: 1.5 });
    if ('tooSmall' in plain || 'tooSmall' in biased) throw new Error('refused');
    expect(biased.clips.length).toBeGreaterThan(plain.clips.length);
    for (const t of biased.tokens) expect(t * 1.5).toBeLessThanOrEqual(budget * clipBudgetShare);
  });

  test('a clip never outgrows the context window’s own limit', () => {
    const plan = clipsForMinuteBudget({ ...lesson, durationSeconds: 600, budget: 200_000, maxClipSeconds: 100 });
    if ('tooSmall' in plan) throw new Error('refused');
    expect(plan.clips).toEqual(equalClips(600, 100));
  });

  test(`refused only when not even a ${minimumClipSeconds} s clip fits beside the prompt`, () => {
    // 2,400 + 30 s × 102 = 5,460 tokens; 90 % of the budget must hold that.
    const justEnough = Math.ceil(5_460 / clipBudgetShare);
    const fits = clipsForMinuteBudget({ ...lesson, durationSeconds: 600, budget: justEnough });
    expect('clips' in fits && fits.clips).toHaveLength(20);
    const refused = clipsForMinuteBudget({ ...lesson, durationSeconds: 600, budget: justEnough - 200 });
    expect(refused).toEqual({ tooSmall: true, shortestClipTokens: 5_460 });
  });
});

describe('clips sent at their booked moments', () => {
  test('each clip is sent at its moment, not after the answer before it; answered clips are not sent', async () => {
    const t0 = Date.now();
    const sentAt: Array<[number, number]> = [];
    const answers: Array<() => void> = [];
    const schedule = clipsAtTheirMoments(clipMoments([t0, t0 + 60, t0 + 120], new Set([1]), t0, false), (index) => {
      sentAt.push([index, Date.now() - t0]);
      // The first answer takes long: the third clip must not wait for it.
      return new Promise<GenerateResult>((resolve) =>
        answers.push(() => resolve({ text: `${index}` } as GenerateResult)),
      );
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(sentAt.map(([i]) => i)).toEqual([0, 2]);
    expect(sentAt[1][1]).toBeGreaterThanOrEqual(110);
    answers.forEach((answer) => answer());
    await expect(schedule.answer(2)).resolves.toEqual({ text: '2' });
    expect(() => schedule.answer(1)).toThrow(/no booked moment/);
    schedule.stop();
  });

  test('stop cancels the clips not yet sent', async () => {
    const sent: number[] = [];
    const schedule = clipsAtTheirMoments(new Map([[0, Date.now() + 100]]), async (index) => {
      sent.push(index);
      return {} as GenerateResult;
    });
    schedule.stop();
    await expect(schedule.answer(0)).rejects.toThrow(/ended before this clip was sent/);
    await new Promise((r) => setTimeout(r, 150));
    expect(sent).toEqual([]);
  });

  test('a retried attempt keeps the clips left spaced as booked, later by as much as the first is late', () => {
    const booked = [1_000, 70_000, 140_000];
    expect(clipMoments(booked, new Set([0]), 90_000, true)).toEqual(
      new Map([
        [1, 90_000],
        [2, 160_000],
      ]),
    );
    // The first attempt keeps the booked moments (a clip due already goes at once).
    expect(clipMoments(booked, new Set(), 5_000, false)).toEqual(
      new Map([
        [0, 1_000],
        [1, 70_000],
        [2, 140_000],
      ]),
    );
  });
});
