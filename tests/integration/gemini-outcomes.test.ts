import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ApiKey } from '../../src/config';
import { unavailableAfterAttempts } from '../../src/gemini/classify';
import type { VideoStats } from '../../standin';
import type { ProcessingOptions, VideoOutcome } from '../../src/types';
import { VideoWorkflow } from '../../src/workflows';
import { videoStatusQuery } from '../../src/workflows/definitions';
import {
  historiesText,
  processingOptions,
  samplesDir,
  tempDir,
  uniqueId,
  waitFor,
  useWorkerRig,
  videoOutcome,
} from '../support/harness';

/**
 * One row of the "every Gemini outcome" table per test: a real VideoWorkflow on a real worker,
 * the real SDK over HTTP to the stand-in, whose faults play Gemini's answers.
 */
describe('every Gemini outcome is classified and handled', () => {
  const idPrefix = uniqueId('outcomes');
  const secret = (name: string) => `AIzaFAKE-${name}-${uniqueId('v')}-do-not-leak`;
  const keys: ApiKey[] = [
    { alias: 'primary', envVar: 'GEMINI_API_KEY', value: secret('primary'), limits: {} },
    { alias: 'secondary', envVar: 'GEMINI_API_KEY_2', value: secret('secondary'), limits: {} },
    { alias: 'revoked', envVar: 'GEMINI_API_KEY_3', value: secret('revoked'), limits: {} },
  ];
  const rig = useWorkerRig(
    'gemini-outcomes',
    {
      processingMs: 50,
      latencyMs: 5,
      keys: keys.map((k) => ({ name: k.alias, value: k.value, valid: k.alias !== 'revoked' })),
    },
    keys,
  );
  const { taskQueue } = rig;

  /** A fresh copy of the small sample under a name no other test uses (the stand-in counts by it). */
  function video(key: string) {
    const dir = tempDir('video');
    const file = path.join(dir, `${key}.mp4`);
    fs.copyFileSync(path.join(samplesDir, 'color-theory-intro.mp4'), file);
    return { key, title: key, source: { kind: 'file' as const, path: file } };
  }

  function start(key: string, options: Partial<ProcessingOptions> = {}, keyAliases = ['primary']) {
    const outputDir = tempDir('out');
    const handle = rig.client.workflow.start(VideoWorkflow, {
      workflowId: `${idPrefix}/${key}`,
      taskQueue,
      args: [{ item: video(key), options: processingOptions(outputDir, options), keyAliases }],
    });
    return { handle, outputDir };
  }

  async function run(
    key: string,
    options: Partial<ProcessingOptions> = {},
    keyAliases = ['primary'],
  ): Promise<VideoOutcome> {
    const { handle } = start(key, options, keyAliases);
    return videoOutcome(await handle);
  }

  const statsOf = (key: string): VideoStats => rig.standin.stats().byVideo[key] ?? ({} as VideoStats);

  function frontmatterOf(file: string): Record<string, unknown> {
    const match = /^---\n([\s\S]*?)\n---\n/.exec(fs.readFileSync(file, 'utf8'));
    if (!match) throw new Error(`${file} has no frontmatter`);
    return parseYaml(match[1]) as Record<string, unknown>;
  }

  /** Milliseconds between the generate calls the stand-in answered for a video. */
  function generateGaps(key: string): number[] {
    const times = rig.standin
      .stats()
      .log.filter((e) => e.route === 'generate' && e.video?.includes(key))
      .map((e) => e.at);
    return times.slice(1).map((t, i) => t - times[i]);
  }

  test('a clean run succeeds, and the uploaded file is deleted afterwards', async () => {
    const outcome = await run('clean');
    expect(outcome).toMatchObject({ status: 'succeeded', model: 'gemini-3.8-flash' });
    expect(statsOf('clean')).toMatchObject({ uploadsCompleted: 1, generateCalls: 1, generateSucceeded: 1, deletes: 1 });
  });

  test('keepUploads leaves the uploaded file on Gemini', async () => {
    const outcome = await run('kept', { keepUploads: true });
    expect(outcome.status).toBe('succeeded');
    expect(statsOf('kept')).toMatchObject({ uploadsCompleted: 1, deletes: 0 });
  });

  test('429 per minute: retried after the server’s retryDelay, not the policy’s 10 s backoff', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'per-minute' },
      times: 1,
      action: { type: 'http', kind: 'quota-minute', retryDelaySeconds: 2 },
    });
    const outcome = await run('per-minute');
    expect(outcome.status).toBe('succeeded');
    expect(statsOf('per-minute')).toMatchObject({ generateCalls: 2, generateSucceeded: 1 });
    const [gap] = generateGaps('per-minute');
    expect(gap).toBeGreaterThanOrEqual(1_900);
    expect(gap).toBeLessThan(8_000);
    expect(await historiesText(rig.client, `${idPrefix}/per-minute`)).toContain('GeminiQuotaPerMinute');
  });

  test('429 per day with two keys: the work moves to the second key and is uploaded again there', async () => {
    rig.standin.addFault({ route: 'generate', match: { key: 'primary' }, action: { type: 'http', kind: 'quota-day' } });
    const outcome = await run('per-day', {}, ['primary', 'secondary']);
    expect(outcome.status).toBe('succeeded');
    const byKey = rig.standin.stats().byKey;
    expect(byKey.primary).toMatchObject({ 'upload.start': 1, generate: 1 }); // not retried with the exhausted key
    expect(byKey.secondary).toMatchObject({ 'upload.start': 1, generate: 1 });
    expect(statsOf('per-day')).toMatchObject({ uploadsCompleted: 2, generateSucceeded: 1 });
  });

  test('429 per day with the only key: the video waits durably for the reset instead of failing', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'day-wait' },
      action: { type: 'http', kind: 'quota-day' },
    });
    const { handle: started } = start('day-wait');
    const handle = await started;
    try {
      await waitFor(
        async () => (await handle.query(videoStatusQuery)).status === 'waiting-for-quota',
        30_000,
        'waiting-for-quota',
      );
      const history = await handle.fetchHistory();
      const timer = history.events?.find((e) => e.timerStartedEventAttributes)?.timerStartedEventAttributes;
      expect(Number(timer?.startToFireTimeout?.seconds)).toBeGreaterThanOrEqual(60);
      expect(statsOf('day-wait').generateCalls).toBe(1);
      expect((await handle.describe()).status.name).toBe('RUNNING');
    } finally {
      await handle.terminate('test done');
    }
  });

  test('invalid key: not retried; the message names the alias, never the value', async () => {
    const outcome = await run('bad-key', {}, ['revoked']);
    expect(outcome).toMatchObject({ status: 'failed', errorType: 'GeminiInvalidApiKey' });
    expect(outcome.reason).toContain('"revoked"');
    expect(outcome.reason).not.toContain(keys[2].value);
    expect(rig.standin.stats().byKey.revoked).toEqual({ 'upload.start': 1 });
  });

  test('403 on a file during analysis: the video is uploaded again, then analysed', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'expired' },
      times: 1,
      action: { type: 'http', kind: 'permission-denied' },
    });
    const outcome = await run('expired');
    expect(outcome.status).toBe('succeeded');
    expect(statsOf('expired')).toMatchObject({ uploadsCompleted: 2, generateCalls: 2, generateSucceeded: 1 });
  });

  test('unknown or retired model (404): the next model of the chain is used and recorded in the frontmatter', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'retired', model: 'gemini-3.8-flash' },
      action: { type: 'http', kind: 'not-found' },
    });
    const outcome = await run('retired');
    expect(outcome).toMatchObject({ status: 'succeeded', model: 'gemini-3.5-flash-lite' });
    expect(frontmatterOf(outcome.outputPath!).model).toBe('gemini-3.5-flash-lite');
    expect(statsOf('retired')).toMatchObject({
      generateCalls: 2,
      generateSucceeded: 1,
      lastModel: 'gemini-3.5-flash-lite',
    });
  });

  test('503 on every try: after a few attempts the model counts as unavailable and the next model is used', async () => {
    // The server's RetryInfo (1 s) keeps this quick; without one the policy's backoff would take about 70 s.
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'overloaded', model: 'gemini-3.8-flash' },
      action: { type: 'http', status: 503, retryDelaySeconds: 1 },
    });
    const outcome = await run('overloaded');
    expect(outcome).toMatchObject({ status: 'succeeded', model: 'gemini-3.5-flash-lite' });
    expect(frontmatterOf(outcome.outputPath!).model).toBe('gemini-3.5-flash-lite');
    expect(statsOf('overloaded')).toMatchObject({
      generateCalls: unavailableAfterAttempts + 1,
      generateSucceeded: 1,
      lastModel: 'gemini-3.5-flash-lite',
    });
    // Paced by the server's retryDelay, not a tight loop and not the policy's 10 s.
    for (const gap of generateGaps('overloaded').slice(0, unavailableAfterAttempts - 1)) {
      expect(gap).toBeGreaterThanOrEqual(900);
      expect(gap).toBeLessThan(9_000);
    }
  });

  test('500 then 503: retried with backoff, then succeeds', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'flaky' },
      times: 1,
      action: { type: 'http', status: 500 },
    });
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'flaky' },
      times: 1,
      action: { type: 'http', status: 503 },
    });
    const outcome = await run('flaky');
    expect(outcome).toMatchObject({ status: 'succeeded', model: 'gemini-3.8-flash' });
    expect(statsOf('flaky')).toMatchObject({ generateCalls: 3, generateSucceeded: 1 });
    // Backoff, not a tight loop: the policy starts at 10 s and doubles.
    const gaps = generateGaps('flaky');
    expect(gaps[0]).toBeGreaterThanOrEqual(9_000);
    expect(gaps[1]).toBeGreaterThan(gaps[0]);
  });

  test('file state FAILED: the video fails with a reason a person understands, and is not retried', async () => {
    rig.standin.addFault({
      route: 'upload.chunk',
      match: { video: 'broken' },
      action: { type: 'file-failed', message: 'unsupported codec' },
    });
    const outcome = await run('broken');
    expect(outcome).toMatchObject({ status: 'failed', errorType: 'GeminiVideoProcessingFailed' });
    expect(outcome.reason).toMatch(/Gemini could not process this video/);
    expect(statsOf('broken')).toMatchObject({ uploadsStarted: 1, generateCalls: 0 });
  });

  test('blocked prompt, SAFETY, RECITATION and PROHIBITED_CONTENT fail with that reason after one call', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'blocked-prompt' },
      action: { type: 'blocked-prompt', reason: 'SAFETY' },
    });
    for (const reason of ['SAFETY', 'RECITATION', 'PROHIBITED_CONTENT'] as const) {
      rig.standin.addFault({
        route: 'generate',
        match: { video: `finish-${reason}` },
        action: { type: 'finish', reason },
      });
    }
    const keysToRun = ['blocked-prompt', 'finish-SAFETY', 'finish-RECITATION', 'finish-PROHIBITED_CONTENT'];
    const outcomes = await Promise.all(keysToRun.map((k) => run(k)));
    for (const [i, outcome] of outcomes.entries()) {
      expect(outcome).toMatchObject({ status: 'failed', errorType: 'GeminiContentBlocked' });
      expect(statsOf(keysToRun[i]).generateCalls).toBe(1);
    }
    expect(outcomes[0].reason).toMatch(/prompt was blocked \(SAFETY\)/);
    expect(outcomes[1].reason).toMatch(/withheld \(SAFETY\)/);
    expect(outcomes[2].reason).toMatch(/RECITATION/);
    expect(outcomes[3].reason).toMatch(/PROHIBITED_CONTENT/);
  });

  /** generate requests without a video part (text-only repairs) answered since `since`. */
  const textOnlyCalls = (since: number) =>
    rig.standin.stats().log.filter((e) => e.route === 'generate' && e.at >= since && e.mediaParts === 0);

  test('MAX_TOKENS: the cut answer is completed by a text-only call; the video is not sent again', async () => {
    // comprehensive_lesson asks for 32768 tokens; a limit below 40000 is cut short.
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'long-answer' },
      action: { type: 'max-tokens-below', tokens: 40_000 },
    });
    const since = Date.now();
    const outcome = await run('long-answer');
    expect(outcome).toMatchObject({ status: 'succeeded', truncated: false, repairs: 1 });
    expect(frontmatterOf(outcome.outputPath!).truncated).toBeUndefined();
    expect(frontmatterOf(outcome.outputPath!).repairs).toBe(1);
    expect(statsOf('long-answer')).toMatchObject({ generateCalls: 1, generateSucceeded: 0 });
    expect(textOnlyCalls(since)).toEqual([expect.objectContaining({ status: 200, finishReason: 'STOP' })]);
  });

  test('MAX_TOKENS, and the completion is cut too: asked again with a larger limit, then kept and marked truncated', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'endless' },
      action: { type: 'max-tokens-below', tokens: 10_000_000 },
    });
    rig.standin.addFault({
      route: 'generate',
      match: { withVideo: false },
      times: 2,
      action: { type: 'max-tokens-below', tokens: 10_000_000 },
    });
    const since = Date.now();
    const outcome = await run('endless');
    expect(outcome).toMatchObject({ status: 'succeeded', truncated: true });
    expect(frontmatterOf(outcome.outputPath!).truncated).toBe(true);
    expect(statsOf('endless').generateCalls).toBe(2);
    expect(textOnlyCalls(since)).toHaveLength(2);
  });

  test('schema mismatch: repaired by a text-only call (no video part), not by analysing the video again', async () => {
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'mismatch-once' },
      times: 1,
      action: { type: 'schema-mismatch' },
    });
    const since = Date.now();
    const outcome = await run('mismatch-once');
    expect(outcome).toMatchObject({ status: 'succeeded', repairs: 1 });
    expect(statsOf('mismatch-once')).toMatchObject({ generateCalls: 1, generateSucceeded: 1 });
    expect(textOnlyCalls(since)).toEqual([expect.objectContaining({ status: 200, finishReason: 'STOP' })]);
  });

  test('invalid JSON every time, repairs too: a bounded number of tries, then failed with the validation error', async () => {
    rig.standin.addFault({ route: 'generate', match: { video: 'garbage' }, action: { type: 'invalid-json' } });
    rig.standin.addFault({
      route: 'generate',
      match: { withVideo: false },
      times: 3,
      action: { type: 'invalid-json' },
    });
    const since = Date.now();
    const outcome = await run('garbage');
    expect(outcome).toMatchObject({ status: 'failed', errorType: 'InvalidModelOutput' });
    expect(outcome.reason).toMatch(/did not match the comprehensive_lesson template/);
    // Each analysis tried one text-only repair before the video was analysed again.
    expect(statsOf('garbage').generateCalls).toBe(3);
    expect(textOnlyCalls(since)).toHaveLength(3);
  });

  test('no key value appears in any history of this file’s workflows', async () => {
    const text = await historiesText(rig.client, idPrefix);
    expect(text).toContain('per-day'); // the search sees decoded payloads of earlier tests
    expect(text).toContain('GeminiInvalidApiKey');
    for (const key of keys) expect(text).not.toContain(key.value);
  });
});
