import fs from 'node:fs';
import path from 'node:path';
import type { BatchSummary } from '../../src/types';
import { BatchWorkflow } from '../../src/workflows';
import { progressQuery } from '../../src/workflows/definitions';
import {
  batchInput,
  makeVideoFolder,
  timelineLabels,
  tempDir,
  uniqueId,
  useWorkerRig,
  videoOutcome,
  waitFor,
} from '../support/harness';

/** A video that ends without its lesson plan is a Failed workflow a person can see, fix and Reset. */
describe('failed videos look failed', () => {
  const rig = useWorkerRig('failed-videos', { processingMs: 50 });

  async function childIds(batchId: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const wf of rig.client.workflow.list({ query: `BatchId = "${batchId}"` })) ids.push(wf.workflowId);
    return ids.sort();
  }

  const currentDetails = async (workflowId: string): Promise<string> => {
    const meta = (await rig.client.workflow.getHandle(workflowId).query('__temporal_workflow_metadata')) as {
      currentDetails?: string;
    };
    return meta.currentDetails ?? '';
  };

  test('a refused video ends Failed with its type and what to do, after its batch counted it; its upload is deleted', async () => {
    const videos = makeVideoFolder(2);
    const output = tempDir('out');
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-02' },
      action: { type: 'finish', reason: 'SAFETY' },
    });
    const batchId = uniqueId('refused');
    const summary = await rig.runBatch(batchInput(batchId, [videos], output));

    expect(summary).toMatchObject({ total: 2, succeeded: 1, failed: 1 });
    expect(summary.failures[0]).toMatchObject({ errorType: 'GeminiContentBlocked' });
    const refusedId = (await childIds(batchId)).find((id) => id.includes('lesson-02'))!;
    const refused = rig.client.workflow.getHandle(refusedId);
    expect((await refused.describe()).status.name).toBe('FAILED');
    const outcome = await videoOutcome(refused);
    expect(outcome).toMatchObject({ status: 'failed', failure: { type: 'GeminiContentBlocked' } });
    expect(outcome.failure?.message).toMatch(/SAFETY.*Leave this video out, or Reset it/s);
    // Nothing left on Gemini for the refused video: its upload was deleted too.
    const byVideo = Object.entries(rig.standin.stats().byVideo);
    expect(byVideo.find(([k]) => k.includes('lesson-02'))?.[1]).toMatchObject({ uploadsCompleted: 1, deletes: 1 });
    expect(await currentDetails(batchId)).toMatch(/\*\*Failed videos\*\*.*\n- Lesson 02: GeminiContentBlocked/s);

    // Every activity and timer says what it does, in the histories a person reads.
    const labels = (await timelineLabels(rig.client, batchId)).join('\n');
    for (const label of [
      'discover the videos of',
      'load videos 1 to 2 of 2',
      'inspect lesson-01.mp4',
      'upload lesson-01.mp4 (',
      ') with key default',
      'analyze lesson-02.mp4 with gemini-3.8-flash, key default',
      'format the comprehensive_lesson note of lesson-01.mp4',
      'write the comprehensive_lesson note of lesson-01.mp4 into',
      'delete the upload files/',
      'record failed: Lesson 02 in the batch report',
      'write the batch report of',
    ])
      expect(labels).toContain(label);
  });

  test('a failed video Reset while its batch runs is counted once, as succeeded', async () => {
    const videos = makeVideoFolder(2);
    const output = tempDir('out');
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-01' },
      action: { type: 'finish', reason: 'SAFETY' },
    });
    // lesson-02 keeps the batch running while lesson-01 fails and is Reset.
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lesson-02' },
      times: 1,
      action: { type: 'delay', ms: 20_000 },
    });
    const batchId = uniqueId('reset');
    const handle = await rig.client.workflow.start(BatchWorkflow, {
      workflowId: batchId,
      taskQueue: rig.taskQueue,
      args: [batchInput(batchId, [videos], output)],
    });
    await waitFor(async () => (await handle.query(progressQuery)).failed === 1, 60_000, 'lesson-01 to fail');
    const failedId = (await childIds(batchId)).find((id) => id.includes('lesson-01'))!;
    const failed = await rig.client.workflow.getHandle(failedId).describe();
    expect(failed.status.name).toBe('FAILED');

    rig.standin.clearFaults(); // the person removes the cause, then Resets the video from its start
    const history = await rig.client.workflow.getHandle(failedId).fetchHistory();
    const firstTask = history.events!.find((e) => e.workflowTaskCompletedEventAttributes)!;
    await rig.client.workflowService.resetWorkflowExecution({
      namespace: 'default',
      workflowExecution: { workflowId: failedId, runId: failed.runId },
      workflowTaskFinishEventId: firstTask.eventId,
      reason: 'cause removed',
      requestId: uniqueId('reset'),
    });

    const summary = (await handle.result()) as BatchSummary;
    expect(summary).toMatchObject({ total: 2, succeeded: 2, failed: 0, failures: [] });
    expect(summary.outputs).toHaveLength(2);
    expect(fs.existsSync(path.join(output, 'comprehensive_lesson', 'lesson-01.md'))).toBe(true);
  });
});
