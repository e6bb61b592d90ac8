import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reportAfter, withReportLock, type StoredReport } from '../../src/activities/report-update';
import { ActivityContext, type ActivityDeps } from '../../src/activities/context';
import { reportActivities } from '../../src/activities/report';
import type { BatchSummary, VideoOutcome } from '../../src/types';

const usage = (total: number) => ({ promptTokens: total, outputTokens: 0, thoughtsTokens: 0, totalTokens: total });
const video = (key: string, status: VideoOutcome['status'], runId: string, tokens = 10) => ({
  key,
  title: key,
  source: `/v/${key}.mp4`,
  status,
  usage: usage(tokens),
  costUsd: tokens / 1000,
  runId,
  ...(status === 'succeeded'
    ? { outputPath: `/out/${key}.md` }
    : { errorType: 'GeminiContentBlocked', reason: 'refused' }),
});

function finishedReport(): StoredReport {
  const summary: BatchSummary = {
    batchId: 'b',
    total: 2,
    succeeded: 1,
    failed: 1,
    skipped: 0,
    notVideos: [],
    usage: usage(20),
    costUsd: 0.02,
    failures: [
      { key: 'two', title: 'two', source: '/v/two.mp4', errorType: 'GeminiContentBlocked', reason: 'refused' },
    ],
    outputs: ['/out/one.md'],
    skippedVideos: [],
    listsTruncated: false,
    startedAt: '2026-11-29T10:00:00Z',
    finishedAt: '2026-11-29T10:05:00Z',
  };
  return { label: 'videos', summary, videos: [video('one', 'succeeded', 'r1'), video('two', 'failed', 'r2')] };
}

describe('batch report after its batch finished', () => {
  test('a failed video rerun with success is counted once, as succeeded, its tokens added', () => {
    const after = reportAfter(finishedReport(), video('two', 'succeeded', 'r3', 30), '2026-11-29T11:00:00Z')!;
    expect(after.summary).toMatchObject({ total: 2, succeeded: 2, failed: 0, failures: [] });
    expect(after.summary.costUsd).toBeCloseTo(0.05, 10);
    expect(after.summary.usage.totalTokens).toBe(50);
    expect(after.summary.outputs).toEqual(['/out/one.md', '/out/two.md']);
    expect(after.videos.map((v) => `${v.key}:${v.status}`)).toEqual(['one:succeeded', 'two:succeeded']);
    expect(after.changes).toEqual([
      { key: 'two', title: 'two', from: 'failed', to: 'succeeded', at: '2026-11-29T11:00:00Z' },
    ]);
  });

  test('the same run reporting twice (an activity retry) changes nothing the second time', () => {
    const once = reportAfter(finishedReport(), video('two', 'succeeded', 'r3'), 'now')!;
    expect(reportAfter(once, video('two', 'succeeded', 'r3'), 'later')).toBeUndefined();
  });

  test('a rerun that fails again stays one failure, with the new reason', () => {
    const again = { ...video('two', 'failed', 'r3'), reason: 'refused again' };
    const after = reportAfter(finishedReport(), again, 'now')!;
    expect(after.summary).toMatchObject({ succeeded: 1, failed: 1 });
    expect(after.summary.failures).toEqual([expect.objectContaining({ key: 'two', reason: 'refused again' })]);
  });

  test('updates under the lock run one at a time', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-lock-'));
    const order: string[] = [];
    const step = (name: string) =>
      withReportLock(dir, async () => {
        order.push(`${name}+`);
        await new Promise((r) => setTimeout(r, 30));
        order.push(`${name}-`);
      });
    await Promise.all([step('a'), step('b'), step('c')]);
    for (let i = 0; i < order.length; i += 2) expect(order[i + 1]).toBe(order[i].replace('+', '-'));
    expect(fs.existsSync(path.join(dir, 'report.lock'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('report activities', () => {
  const activities = () => reportActivities(new ActivityContext({} as ActivityDeps));
  const outcome = (key: string, status: VideoOutcome['status']): VideoOutcome => {
    const { runId: _runId, ...rest } = video(key, status, 'x');
    return rest;
  };
  type Activities = ReturnType<typeof activities>;
  /** The videos report, in this order, to batch `b` writing into `outputDir`. */
  async function record(a: Activities, outputDir: string, ...reports: Array<[string, VideoOutcome['status']]>) {
    for (const [key, status] of reports)
      await a.recordOutcome({ batchId: 'b', outputDir, outcome: outcome(key, status) });
  }
  /** The batch finishes, with the summary it had counted: report.md's path. */
  const finish = (a: Activities, outputDir: string) =>
    a.writeBatchReport({ batchId: 'b', label: 'videos', outputDir, summary: finishedReport().summary });

  test('a video that reports after its batch has finished updates report.json and report.md', async () => {
    const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-report-'));
    const a = activities();
    await record(a, outputDir, ['one', 'succeeded'], ['two', 'failed']);
    const reportMd = await finish(a, outputDir);
    expect(fs.readFileSync(reportMd, 'utf8')).toContain('2 videos: 1 succeeded, 1 failed');
    await record(a, outputDir, ['two', 'succeeded']);
    const report = JSON.parse(
      fs.readFileSync(path.join(path.dirname(reportMd), 'report.json'), 'utf8'),
    ) as StoredReport;
    expect(report.summary).toMatchObject({ succeeded: 2, failed: 0, failures: [] });
    expect(fs.readFileSync(reportMd, 'utf8')).toMatch(/2 videos: 2 succeeded, 0 failed[\s\S]*two failed → succeeded/);
    fs.rmSync(outputDir, { recursive: true, force: true });
  });

  test('a success that reached the record but not the batch summary is counted in the report', async () => {
    const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-report-'));
    const a = activities();
    await record(a, outputDir, ['one', 'succeeded'], ['two', 'failed'], ['two', 'succeeded']);
    const reportMd = await finish(a, outputDir);
    expect(fs.readFileSync(reportMd, 'utf8')).toContain('2 videos: 2 succeeded, 0 failed');
    fs.rmSync(outputDir, { recursive: true, force: true });
  });
});
