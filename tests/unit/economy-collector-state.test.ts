import { EconomyCollectorState, type RequestOutcome } from '../../src/workflows/economy/collector-state';
import type { EconomyRequest } from '../../src/workflows/economy/definitions';
import type { AnalysisResult } from '../../src/types';

const t0 = Date.parse('2026-11-29T22:00:00Z');
const tuning = { gatherSeconds: 60, firstPollSeconds: 30, maxPollSeconds: 600, maxJobsPerRequest: 3 };

function request(video: string, extra: Partial<EconomyRequest> = {}): EconomyRequest {
  return {
    requestId: `batch/${video}#1`,
    videoWorkflowId: `batch/${video}`,
    label: `${video}.mp4`,
    keyAlias: 'default',
    model: 'gemini-3.8-flash',
    requestPath: `/out/.lesson-forge/work/${video}/economy.json`,
    clipCount: 1,
    estimatedTokens: 1000,
    file: { name: `files/${video}`, uploadedAtMs: t0 },
    ...extra,
  };
}

const result = { analysisPath: '/out/a.json', model: 'gemini-3.8-flash', costUsd: 0.001 } as AnalysisResult;
const answered = (id: string): RequestOutcome => ({ requestId: id, kind: 'result', result });

describe('the economy collector state', () => {
  test('requests are gathered for a while, then go as one job per key and model; a repeated signal is ignored', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    expect(s.add(request('a'), t0)).toBe(true);
    expect(s.add(request('a'), t0 + 5)).toBe(false);
    s.add(request('b', { keyAlias: 'second' }), t0 + 10_000);
    s.add(request('c'), t0 + 20_000);
    expect(s.submitDue(t0 + 59_999)).toBe(false);
    expect(s.nextDueMs()).toBe(t0 + 60_000);
    expect(s.submitDue(t0 + 60_000)).toBe(true);
    const { jobs, stale } = s.planJobs(t0 + 60_000);
    expect(stale).toEqual([]);
    expect(jobs.map((j) => [j.displayName, j.keyAlias, j.requests.map((r) => r.requestId)])).toEqual([
      ['lf b #1', 'default', ['batch/a#1', 'batch/c#1']],
      ['lf b #2', 'second', ['batch/b#1']],
    ]);
    // In a job: not queued again.
    expect(s.add(request('c'), t0 + 61_000)).toBe(false);
  });

  test('a job is looked at after 30 s, then twice as long each time, never more than 10 min apart', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    s.add(request('a'), t0);
    const [job] = s.planJobs(t0 + 60_000).jobs;
    s.created(job!.displayName, 'batches/1', t0 + 60_000);
    expect(s.nextDueMs()).toBe(t0 + 90_000);
    const gaps: number[] = [];
    let now = t0 + 90_000;
    for (let i = 0; i < 8; i++) {
      expect(s.dueJobs(now).map((j) => j.name)).toEqual(['batches/1']);
      s.polled(job!.displayName, 'RUNNING', now);
      gaps.push((s.nextDueMs()! - now) / 1000);
      now = s.nextDueMs()!;
    }
    expect(gaps).toEqual([60, 120, 240, 480, 600, 600, 600, 600]);
  });

  test('a job that ended: answers are final, a retryable error goes into the next job (due at once), and after three jobs the request is asked interactively', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    for (const v of ['a', 'b', 'c']) s.add(request(v), t0);
    let [job] = s.planJobs(t0 + 60_000).jobs;
    s.created(job!.displayName, 'batches/1', t0 + 60_000);
    s.polled(job!.displayName, 'SUCCEEDED', t0 + 90_000);
    const first = s.finish(
      job!.displayName,
      [
        answered('batch/a#1'),
        { requestId: 'batch/b#1', kind: 'failure', failureType: 'GeminiContentBlocked', message: 'refused' },
        { requestId: 'batch/c#1', kind: 'retry', reason: '500 internal' },
      ],
      t0 + 90_000,
    );
    expect(first.map((a) => [a.requestId, a.kind])).toEqual([
      ['batch/a#1', 'result'],
      ['batch/b#1', 'failure'],
    ]);
    expect(first[0]).toMatchObject({ jobName: 'batches/1' });
    // Answered requests are never sent again, even if a video's signal repeats.
    expect(s.add(request('a'), t0 + 91_000)).toBe(false);
    expect(s.submitDue(t0 + 90_000)).toBe(true);

    for (let round = 2; round <= 3; round++) {
      [job] = s.planJobs(t0 + round * 100_000).jobs;
      expect(job!.requests.map((r) => r.requestId)).toEqual(['batch/c#1']);
      s.created(job!.displayName, `batches/${round}`, t0 + round * 100_000);
      // A job that expired holds no answers: its request goes again.
      s.polled(job!.displayName, round === 2 ? 'EXPIRED' : 'SUCCEEDED', t0 + round * 100_000);
      const answers = s.finish(job!.displayName, [], t0 + round * 100_000);
      if (round === 2) expect(answers).toEqual([]);
      else
        expect(answers).toEqual([
          expect.objectContaining({
            requestId: 'batch/c#1',
            kind: 'interactive',
            reason: expect.stringMatching(/3 Batch API jobs/),
          }),
        ]);
    }
    expect(s.idle()).toBe(true);
    expect(s.status('b')).toMatchObject({ answered: 2, sentInteractively: 1, queued: 0 });
    expect(s.status('b').jobs.map((j) => j.state)).toEqual(['SUCCEEDED', 'EXPIRED', 'SUCCEEDED']);
  });

  test('a file too old to outlive a job is not sent: the video is told to upload again', () => {
    const s = new EconomyCollectorState('lf b', { ...tuning, fileMaxAgeHours: 20 });
    s.add(request('old'), t0);
    s.add(request('new', { file: { name: 'files/new', uploadedAtMs: t0 + 19 * 3_600_000 } }), t0 + 19 * 3_600_000);
    const { jobs, stale } = s.planJobs(t0 + 21 * 3_600_000);
    expect(jobs.flatMap((j) => j.requests.map((r) => r.requestId))).toEqual(['batch/new#1']);
    expect(stale).toEqual([
      expect.objectContaining({
        requestId: 'batch/old#1',
        kind: 'failure',
        failureType: 'GeminiFileUnavailable',
        message: expect.stringMatching(/21 h old.*uploaded again/),
      }),
    ]);
  });

  test('the enqueued-token limit: jobs stay under it, the rest waits until a job of the model ends', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    for (const v of ['a', 'b', 'c', 'd']) s.add(request(v, { estimatedTokens: 400, enqueuedTokenLimit: 1000 }), t0);
    const { jobs } = s.planJobs(t0 + 60_000);
    expect(jobs.map((j) => [j.requests.length, j.tokens])).toEqual([[2, 800]]);
    s.created(jobs[0]!.displayName, 'batches/1', t0 + 60_000);
    // Waiting for room is not "due": only the job is.
    expect(s.submitDue(t0 + 61_000)).toBe(false);
    expect(s.nextDueMs()).toBe(t0 + 90_000);
    s.polled(jobs[0]!.displayName, 'SUCCEEDED', t0 + 90_000);
    s.finish(jobs[0]!.displayName, [answered('batch/a#1'), answered('batch/b#1')], t0 + 90_000);
    expect(s.submitDue(t0 + 90_000)).toBe(true);
    expect(s.planJobs(t0 + 90_000).jobs.map((j) => j.requests.map((r) => r.requestId))).toEqual([
      ['batch/c#1', 'batch/d#1'],
    ]);
  });

  test('a job the API refuses (enqueued tokens) is split; one refused alone again and again is asked interactively', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    for (const v of ['a', 'b']) s.add(request(v), t0);
    let [job] = s.planJobs(t0 + 60_000).jobs;
    expect(job!.tokens).toBe(2000);
    expect(s.refused(job!.displayName, '429 BatchEnqueuedTokens', t0 + 60_000)).toEqual([]);
    expect(s.submitDue(t0 + 60_000)).toBe(false);
    expect(s.submitDue(t0 + 90_000)).toBe(true);
    const split = s.planJobs(t0 + 90_000).jobs;
    expect(split.map((j) => j.requests.length)).toEqual([1]);
    // The second request waits for the first job to end; the first is refused alone, three times.
    for (let i = 1; i <= 3; i++) {
      const answers = s.refused(split[0]!.displayName, '429 BatchEnqueuedTokens', t0 + 90_000 * i);
      if (i < 3) {
        [job] = s.planJobs(t0 + 90_000 * (i + 1)).jobs;
        split[0] = job!;
      } else expect(answers).toEqual([expect.objectContaining({ requestId: 'batch/a#1', kind: 'interactive' })]);
    }
  });

  test('a job that cannot be created or collected: each of its videos hears the failure instead of waiting forever', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    for (const v of ['a', 'b']) s.add(request(v), t0);
    const [job] = s.planJobs(t0 + 60_000).jobs;
    const answers = s.abandon(job!.displayName, { failureType: 'GeminiBadRequest', message: 'request too large' });
    expect(answers.map((a) => [a.requestId, a.kind])).toEqual([
      ['batch/a#1', 'failure'],
      ['batch/b#1', 'failure'],
    ]);
    expect(s.idle()).toBe(true);
    expect(s.status('b').jobs).toEqual([expect.objectContaining({ state: 'NOT CREATED', requests: 2 })]);
  });

  test('a cancelled video withdraws its request: dropped from the queue, never sent again, and a job nobody waits for is named for cancelling', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    for (const v of ['a', 'b', 'c']) s.add(request(v), t0);
    const [job] = s.planJobs(t0 + 60_000).jobs;
    s.created(job!.displayName, 'batches/1', t0 + 60_000);
    s.add(request('d'), t0 + 61_000);
    expect(s.withdraw('batch/d#1')).toEqual([]);
    expect(s.status('b').queued).toBe(0);
    expect(s.withdraw('batch/a#1')).toEqual([]);
    expect(s.withdraw('batch/b#1')).toEqual([]);
    expect(s.withdraw('batch/c#1')).toEqual([job!.displayName]);
    s.polled(job!.displayName, 'CANCELLED', t0 + 90_000);
    // Nothing to tell and nothing to send again.
    expect(s.finish(job!.displayName, [], t0 + 90_000)).toEqual([]);
    expect(s.idle()).toBe(true);
    expect(s.add(request('a'), t0 + 91_000)).toBe(false);
  });

  test('a snapshot carries everything over continue-as-new', () => {
    const s = new EconomyCollectorState('lf b', tuning);
    s.add(request('a'), t0);
    s.add(request('b'), t0);
    const [job] = s.planJobs(t0 + 60_000).jobs;
    s.created(job!.displayName, 'batches/1', t0 + 60_000);
    s.add(request('c'), t0 + 61_000);
    const again = new EconomyCollectorState('lf b', tuning, JSON.parse(JSON.stringify(s.snapshot())));
    expect(again.status('b')).toEqual(s.status('b'));
    expect(again.nextDueMs()).toBe(s.nextDueMs());
    expect(again.add(request('b'), t0 + 62_000)).toBe(false);
    expect(again.planJobs(t0 + 200_000).jobs[0]?.displayName).toBe('lf b #2');
  });
});
