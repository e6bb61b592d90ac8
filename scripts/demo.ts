/**
 * `npm run demo`: the whole product without a Gemini key. Starts the project's Gemini stand-in,
 * makes a folder of sample lesson videos, and runs a real batch on a local Temporal server with
 * the real Gemini SDK (pointed at the stand-in). Leaves the Web UI up until Ctrl-C.
 */
import fs from 'node:fs';
import path from 'node:path';
import { userDataDir } from '../src/config';
import { main } from '../src/cli';
import { startStack } from '../tests/support/stack';

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

  // Own the local server here (unless one runs already) so its Web UI stays up after the batch.
  // No worker here: start-batch runs one in this process, as it does for a person.
  const stack = await startStack({
    server: {
      port: 7233,
      uiPort: 8233,
      headless: false,
      dbFile: path.join(userDataDir(), 'temporal', 'dev-server.db'),
    },
    standin: { processingMs: 400, latencyMs: { min: 800, max: 2500 } },
  });
  process.env.GEMINI_BASE_URL = stack.standin.url;
  process.env.GEMINI_API_KEY ??= 'demo-key-not-a-real-key';
  delete process.env.TEMPORAL_ADDRESS;
  console.error(`Gemini stand-in at ${stack.standin.url} (no real Gemini calls, no cost).`);
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
  await stack.stop();
  return code;
}

run().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
