import fs from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import { freePort, isListening } from '../../src/temporal/port';
import type { BatchSummary } from '../../src/types';
import { makeVideoFolder, tempDir, uniqueId, waitFor, workflowsWithCompletedActivity } from '../support/harness';
import { runCommand, spawnCommand, watchOutput } from '../support/foreign-server';

/** `lesson-forge serve` as a service manager runs it: its own process, its own local server, no TEMPORAL_ADDRESS. */
describe('lesson-forge serve', () => {
  let standin: GeminiStandin;
  let connection: Connection | undefined;

  beforeAll(async () => {
    standin = await startGeminiStandin({ processingMs: 50, latencyMs: { min: 700, max: 1000 } });
  });

  afterAll(async () => {
    await connection?.close();
    await standin?.close();
  });

  test('runs a schedule, continues it after SIGKILL and a restart, and stops cleanly on SIGTERM', async () => {
    const home = tempDir('serve-home');
    const cwd = tempDir('user');
    fs.renameSync(makeVideoFolder(4), path.join(cwd, 'videos'));
    const [port, uiPort] = [await freePort(), await freePort()];
    const address = `127.0.0.1:${port}`;
    // The served worker writes only where its own config allows (README "Security"): the schedule's `-o notes`.
    fs.writeFileSync(path.join(cwd, 'service.config.json'), JSON.stringify({ outputRoots: ['./notes'] }));
    const env = {
      LESSON_FORGE_CONFIG: path.join(cwd, 'service.config.json'),
      LESSON_FORGE_HOME: home,
      TEMPORAL_TASK_QUEUE: uniqueId('serve'),
      GEMINI_API_KEY: 'serve-test-key-0123456789',
      GEMINI_BASE_URL: standin.url,
    };
    const serveArgs = [
      'serve',
      '--port',
      String(port),
      '--ui-port',
      String(uiPort),
      '--db',
      path.join(home, 'state.db'),
    ];
    const serve = spawnCommand(serveArgs, { cwd, env });
    const output = watchOutput(serve);
    await output.waitFor(/Serving: worker polling/, 240_000);
    expect(output.text()).toContain(`Temporal Web UI: http://localhost:${uiPort}/namespaces/default/workflows`);

    // Another shell of the same user: a client of the served server.
    const client = {
      cwd,
      env: { LESSON_FORGE_HOME: home, TEMPORAL_TASK_QUEUE: env.TEMPORAL_TASK_QUEUE, TEMPORAL_ADDRESS: address },
    };
    const created = await runCommand(
      ['schedule', 'create', 'nightly', 'videos', '--every', '24h', '-o', 'notes', '-c', '2'],
      client,
    );
    expect(created).toMatchObject({ code: 0 });
    expect((await runCommand(['schedule', 'trigger', 'nightly'], client)).code).toBe(0);

    connection = await Connection.connect({ address });
    const temporal = new Client({ connection, namespace: 'default' });
    let batchId = '';
    await waitFor(
      async () => {
        for await (const wf of temporal.workflow.list({ query: 'WorkflowType = "BatchWorkflow"' }))
          batchId = wf.workflowId;
        return batchId !== '' && (await workflowsWithCompletedActivity(temporal, batchId, 'analyzeVideo')).length >= 1;
      },
      240_000,
      'the scheduled batch to complete an analysis',
    );

    serve.kill('SIGKILL');
    await new Promise((r) => serve.once('exit', r));
    // Killed mid-batch: the restart has work to continue.
    expect((await temporal.workflow.getHandle(batchId).describe()).status.name).toBe('RUNNING');
    const restarted = spawnCommand(serveArgs, { cwd, env });
    const again = watchOutput(restarted);
    await again.waitFor(/Serving: worker polling/, 240_000);
    expect(again.text()).toContain('earlier serve left running');

    const summary = (await temporal.workflow.getHandle(batchId).result()) as BatchSummary;
    expect(summary).toMatchObject({ total: 4, succeeded: 4, failed: 0 });
    expect(
      fs.readdirSync(path.join(cwd, 'notes', 'comprehensive_lesson')).filter((f) => f.endsWith('.md')),
    ).toHaveLength(4);
    await temporal.schedule.getHandle('nightly').delete();
    await connection.close();
    connection = undefined;

    restarted.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => restarted.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(again.text()).toContain('Stopped.');
    expect(await isListening(address)).toBe(false);
    expect(fs.existsSync(path.join(home, 'state.db.server-pid'))).toBe(false);
  }, 600_000);
});
