/**
 * Upload memory benchmark (`npm run bench:upload-memory`): a real worker process uploads 8 sparse
 * 1 GiB videos at once to the local Gemini stand-in, through the product's upload path, while this script
 * samples the worker's resident memory every 200 ms. Uploads stream 8 MiB chunks from disk, so the
 * peak must stay far below the bytes in flight (target < 300 MB).
 *
 * Env: BENCH_FILES (8), BENCH_FILE_GIB (1).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { VideoOutcome } from '../src/types';
import { VideoWorkflow } from '../src/workflows';
import { startStack } from '../tests/support/stack';

const root = path.resolve(__dirname, '..');
const fileCount = Number(process.env.BENCH_FILES ?? 8);
const fileBytes = Math.round(Number(process.env.BENCH_FILE_GIB ?? 1) * 1024 ** 3);
const targetMb = 300;

/** Resident memory of a process in MB, from /proc (Linux) or ps elsewhere. */
function rssMb(pid: number): number | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Sparse files cost no disk, but must pass content sniffing: each starts with a real MP4. */
function makeSparseVideos(dir: string): string[] {
  const header = fs.readFileSync(path.join(root, 'samples', 'color-theory-intro.mp4'));
  return Array.from({ length: fileCount }, (_, i) => {
    const file = path.join(dir, `big-${i + 1}.mp4`);
    fs.writeFileSync(file, header);
    fs.truncateSync(file, fileBytes);
    return file;
  });
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(root, '.tools', 'bin', 'temporal')))
    throw new Error('Run `npm run setup` first: the Temporal CLI is missing.');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-bench-upload-'));
  // The worker runs in a process of its own, so its memory is measured alone.
  const stack = await startStack({ server: { dbFile: path.join(work, 'temporal.db') }, standin: { processingMs: 50 } });
  const { standin, client } = stack;
  const taskQueue = `bench-upload-${Date.now().toString(36)}`;
  const worker = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'worker.ts')], {
    cwd: root,
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: stack.address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      GEMINI_API_KEY: 'bench-key-0123456789',
      GEMINI_BASE_URL: standin.url,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const videos = makeSparseVideos(work);
    const output = path.join(work, 'out');
    await new Promise((r) => setTimeout(r, 5_000)); // let the worker load and start polling
    const idle = rssMb(worker.pid!) ?? 0;
    let peak = 0;
    let uploadedAtPeak = 0;
    let peakInFlight = 0;
    const totalBytes = fileCount * fileBytes;
    const sampler = setInterval(() => {
      const mb = rssMb(worker.pid!);
      if (mb === undefined) return;
      // Bytes the stand-in had received when the peak was sampled: tells hashing (0) from uploading.
      const received = standin.stats().bytesUploaded;
      if (mb > peak) [peak, uploadedAtPeak] = [mb, received];
      if (received > 0 && received < totalBytes) peakInFlight = Math.max(peakInFlight, mb);
    }, 200);
    const started = Date.now();
    const outcomes: VideoOutcome[] = await Promise.all(
      videos.map((file, i) =>
        client.workflow.execute(VideoWorkflow, {
          workflowId: `${taskQueue}/big-${i + 1}`,
          taskQueue,
          args: [
            {
              item: { key: `big-${i + 1}`, title: `Big ${i + 1}`, source: { kind: 'file', path: file } },
              options: {
                template: 'summary_report',
                templateParams: {},
                models: ['gemini-3.5-flash-lite'],
                outputDir: output,
                outputPattern: '{name}.md',
                templateDirs: [],
                force: true,
                keepUploads: false,
                failureGraceSeconds: 0,
              },
              keyAliases: ['default'],
            },
          ],
        }),
      ),
    );
    const seconds = (Date.now() - started) / 1000;
    clearInterval(sampler);
    const uploaded = standin.stats().bytesUploaded;
    const failed = outcomes.filter((o) => o.status !== 'succeeded');
    console.log(`files:          ${fileCount} × ${(fileBytes / 1024 ** 3).toFixed(2)} GiB, all at once`);
    console.log(`succeeded:      ${outcomes.length - failed.length}/${outcomes.length}`);
    for (const f of failed) console.log(`  failed ${f.key}: ${f.errorType} ${f.reason}`);
    console.log(`bytes uploaded: ${uploaded} (${(uploaded / 1024 ** 3).toFixed(2)} GiB)`);
    console.log(`duration:       ${seconds.toFixed(1)} s (${(uploaded / 1024 ** 2 / seconds).toFixed(0)} MiB/s)`);
    console.log(`worker RSS:     idle ${idle.toFixed(0)} MB, peak ${peak.toFixed(0)} MB (target < ${targetMb} MB)`);
    console.log(`while uploads were in flight: peak ${peakInFlight.toFixed(0)} MB`);
    console.log(
      `at the peak:    ${(uploadedAtPeak / 1024 ** 3).toFixed(2)} GiB of ${((fileCount * fileBytes) / 1024 ** 3).toFixed(2)} GiB uploaded`,
    );
    process.exitCode = failed.length === 0 && peak < targetMb && uploaded >= fileCount * fileBytes ? 0 : 1;
  } finally {
    worker.kill('SIGTERM');
    await new Promise((r) => worker.once('exit', r));
    await stack.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
