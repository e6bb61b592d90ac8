/**
 * `npm run bench:overhead -- [--videos 48] [--concurrency 8] [--latency-ms 4000] [--processing-ms 2000]
 * [--poll-ms 2000] [--rounds 1] [--warmup 1]`: what the durable batch costs per video over a bare script making
 * the same Gemini calls. Both run against one Gemini stand-in (analysis takes --latency-ms, a file
 * stays PROCESSING for --processing-ms) and poll files at the same interval (--poll-ms, the
 * worker's default): first a script with a pool of --concurrency (upload, wait for ACTIVE,
 * generateContent with the template's schema through the real SDK, write the answer, delete the
 * upload), then BatchWorkflow on a local Temporal dev server with a real worker. Prints both wall
 * times, the overhead per video, their ratio, and where the batch's time went (read from the
 * workflow histories' event times). A first untimed round of --warmup videos warms both sides
 * (the worker's first workflow and template cache, the SDK's first connection): one-time costs of a
 * fresh process, not per-video overhead. BENCH_WORKER_OPTIONS (JSON) passes worker options to try, e.g.
 * '{"nonStickyToStickyPollRatio":1}'. The machine's load average is printed: the ratio is what
 * compares, the times follow the load.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GoogleGenAI } from '@google/genai';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { BatchInput, BatchSummary } from '../src/types';
import { BatchWorkflow } from '../src/workflows';
import { resumableUpload } from '../src/gemini/resumable-upload';
import { TemplateRegistry, renderPrompt, resolveParams } from '../src/templates';
import { processingOptions } from '../tests/support/processing-options';
import { linkSampleVideos, startLocalStack, type LocalStack } from './support/local-stack';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`--${name} wants a whole number, 0 or more`);
  return value;
}

const videos = argValue('videos', 48);
const concurrency = argValue('concurrency', 8);
const latencyMs = argValue('latency-ms', 4000);
const processingMs = argValue('processing-ms', 2000);
const pollMs = argValue('poll-ms', 2000);
const rounds = Math.max(1, argValue('rounds', 1));
const warmup = argValue('warmup', 1);
const template = 'summary_report';
const model = 'gemini-3.5-flash-lite';
const apiKey = 'bench-key-0123456789';

const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ') + ` on ${os.cpus().length} cores`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Runs `work` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

/** The yardstick: the same calls with no durability, one stage timer per video. */
async function bareScript(baseUrl: string, files: string[], outDir: string): Promise<{ ms: number; stages: Stages }> {
  const ai = new GoogleGenAI({ apiKey, apiVersion: 'v1beta', httpOptions: { baseUrl } });
  const loaded = TemplateRegistry.load([]).get(template);
  const params = resolveParams(loaded, {});
  fs.mkdirSync(outDir, { recursive: true });
  const stages: Stages = {};
  const time = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await fn();
    } finally {
      (stages[stage] ??= []).push(Date.now() - t);
    }
  };
  const started = Date.now();
  await pool(files, concurrency, async (file) => {
    const name = path.basename(file, '.mp4');
    const { prompt, systemInstruction } = renderPrompt(loaded, {
      video: { title: name, source: file, sourceKind: 'file' },
      params,
    });
    let remote = await time('upload', () =>
      resumableUpload({ baseUrl, apiKey, path: file, displayName: name, mimeType: 'video/mp4' }),
    );
    await time('wait for ACTIVE', async () => {
      while (remote.state !== 'ACTIVE') {
        if (remote.state === 'FAILED') throw new Error(`${name}: processing failed`);
        await sleep(pollMs);
        remote = (await ai.files.get({ name: remote.name as string })) as typeof remote;
      }
    });
    const response = await time('generate', () =>
      ai.models.generateContent({
        model,
        contents: [
          { role: 'user', parts: [{ fileData: { fileUri: remote.uri, mimeType: 'video/mp4' } }, { text: prompt }] },
        ],
        config: {
          systemInstruction,
          responseMimeType: 'application/json',
          responseJsonSchema: loaded.responseJsonSchema,
        },
      }),
    );
    await time('write', () => fs.promises.writeFile(path.join(outDir, `${name}.json`), response.text ?? ''));
    await time('delete', () => ai.files.delete({ name: remote.name as string }));
  });
  return { ms: Date.now() - started, stages };
}

type Stages = Record<string, number[]>;

const eventMs = (e: HistoryEvent): number => {
  const t = e.eventTime;
  return t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0;
};

async function allEvents(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

/**
 * Where a batch's time went, from the histories: per activity type its queue wait (scheduled →
 * started) and its run (started → closed); workflow tasks (scheduled → completed); per video the
 * wait between the batch asking for the child and the child starting; and the slots' idle time.
 */
async function batchBreakdown(client: Client, batchId: string, wallMs: number) {
  const queue: Stages = {};
  const run: Stages = {};
  const childStartWait: number[] = [];
  const childWall: number[] = [];
  const workflowTasks: number[] = [];
  const workflowTaskQueue: number[] = [];
  /** A video's first workflow task goes through the task queue's normal (not sticky) pollers. */
  const firstTaskQueue: number[] = [];
  let localActivities = 0;
  let runId: string | undefined;
  const children: Array<{ workflowId: string; runId: string; initiatedMs: number }> = [];
  const initiated = new Map<string, number>();
  const startTimes: number[] = [];
  const finishedSignals: number[] = [];
  const batchTasks: Array<{ queueMs: number; runMs: number }> = [];
  let batchFirstMs = 0;
  let batchLastMs = 0;
  /** The batch's first steps until its first child start, in ms from its start: what delays the first videos. */
  const startup: string[] = [];
  for (;;) {
    const events = await allEvents(client, batchId, runId);
    if (!batchFirstMs) {
      batchFirstMs = eventMs(events[0]);
      for (const e of events) {
        const what =
          e.activityTaskScheduledEventAttributes?.activityType?.name ??
          temporal.api.enums.v1.EventType[e.eventType ?? 0] ??
          '?';
        startup.push(`${eventMs(e) - batchFirstMs} ${what.replace(/^EVENT_TYPE_/, '').toLowerCase()}`);
        if (e.startChildWorkflowExecutionInitiatedEventAttributes) break;
      }
    }
    batchLastMs = eventMs(events.at(-1)!);
    const batchById = new Map<number, HistoryEvent>();
    for (const e of events) batchById.set(Number(e.eventId), e);
    for (const e of events) {
      const wft = e.workflowTaskCompletedEventAttributes;
      if (wft) {
        const scheduled = eventMs(batchById.get(Number(wft.scheduledEventId))!);
        const startedAt = eventMs(batchById.get(Number(wft.startedEventId))!);
        batchTasks.push({ queueMs: startedAt - scheduled, runMs: eventMs(e) - startedAt });
      }
      if (e.workflowExecutionSignaledEventAttributes?.signalName === 'videoFinished') finishedSignals.push(eventMs(e));
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) startTimes.push(eventMs(e));
      const init = e.startChildWorkflowExecutionInitiatedEventAttributes;
      if (init?.workflowId) initiated.set(init.workflowId, eventMs(e));
      const started = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution;
      if (started?.workflowId && started.runId)
        children.push({
          workflowId: started.workflowId,
          runId: started.runId,
          initiatedMs: initiated.get(started.workflowId) ?? 0,
        });
    }
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
    if (!runId) break;
  }
  /** A video's life in milestones, each phase timed from the one before (see `lane` below). */
  const phases: Stages = {};
  for (const child of children) {
    const events = await allEvents(client, child.workflowId, child.runId);
    const first = eventMs(events[0]);
    const at = (test: (e: HistoryEvent) => boolean) => {
      const e = events.find(test);
      return e ? eventMs(e) : undefined;
    };
    const scheduledOf = (name: string) =>
      events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === name)?.eventId;
    const closedAt = (name: string) => {
      const id = Number(scheduledOf(name));
      return at((e) => Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
    };
    const milestones: Array<[string, number | undefined]> = [
      ['batch asks for the video → video workflow started', child.initiatedMs || undefined],
      ['started → upload scheduled (inspect, workflow task)', first],
      ['upload (and wait for ACTIVE)', at((e) => Number(e.eventId) === Number(scheduledOf('uploadVideo')))],
      ['upload done → analysis scheduled (workflow task)', closedAt('uploadVideo')],
      ['analysis', at((e) => Number(e.eventId) === Number(scheduledOf('analyzeVideo')))],
      ['analysis done → batch signalled (format, write, clean-up)', closedAt('analyzeVideo')],
      ['signal sent → delivered to the batch', at((e) => !!e.signalExternalWorkflowExecutionInitiatedEventAttributes)],
      ['end', at((e) => !!e.externalWorkflowExecutionSignaledEventAttributes)],
    ];
    for (let i = 0; i + 1 < milestones.length; i++) {
      const [name, from] = milestones[i];
      const to = milestones[i + 1][1];
      if (from !== undefined && to !== undefined) (phases[name] ??= []).push(to - from);
    }
    childWall.push(eventMs(events.at(-1)!) - first);
    if (child.initiatedMs) childStartWait.push(first - child.initiatedMs);
    const byId = new Map<number, HistoryEvent>();
    for (const e of events) byId.set(Number(e.eventId), e);
    for (const e of events) {
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const scheduled = byId.get(Number(started.scheduledEventId))!;
        const type = scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        (queue[type] ??= []).push(eventMs(e) - eventMs(scheduled));
      }
      const closed =
        e.activityTaskCompletedEventAttributes ??
        e.activityTaskFailedEventAttributes ??
        e.activityTaskTimedOutEventAttributes;
      if (closed) {
        const scheduled = byId.get(Number(closed.scheduledEventId))!;
        const startedEvent = byId.get(Number(closed.startedEventId))!;
        const type = scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
        (run[type] ??= []).push(eventMs(e) - eventMs(startedEvent));
      }
      // A local activity runs inside a workflow task: its time is in that task's.
      if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') localActivities++;
      const wft = e.workflowTaskCompletedEventAttributes;
      if (wft) {
        const scheduled = byId.get(Number(wft.scheduledEventId))!;
        const startedEvent = byId.get(Number(wft.startedEventId))!;
        workflowTasks.push(eventMs(e) - eventMs(scheduled));
        workflowTaskQueue.push(eventMs(startedEvent) - eventMs(scheduled));
        if (Number(wft.scheduledEventId) === 2) firstTaskQueue.push(eventMs(startedEvent) - eventMs(scheduled));
      }
    }
  }
  const perVideo = (xs: number[] = []) => Math.round(sum(xs) / Math.max(1, children.length));
  const rows: Record<string, { queueMs: number; runMs: number }> = {};
  for (const type of Object.keys(run)) rows[type] = { queueMs: perVideo(queue[type]), runMs: perVideo(run[type]) };
  const activityMs = sum(Object.values(run).flat()) + sum(Object.values(queue).flat());
  startTimes.sort((a, b) => a - b);
  finishedSignals.sort((a, b) => a - b);
  // The slot freed by the i-th report is taken by start number concurrency + i.
  const refill = finishedSignals
    .map((signalled, i) => (startTimes[concurrency + i] ?? NaN) - signalled)
    .filter((ms) => Number.isFinite(ms));
  const lane: Record<string, number> = {};
  for (const [name, xs] of Object.entries(phases)) lane[name] = Math.round(sum(xs) / xs.length);
  lane['batch signalled → next video asked for (batch workflow task)'] = Math.round(sum(refill) / refill.length);
  return {
    videosSeen: children.length,
    // One slot's cycle, in order: the phases add up to a slot's time per video.
    lane,
    laneMsPerVideo: sum(Object.values(lane)),
    batchWorkflowTasks: {
      count: batchTasks.length,
      queueMs: Math.round(sum(batchTasks.map((t) => t.queueMs)) / Math.max(1, batchTasks.length)),
      runMs: Math.round(sum(batchTasks.map((t) => t.runMs)) / Math.max(1, batchTasks.length)),
    },
    batchStartToFirstVideoMs: (startTimes[0] ?? 0) - batchFirstMs,
    batchStartup: startup.join(', '),
    lastReportToBatchEndMs: batchLastMs - (finishedSignals.at(-1) ?? 0),
    videoWorkflowMsPerVideo: perVideo(childWall),
    activitiesMsPerVideo: rows,
    localActivitiesPerVideo: Number((localActivities / Math.max(1, children.length)).toFixed(1)),
    workflowTasksPerVideo: Number((workflowTasks.length / Math.max(1, children.length)).toFixed(1)),
    workflowTaskMsPerVideo: perVideo(workflowTasks),
    workflowTaskQueueMsPerVideo: perVideo(workflowTaskQueue),
    firstWorkflowTaskQueueMs: perVideo(firstTaskQueue),
    // What is left of a video workflow's life once activities and workflow tasks are counted.
    otherMsPerVideo:
      perVideo(childWall) - perVideo(workflowTasks) - Math.round(activityMs / Math.max(1, children.length)),
    childStartWaitMsPerVideo: perVideo(childStartWait),
    // A slot with no video workflow in it: discovery, the batch's own tasks, refilling a slot.
    idleSlotMsPerVideo: Math.round((concurrency * wallMs - sum(childWall)) / Math.max(1, children.length)),
  };
}

/** The bare script, then the batch, over `count` fresh copies of the sample video. */
async function runRound(
  stack: LocalStack,
  name: string,
  count: number,
): Promise<{ bare: { ms: number; stages: Stages }; batchMs: number; batchId: string }> {
  const { client, standin, taskQueue, dir: root } = stack;
  const slug = name.replace(/\W+/g, '-');
  const roundDir = path.join(root, slug);
  fs.mkdirSync(roundDir);
  const videoDir = linkSampleVideos(roundDir, count, `${slug}-`);
  const files = fs.readdirSync(videoDir).map((f) => path.join(videoDir, f));

  const bare = await bareScript(standin.url, files, path.join(roundDir, 'bare'));
  console.log(`${name}: bare script ${(bare.ms / 1000).toFixed(1)} s`);

  const batchId = `overhead-${slug}-${Date.now().toString(36)}`;
  const input: BatchInput = {
    batchId,
    label: `overhead ${name}`,
    sources: { inputs: [videoDir], listFiles: [], recursive: false, include: [], exclude: [] },
    options: processingOptions(path.join(roundDir, 'batch'), { template, models: [model] }),
    concurrency,
    keyAliases: ['default'],
  };
  const started = Date.now();
  const summary = (await client.workflow.execute(BatchWorkflow, {
    workflowId: batchId,
    taskQueue,
    args: [input],
  })) as BatchSummary;
  const batchMs = Date.now() - started;
  console.log(`${name}: batch ${(batchMs / 1000).toFixed(1)} s (${summary.succeeded} succeeded)`);
  if (summary.succeeded !== count)
    throw new Error(`batch: ${summary.failed} failed: ${summary.failures.map((f) => f.reason).join('; ')}`);
  return { bare, batchMs, batchId };
}

async function main(): Promise<void> {
  const stack = await startLocalStack({
    name: 'overhead',
    taskQueue: 'bench-overhead',
    standin: { processingMs, latencyMs: { generate: latencyMs }, logLimit: 100 },
    keys: [{ alias: 'default', envVar: 'GEMINI_API_KEY', value: apiKey, limits: {} }],
    filePollMs: pollMs,
    workerOptions: process.env.BENCH_WORKER_OPTIONS ? JSON.parse(process.env.BENCH_WORKER_OPTIONS) : undefined,
  });
  const { client } = stack;
  const results: Array<Record<string, unknown>> = [];
  try {
    console.log(
      `${videos} videos, concurrency ${concurrency}, analysis ${latencyMs} ms, processing ${processingMs} ms, poll ${pollMs} ms, ${rounds} round(s); load average ${loadAverage()}`,
    );
    // One-time costs of a fresh process (the worker's first workflow, its template cache, the
    // SDK's first connection) are not per-video overhead: one small untimed round warms both sides.
    if (warmup > 0) {
      const warm = await runRound(stack, 'warm-up', warmup);
      console.log(
        `warm-up (${warmup} video(s), not counted): bare script ${(warm.bare.ms / 1000).toFixed(1)} s, batch ${(warm.batchMs / 1000).toFixed(1)} s`,
      );
    }
    for (let round = 1; round <= rounds; round++) {
      const { bare, batchMs, batchId } = await runRound(stack, `round ${round}`, videos);
      const perVideoBare = bare.ms / videos;
      results.push({
        round,
        loadAverage: loadAverage(),
        bareSeconds: Number((bare.ms / 1000).toFixed(1)),
        batchSeconds: Number((batchMs / 1000).toFixed(1)),
        ratio: Number((batchMs / bare.ms).toFixed(3)),
        // Wall-clock overhead divided over the videos, and per video inside one of the `concurrency` lanes.
        overheadMsPerVideo: Math.round((batchMs - bare.ms) / videos),
        overheadMsPerVideoInLane: Math.round(((batchMs - bare.ms) * concurrency) / videos),
        bareMsPerVideoInLane: Math.round(perVideoBare * concurrency),
        bareStagesMsPerVideo: Object.fromEntries(
          Object.entries(bare.stages).map(([stage, xs]) => [stage, Math.round(sum(xs) / xs.length)]),
        ),
        batch: await batchBreakdown(client, batchId, batchMs),
      });
      console.log(JSON.stringify(results.at(-1), null, 2));
    }
    if (rounds > 1) {
      const ratios = results.map((r) => r.ratio as number);
      console.log(`ratios: ${ratios.join(', ')}; mean ${(sum(ratios) / ratios.length).toFixed(3)}`);
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
