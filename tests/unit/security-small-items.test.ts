import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../../src/cli/exit-codes';
import { childEnvironment, projectRoot, resolveApiKeys } from '../../src/config';
import { freePort } from '../../src/temporal/port';
import { useHostilePack } from '../support/hostile-pack';
import { runCli } from '../support/run-cli';

/**
 * Issue point 8, the smaller items, on a hostile course pack. Each test says what it proves; each
 * failed on the code this started from.
 */

const pack = useHostilePack();

interface Plan {
  videos: Array<{ title: string; source: string }>;
  skipped: Array<{ entry: string; reason: string }>;
}

const plan = async (...args: string[]): Promise<Plan> => {
  const { code, stdout, stderr } = await runCli('start-batch', ...args, '--dry-run', '--json');
  expect({ code, stderr }).toMatchObject({ code: ExitCode.ok });
  return JSON.parse(stdout) as Plan;
};

test('control characters in a file name never reach the terminal (its title is printable)', async () => {
  const { code, stdout, stderr } = await runCli('start-batch', pack().videos, '--dry-run');
  expect(code).toBe(ExitCode.ok);
  // eslint-disable-next-line no-control-regex
  const controls = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
  expect(stdout).not.toMatch(controls);
  expect(stderr).not.toMatch(controls);
  expect(stdout).toMatch(/Evil \]0;owned \[2Jname/);
});

test('a file linked twice into a folder (a hard link) is one video', async () => {
  const { videos } = await plan(pack().videos);
  const names = videos.map((v) => path.basename(v.source));
  expect(names.filter((n) => n === pack().files.intro || n === pack().files.hardLink)).toHaveLength(1);
});

test('--no-follow-symlinks keeps the scan inside its folder: a link to a video outside is skipped, with the reason', async () => {
  expect((await plan(pack().videos)).videos.map((v) => path.basename(v.source))).toContain(pack().files.linkOut);
  const { videos, skipped } = await plan(pack().videos, '--no-follow-symlinks');
  expect(videos.map((v) => path.basename(v.source))).not.toContain(pack().files.linkOut);
  expect(videos.every((v) => v.source.startsWith(pack().videos))).toBe(true);
  expect(skipped).toContainEqual({
    entry: path.join(pack().videos, pack().files.linkOut),
    reason: 'symbolic link, not followed (--no-follow-symlinks)',
  });
});

test('file:///… on the command line is read as the path it names', async () => {
  const file = path.join(pack().videos, pack().files.introAgain);
  const { videos } = await plan(`file://${file.split('/').map(encodeURIComponent).join('/')}`);
  expect(videos.map((v) => v.source)).toEqual([file]);
});

describe('child processes get an environment without the Gemini keys', () => {
  const keys = {
    GEMINI_API_KEY: 'AIza-default-key-value',
    GOOGLE_API_KEY: 'AIza-google-key-value',
    LAB_KEY_A: 'AIza-lab-a-key-value',
  };
  let dump: string;
  let fake: string;
  beforeEach(() => {
    dump = path.join(path.dirname(pack().root), 'child-env.txt');
    fake = path.join(path.dirname(pack().root), 'fake-child.sh');
    // Stands for ffprobe or the temporal CLI: records its environment, then fails.
    fs.writeFileSync(fake, `#!/bin/sh\nenv > ${JSON.stringify(dump)}\nexit 1\n`, { mode: 0o755 });
  });

  /**
   * Runs `code` in a fresh Node process whose environment holds the keys (jest's own process.env is
   * a sandboxed copy that children never see, so the real thing is tested in a process of its own),
   * after a config naming LAB_KEY_A as a key variable was read.
   */
  const inChild = (code: string, env: Record<string, string>) =>
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `require(${JSON.stringify(path.join(projectRoot, 'src', 'config'))}).resolveApiKeys({ keys: [{ name: 'lab-a', env: 'LAB_KEY_A' }] });
${code}`,
      ],
      { env: { ...process.env, ...keys, ...env }, cwd: projectRoot, stdio: 'pipe', timeout: 60_000 },
    );

  const expectNoKeys = () => {
    const seen = fs.readFileSync(dump, 'utf8');
    expect(seen).toContain('PATH=');
    for (const value of Object.values(keys)) expect(seen).not.toContain(value);
  };

  test('ffprobe', () => {
    const video = path.join(pack().videos, pack().files.intro);
    inChild(
      `require(${JSON.stringify(path.join(projectRoot, 'src', 'media', 'probe'))}).probeDuration(${JSON.stringify(video)});`,
      { FFPROBE_PATH: fake },
    );
    expectNoKeys();
  });

  test('the Temporal dev server', async () => {
    const port = await freePort();
    // It fails at once; a short start timeout ends its readiness polling soon after.
    inChild(
      `require(${JSON.stringify(path.join(projectRoot, 'src', 'temporal', 'dev-server'))}).startDevServer({ port: ${port}, headless: true, startTimeoutMs: 500 }).catch(() => undefined);`,
      { TEMPORAL_CLI: fake },
    );
    expectNoKeys();
  });

  test('childEnvironment() drops every key variable and keeps the rest', () => {
    Object.assign(process.env, keys);
    resolveApiKeys({ keys: [{ name: 'lab-a', env: 'LAB_KEY_A' }] });
    const env = childEnvironment();
    for (const name of Object.keys(keys)) expect(env[name]).toBeUndefined();
    expect(env.PATH).toBe(process.env.PATH);
    expect(process.env.GEMINI_API_KEY).toBe(keys.GEMINI_API_KEY); // this process keeps its own
  });
});

describe('schedule create validates before connecting to (or starting) Temporal', () => {
  beforeEach(async () => {
    // Nothing listens here: a connection attempt would fail with another error (or hang).
    process.env.TEMPORAL_ADDRESS = `127.0.0.1:${await freePort()}`;
  });

  test.each([
    [['bad name!', '--cron', '0 2 * * *'], 'A schedule name may use letters, digits'],
    [['nightly', '--cron', 'every night'], '--cron must be a cron expression of 5 fields'],
    [['nightly', '--every', 'often'], '--every'],
    [['nightly', '--cron', '0 2 * * *', '--timezone', 'Mars/Olympus'], '--timezone must be an IANA time zone'],
  ])('schedule create %j: exit 2 with "%s"', async (args, message) => {
    const [name, ...rest] = args;
    const { code, stderr } = await runCli('schedule', 'create', name, pack().videos, ...rest);
    expect(stderr).toContain(message);
    expect(stderr).not.toMatch(/connect|reach/i);
    expect(code).toBe(ExitCode.usage);
  });
});
