import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, type ApplicationFailure } from '@temporalio/common';
import { projectRoot } from '../../src/config';
import { FailureType } from '../../src/failures';
import { makeHostilePack, templateCodeRuns, type HostilePack } from '../support/hostile-pack';
import { batchInput, tempDir, uniqueId, useWorkerRig } from '../support/harness';

/**
 * Issue point 2: workers trust nothing they did not configure. Anyone who can start a workflow on
 * the task queue chooses its input; the rig's worker allows outputs only under the temp folder
 * (its "outputRoots") and no extra template folders. On the code this started from, the worker
 * wrote wherever the input said and loaded (ran) template code from any folder it named.
 */
describe('a worker refuses inputs its own settings do not allow', () => {
  const rig = useWorkerRig('sec-inputs', { processingMs: 20, latencyMs: 5 });
  let pack: HostilePack;
  beforeEach(() => {
    pack = makeHostilePack();
  });
  afterEach(() => pack.remove());

  test('an output folder outside its output roots: the batch fails with InputNotAllowed, nothing is written', async () => {
    const notAllowed = path.join(outsideTheOutputRoots(), '.lf-not-an-output-root', uniqueId('out'));
    const err = await rig
      .runBatch(batchInput(uniqueId('sec-out'), [path.join(pack.videos, pack.files.intro)], notAllowed))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const failure = (activity as ActivityFailure).cause as ApplicationFailure;
    expect(failure.type).toBe(FailureType.InputNotAllowed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`This worker does not write to ${notAllowed}`);
    expect(failure.message).toContain('"outputRoots"');
    expect(fs.existsSync(notAllowed)).toBe(false);
  });

  test('a template folder it was not given: the video fails with InputNotAllowed and the template code never runs', async () => {
    const output = tempDir('sec-out');
    const summary = await rig.runBatch(
      batchInput(
        uniqueId('sec-tpl'),
        [path.join(pack.videos, pack.files.intro)],
        output,
        {},
        { template: 'pack_notes', templateDirs: [pack.templates] },
      ),
    );
    expect(summary).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
    expect(summary.failures[0].errorType).toBe(FailureType.InputNotAllowed);
    expect(summary.failures[0].reason).toContain(`does not load templates from ${pack.templates}`);
    expect(templateCodeRuns(pack)).toEqual([]);
    expect(rig.standin.stats().totals['upload.start'] ?? 0).toBe(0);
  });
});

/**
 * A folder outside the test workers' output roots (the temp folder): the project's folder, unless
 * this clone itself lies in the temp folder (as a CI clone may), then the home folder or /var/tmp.
 */
function outsideTheOutputRoots(): string {
  const tmp = fs.realpathSync(os.tmpdir());
  const outside = (dir: string) => {
    const real = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
    return real !== tmp && !real.startsWith(tmp + path.sep);
  };
  const found = [projectRoot, os.homedir(), '/var/tmp'].find(outside);
  if (!found) throw new Error(`No folder outside ${tmp} to try a refused output folder in.`);
  return found;
}
