import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevServer } from '../../src/temporal/dev-server';
import { freePort } from '../../src/temporal/port';

/**
 * One real Temporal dev server for the integration tests, from the CLI the project installs
 * (installed here if missing, so `npx jest` works on a fresh clone too).
 */
export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  if (!fs.existsSync(path.join(root, '.tools', 'bin', 'temporal'))) {
    execFileSync('bash', [path.join(root, 'scripts', 'install-temporal.sh')], { stdio: 'inherit' });
  }
  findBrowser(root);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-temporal-'));
  const server = await startOnAFreePort(path.join(dir, 'test.db'));
  process.env.TEMPORAL_TEST_ADDRESS = server.address;
  (globalThis as Record<string, unknown>).__lessonForgeDevServer = { server, dir };
}

/** A port found free can be taken by another process before the server binds it: try another. */
async function startOnAFreePort(dbFile: string, attempts = 3): ReturnType<typeof startDevServer> {
  for (let i = 1; ; i++) {
    try {
      return await startDevServer({ port: await freePort(), headless: true, dbFile });
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}

/**
 * The Web UI test drives a real Chromium: one on PATH, else Debian's, installed here (as root)
 * by scripts/install-browser.sh. When none can be had, that test fails saying what to install.
 */
function findBrowser(root: string): void {
  try {
    const found = execFileSync('bash', [path.join(root, 'scripts', 'install-browser.sh')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    process.env.LESSON_FORGE_CHROMIUM = found.toString().trim();
  } catch {
    process.env.LESSON_FORGE_CHROMIUM_MISSING =
      'No Chromium for the Web UI test: run scripts/install-browser.sh (it says what to install).';
  }
}
