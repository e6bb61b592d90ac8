import fs from 'node:fs';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import { parse as parseYaml } from 'yaml';
import { startGeminiStandin, type GeminiStandin } from '../../standin';
import type { VideoOutcome } from '../../src/types';
import { VideoWorkflow } from '../../src/workflows';
import {
  connectTestClient,
  processingOptions,
  projectRoot,
  samplesDir,
  startTestWorker,
  tempDir,
  uniqueId,
  type RunningWorker,
} from '../support/harness';

/**
 * A video too long for the model's context even at low resolution goes in clips (videoMetadata
 * offsets) whose answers are merged. A catalog entry with a tiny context window makes a 12 s
 * sample "too long", so the real path runs in seconds.
 */
describe('a video longer than the context allows', () => {
  const taskQueue = uniqueId('long');
  const model = 'tiny-context-test-model';
  let standin: GeminiStandin;
  let worker: RunningWorker;
  let client: Client;
  let connection: Connection;
  let previousCatalog: string | undefined;

  beforeAll(async () => {
    const catalog = JSON.parse(fs.readFileSync(path.join(projectRoot, 'catalog', 'models.json'), 'utf8')) as {
      models: Array<Record<string, unknown>>;
    };
    // A model whose guide makes low resolution cheaper (on Gemini 3 models it is not, so clips stay at default).
    const base = catalog.models.find((m) => m.id === 'gemini-2.5-flash-lite') as Record<string, unknown>;
    // Room for video = 0.9 × 23000 − 16384 output − 4000 prompt = 316 tokens: 3 s at low resolution (98 tokens/s).
    catalog.models.push({ ...base, id: model, displayName: 'Tiny context (test)', contextWindowTokens: 23000 });
    const file = path.join(tempDir('catalog'), 'models.json');
    fs.writeFileSync(file, JSON.stringify(catalog));
    previousCatalog = process.env.LESSON_FORGE_MODELS;
    process.env.LESSON_FORGE_MODELS = file;
    standin = await startGeminiStandin({ processingMs: 20, models: [model, 'gemini-3.8-flash'] });
    worker = await startTestWorker(taskQueue, standin.url);
    ({ client, connection } = await connectTestClient());
  });
  afterAll(async () => {
    await worker?.shutdown();
    await connection?.close();
    await standin?.close();
    if (previousCatalog === undefined) delete process.env.LESSON_FORGE_MODELS;
    else process.env.LESSON_FORGE_MODELS = previousCatalog;
  });

  test('in economy mode, its clips go as requests of one Batch API job, merged the same way', async () => {
    const output = tempDir('out');
    const video = path.join(samplesDir, 'color-theory-intro.mp4'); // 12 s
    standin.setVideoDuration('color-theory-economy', 12);
    standin.batches.configure({ pendingMs: 50, runningMs: 50 });
    const workflowId = uniqueId('long-video-economy');
    const outcome: VideoOutcome = await client.workflow.execute(VideoWorkflow, {
      workflowId,
      taskQueue,
      args: [
        {
          item: { key: 'color-theory-economy', title: 'Color theory intro', source: { kind: 'file', path: video } },
          options: processingOptions(output, {
            template: 'summary_report',
            models: [model],
            economy: true,
            economyTuning: { gatherSeconds: 1, firstPollSeconds: 1 },
          }),
          keyAliases: ['default'],
        },
      ],
    });
    expect(outcome).toMatchObject({ status: 'succeeded', model });
    const jobs = (await standin.batches.jobs()).filter((j) => j.displayName?.includes(workflowId));
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.requestCount).toBeGreaterThanOrEqual(4); // one request per clip
    const text = fs.readFileSync(outcome.outputPath as string, 'utf8');
    const fm = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '') as Record<string, unknown>;
    expect(fm).toMatchObject({ media_resolution: 'low', analysed_in: 'clips', model });
  });

  test('is analysed at low resolution in clips, merged into one document that says so', async () => {
    const output = tempDir('out');
    const video = path.join(samplesDir, 'color-theory-intro.mp4'); // 12 s
    standin.setVideoDuration('color-theory-long', 12); // as Gemini would read it from the file
    const outcome: VideoOutcome = await client.workflow.execute(VideoWorkflow, {
      workflowId: uniqueId('long-video'),
      taskQueue,
      args: [
        {
          item: { key: 'color-theory-long', title: 'Color theory intro', source: { kind: 'file', path: video } },
          options: processingOptions(output, { template: 'summary_report', models: [model] }),
          keyAliases: ['default'],
        },
      ],
    });
    expect(outcome.reason).toBeUndefined();
    expect(outcome).toMatchObject({ status: 'succeeded', model });
    const calls = standin.stats().log.filter((e) => e.route === 'generate' && e.status === 200);
    expect(calls.length).toBeGreaterThanOrEqual(4); // 12 s in clips of about 3 s
    const text = fs.readFileSync(outcome.outputPath as string, 'utf8');
    const fm = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(text)?.[1] ?? '') as Record<string, unknown>;
    expect(fm).toMatchObject({ media_resolution: 'low', analysed_in: 'clips', model });
    expect((fm.tokens as { total: number }).total).toBe(outcome.usage.totalTokens);
  });
});
