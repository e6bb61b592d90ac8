/**
 * `npm run demo`: the whole product without a Gemini key. Starts the project's Gemini stand-in,
 * makes a folder of sample lesson videos, and runs a real batch on a local Temporal server with
 * the real Gemini SDK (pointed at the stand-in). Leaves the Web UI up until Ctrl-C.
 */
import fs from 'node:fs';
import path from 'node:path';
import { startGeminiStandin } from '../standin';
import { userDataDir } from '../src/config';
import { startDevServer } from '../src/temporal/dev-server';
import { isListening } from '../src/temporal/port';
import { main } from '../src/cli';

const samples = path.resolve(__dirname, '..', 'samples');
const lessons = [
  ['color-theory-intro.mp4', 'Colour theory - warm and cool palettes.mp4'],
  ['stage-lighting-basics.mp4', 'Stage lighting basics.mp4'],
  ['perspective-drawing.webm', 'Two-point perspective drawing.webm'],
  ['color-theory-intro.mp4', 'Mixing secondary colours.mp4'],
  ['stage-lighting-basics.mp4', 'Blocking a scene for camera.mp4'],
  ['perspective-drawing.webm', 'Sketching hands in motion.webm'],
];

async function run(): Promise<number> {
  const home = path.join(userDataDir(), 'demo');
  const videos = path.join(home, 'videos');
  fs.mkdirSync(videos, { recursive: true });
  for (const [from, to] of lessons) fs.copyFileSync(path.join(samples, from), path.join(videos, to));
  fs.writeFileSync(path.join(videos, 'reading-list.txt'), 'Not a video: the batch lists it as skipped.\n');
  const output = path.resolve(process.env.DEMO_OUTPUT ?? 'demo-output');

  const standin = await startGeminiStandin({ processingMs: 400, latencyMs: { min: 800, max: 2500 } });
  process.env.GEMINI_BASE_URL = standin.url;
  process.env.GEMINI_API_KEY ??= 'demo-key-not-a-real-key';
  delete process.env.TEMPORAL_ADDRESS;
  console.error(`Gemini stand-in at ${standin.url} (no real Gemini calls, no cost).`);

  // Own the local server here so its Web UI stays up after the batch.
  let server: Awaited<ReturnType<typeof startDevServer>> | undefined;
  if (!(await isListening('localhost:7233'))) {
    server = await startDevServer({
      port: 7233,
      uiPort: 8233,
      dbFile: path.join(userDataDir(), 'temporal', 'dev-server.db'),
    });
  }
  const code = await main([
    process.argv[0],
    'lesson-forge',
    'start-batch',
    videos,
    '--output',
    output,
    '--force',
    ...process.argv.slice(2),
  ]);
  console.error(`\nLesson plans: ${output}`);
  console.error('Web UI: http://localhost:8233 (every batch and video, their steps, inputs and results).');
  if (process.stdin.isTTY && !process.env.CI) {
    console.error('Press Ctrl-C to stop the demo servers.');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  await server?.stop();
  await standin.close();
  return code;
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
