import fs from 'node:fs';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { Worker } from '@temporalio/worker';
import { quietRuntime, workflowBundle } from '../support/harness';

/**
 * Histories recorded from real batches with earlier versions of the workflow code (see
 * tests/fixtures/histories/record.ts) must replay against today's code: a batch or a video in
 * flight during an upgrade is picked up by the new workers from exactly such a history.
 */
const fixturesDir = path.resolve(__dirname, '..', 'fixtures', 'histories');

/**
 * The CLI's JSON history read with the protobuf library of @temporalio/proto itself. The SDK's own
 * historyFromJSON loads a second copy of protobufjs in this install, whose `fromJson` refuses the
 * first copy's types ("type must be a Type").
 */
function historyFromCliJson(text: string): proto.temporal.api.history.v1.History {
  const protojsonPath = require.resolve('protobufjs/ext/protojson', { paths: [require.resolve('@temporalio/proto')] });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { fromJson } = require(protojsonPath) as {
    fromJson: (type: unknown, json: unknown, options: object) => proto.temporal.api.history.v1.History;
  };
  const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType(
    'temporal.api.history.v1.History',
  );
  return fromJson(historyType, JSON.parse(text), { ignoreUnknownFields: true });
}

function fixtures(): Array<{ workflowId: string; file: string }> {
  return fs
    .readdirSync(fixturesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      fs
        .readdirSync(path.join(fixturesDir, d.name))
        .filter((f) => f.endsWith('.json'))
        .map((f) => ({ workflowId: `${d.name}/${f.replace(/\.json$/, '')}`, file: path.join(fixturesDir, d.name, f) })),
    );
}

describe('recorded histories replay against the current workflow code', () => {
  test('every fixture replays without a determinism error', async () => {
    quietRuntime();
    const all = fixtures();
    expect(all.length).toBeGreaterThanOrEqual(15);
    const histories = all.map(({ workflowId, file }) => ({
      workflowId,
      history: historyFromCliJson(fs.readFileSync(file, 'utf8')),
    }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(all.length);
  });
});
