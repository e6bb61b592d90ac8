import fs from 'node:fs';
import path from 'node:path';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { StoredReport } from '../../src/activities/report-update';
import { batchDir } from '../../src/activities/batch';
import { manifestPath, type ManifestEntry } from '../../src/output/manifest';
import { resetToFirstWorkflowTask } from '../../src/temporal/reset';
import type { BatchProgress, VideoOutcome } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import { videoWorkflowId } from '../../src/workflows/ids';
import { progressQuery } from '../../src/workflows/definitions';
import { runCli } from '../support/run-cli';
import { batchInput, samplesDir, tempDir, temporalAddress, uniqueId, useWorkerRig, waitFor } from '../support/harness';

/**
 * A video Gemini refused is a Failed workflow; Temporal's Reset (what the Web UI's button does)
 * runs it again, and the batch's counts, report and manifest then say it succeeded, once.
 */
describe('reset of a failed video', () => {
  const rig = useWorkerRig('reset', { processingMs: 50 });

  /** A folder of real small videos under the given names (the stand-in's faults match on them). */
  function videoFolder(names: string[]): string {
    const dir = tempDir('videos');
    for (const name of names) fs.copyFileSync(path.join(samplesDir, 'color-theory-intro.mp4'), path.join(dir, name));
    return dir;
  }

  const refuse = (video: string) =>
    rig.standin.addFault({ route: 'generate', match: { video }, action: { type: 'finish', reason: 'SAFETY' } });

  const reportOf = (output: string, batchId: string): StoredReport =>
    JSON.parse(fs.readFileSync(path.join(batchDir(output, batchId), 'report.json'), 'utf8')) as StoredReport;

  const reportMarkdown = (output: string, batchId: string) =>
    fs.readFileSync(path.join(batchDir(output, batchId), 'report.md'), 'utf8');

  function manifestEntries(output: string): ManifestEntry[] {
    return fs
      .readFileSync(manifestPath(output), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ManifestEntry);
  }

  async function failureOf(client: Client, workflowId: string): Promise<ApplicationFailure> {
    const err = await client.workflow
      .getHandle(workflowId)
      .result()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    if (!(err instanceof WorkflowFailedError) || !(err.cause instanceof ApplicationFailure))
      throw new Error(`${workflowId} did not fail with an ApplicationFailure: ${String(err)}`);
    return err.cause;
  }

  const outcomeOf = (workflowId: string, runId: string) =>
    rig.client.workflow.getHandle(workflowId, runId).result() as Promise<VideoOutcome>;

  test('of a finished batch: the lesson plan is written; report and manifest say it succeeded, once', async () => {
    const videos = videoFolder(['lecture-1.mp4', 'lecture-2-refused.mp4']);
    const output = tempDir('out');
    const batchId = uniqueId('finished');
    refuse('refused');
    const summary = await rig.runBatch(batchInput(batchId, [videos], output));
    expect(summary).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
    const failed = summary.failures[0];
    const videoId = videoWorkflowId(batchId, failed.key);

    // Failed in Temporal, with the classified type and what to do.
    const failure = await failureOf(rig.client, videoId);
    expect(failure.type).toBe('GeminiContentBlocked');
    expect(failure.message).toMatch(/SAFETY.*Reset it/);
    expect(reportOf(output, batchId).summary).toMatchObject({ succeeded: 1, failed: 1 });

    rig.standin.clearFaults();
    const runId = await resetToFirstWorkflowTask(rig.client, { workflowId: videoId, reason: 'test: cause removed' });
    const outcome = await outcomeOf(videoId, runId);
    expect(outcome.status).toBe('succeeded');
    expect(fs.existsSync(outcome.outputPath!)).toBe(true);
    expect(path.basename(outcome.outputPath!)).toBe('lecture-2-refused.md');

    const report = reportOf(output, batchId);
    expect(report.summary).toMatchObject({ total: 2, succeeded: 2, failed: 0, skipped: 0, failures: [] });
    expect(report.summary.outputs).toContain(outcome.outputPath);
    expect(report.summary.usage.totalTokens).toBe(summary.usage.totalTokens + outcome.usage.totalTokens);
    expect(report.videos.map((v) => v.status)).toEqual(['succeeded', 'succeeded']);
    expect(report.changes).toEqual([expect.objectContaining({ key: failed.key, from: 'failed', to: 'succeeded' })]);
    const md = reportMarkdown(output, batchId);
    expect(md).toContain('2 videos: 2 succeeded, 0 failed, 0 skipped');
    expect(md).toMatch(/Lecture 2 refused failed → succeeded/);
    expect(manifestEntries(output).map((e) => e.outputPath)).toContain(
      path.relative(output, outcome.outputPath!).split(path.sep).join('/'),
    );
  });

  test('of a running batch: its counts are corrected, the video counted once, as succeeded', async () => {
    const videos = videoFolder(['quick-refused.mp4', 'slow-lecture.mp4']);
    const output = tempDir('out');
    const batchId = uniqueId('running');
    refuse('refused');
    // Holds the batch open while the failed video is reset and reruns.
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'slow' },
      times: 1,
      action: { type: 'delay', ms: 20_000 },
    });
    const batch = await rig.client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue: rig.taskQueue,
      args: [batchInput(batchId, [videos], output)],
    });
    const progress = () => batch.query(progressQuery);
    await waitFor(async () => (await progress()).failed === 1, 30_000, 'the refused video to fail');
    let videoId = '';
    const failedQuery = `BatchId = "${batchId}" AND ExecutionStatus = "Failed"`;
    await waitFor(
      async () => {
        for await (const wf of rig.client.workflow.list({ query: failedQuery })) videoId = wf.workflowId;
        return videoId !== '';
      },
      10_000,
      'the failed video to be listed',
    );
    expect(videoId).toContain('quick-refused');

    rig.standin.clearFaults();
    const runId = await resetToFirstWorkflowTask(rig.client, { workflowId: videoId, reason: 'test: cause removed' });
    expect((await outcomeOf(videoId, runId)).status).toBe('succeeded');
    await waitFor(async () => (await progress()).succeeded === 1, 10_000, 'the batch to hear of the rerun');
    const during: BatchProgress = await progress();
    expect(during).toMatchObject({ succeeded: 1, failed: 0, running: 1 });

    const summary = await batch.result();
    expect(summary).toMatchObject({ total: 2, succeeded: 2, failed: 0, skipped: 0, failures: [] });
    expect(summary.outputs).toHaveLength(2);
    const report = reportOf(output, batchId);
    expect(report.summary).toMatchObject({ succeeded: 2, failed: 0 });
    expect(report.videos.map((v) => v.status)).toEqual(['succeeded', 'succeeded']);
    expect(manifestEntries(output)).toHaveLength(2);
  });

  test('retry-failed on a finished batch resets every failed video, with the model asked for', async () => {
    const videos = videoFolder(['a-refused.mp4', 'b-refused.mp4', 'c-fine.mp4']);
    const output = tempDir('out');
    const batchId = uniqueId('retry-cli');
    refuse('refused');
    expect(await rig.runBatch(batchInput(batchId, [videos], output))).toMatchObject({ succeeded: 1, failed: 2 });
    rig.standin.clearFaults();

    const saved = process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_ADDRESS = temporalAddress();
    let run: Awaited<ReturnType<typeof runCli>>;
    let again: Awaited<ReturnType<typeof runCli>>;
    try {
      run = await runCli('retry-failed', batchId, '--model', 'gemini-3.5-flash-lite', '--json');
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as { reset: Array<{ workflowId: string; runId: string }> };
      expect(result.reset.map((r) => r.workflowId.split('/')[1].split('-')[0])).toEqual(['a', 'b']);
      const outcomes = await Promise.all(result.reset.map((r) => outcomeOf(r.workflowId, r.runId)));
      for (const outcome of outcomes)
        expect(outcome).toMatchObject({ status: 'succeeded', model: 'gemini-3.5-flash-lite' });
      // Nothing is left to retry, and a video already run again is not reset twice.
      again = await runCli('retry-failed', batchId);
    } finally {
      if (saved === undefined) delete process.env.TEMPORAL_ADDRESS;
      else process.env.TEMPORAL_ADDRESS = saved;
    }
    expect(again.stdout).toContain('No video of this batch has failed');
    const report = reportOf(output, batchId);
    expect(report.summary).toMatchObject({ total: 3, succeeded: 3, failed: 0, failures: [] });
    expect(report.changes).toHaveLength(2);
    expect(fs.readdirSync(path.join(output, 'comprehensive_lesson')).sort()).toEqual([
      'a-refused.md',
      'b-refused.md',
      'c-fine.md',
    ]);
  });

  test('retry-failed on a batch that does not exist says so (exit 4)', async () => {
    const saved = process.env.TEMPORAL_ADDRESS;
    process.env.TEMPORAL_ADDRESS = temporalAddress();
    try {
      const missing = await runCli('retry-failed', 'no-such-batch');
      expect(missing.code).toBe(4);
      expect(missing.stderr).toContain('No batch with id "no-such-batch"');
    } finally {
      if (saved === undefined) delete process.env.TEMPORAL_ADDRESS;
      else process.env.TEMPORAL_ADDRESS = saved;
    }
  });
});
