import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitCode } from '../../src/cli/exit-codes';
import { runCli } from '../support/run-cli';
import { makeHostilePack, templateCodeRuns, type HostilePack } from '../support/hostile-pack';

/**
 * Issue point 1: no code runs from a folder unless the person chose it. Run from inside a course
 * pack someone else made, the CLI reads none of its config (no templates, output folder or webhook
 * of its choosing) and runs none of its template code; opting in with --config reads the config,
 * and even then listing and dry runs read manifests only. On the code this started from, the
 * pack's config was read on its own and its schema.js ran for `templates list` and `--dry-run`,
 * with GEMINI_API_KEY in reach.
 */

let pack: HostilePack;
let home: string;
const savedEnv = { ...process.env };
const savedCwd = process.cwd();

beforeEach(() => {
  pack = makeHostilePack();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-home-'));
  process.env = { ...savedEnv, NO_COLOR: '1', LESSON_FORGE_HOME: home, GEMINI_API_KEY: 'AIza-test-key-in-reach' };
  delete process.env.LESSON_FORGE_CONFIG;
  process.chdir(pack.root);
});
afterEach(() => {
  process.chdir(savedCwd);
  process.env = { ...savedEnv };
  pack.remove();
  fs.rmSync(home, { recursive: true, force: true });
});

interface ListedTemplate {
  name: string;
}

test('templates list in the pack: its config is not read, its code does not run, a note says how to opt in', async () => {
  const { code, stdout, stderr } = await runCli('templates', 'list', '--json');
  expect(code).toBe(ExitCode.ok);
  const names = (JSON.parse(stdout) as ListedTemplate[]).map((t) => t.name);
  expect(names).not.toContain('pack_notes');
  expect(stderr).toContain(
    'note: lesson-forge.config.json in this folder is not read; use it with --config ./lesson-forge.config.json if you trust it.',
  );
  expect(templateCodeRuns(pack)).toEqual([]);
});

test('--config opts in: the pack template is listed, from its manifest only (no code runs)', async () => {
  const { code, stdout, stderr } = await runCli(
    '--config',
    './lesson-forge.config.json',
    'templates',
    'list',
    '--json',
  );
  expect(code).toBe(ExitCode.ok);
  expect((JSON.parse(stdout) as ListedTemplate[]).map((t) => t.name)).toContain('pack_notes');
  expect(stderr).not.toContain('is not read');
  expect(templateCodeRuns(pack)).toEqual([]);
});

test('a dry run with the pack template selected runs none of its code and spends nothing', async () => {
  const { code, stdout } = await runCli(
    '--config',
    './lesson-forge.config.json',
    'start-batch',
    pack.videos,
    '--dry-run',
    '--json',
    '-t',
    'pack_notes',
  );
  expect(code).toBe(ExitCode.ok);
  expect((JSON.parse(stdout) as { template: string }).template).toBe('pack_notes');
  expect(templateCodeRuns(pack)).toEqual([]);
});

test('without opting in, a dry run in the pack uses the default output folder, not the one its config names', async () => {
  const { code, stdout } = await runCli('start-batch', pack.videos, '--dry-run');
  expect(code).toBe(ExitCode.ok);
  expect(stdout).toContain(`output ${path.join(fs.realpathSync(pack.root), 'lesson-plans')}`);
  expect(stdout).not.toContain('stolen');
  expect(fs.existsSync(path.join(pack.outside, 'stolen'))).toBe(false);
  expect(templateCodeRuns(pack)).toEqual([]);
});

test('the user config folder ($XDG_CONFIG_HOME/lesson-forge/config.json) is read without opting in', async () => {
  delete process.env.LESSON_FORGE_HOME;
  const xdg = path.join(home, 'xdg');
  process.env.XDG_CONFIG_HOME = xdg;
  fs.mkdirSync(path.join(xdg, 'lesson-forge'), { recursive: true });
  fs.writeFileSync(path.join(xdg, 'lesson-forge', 'config.json'), JSON.stringify({ templatesDirs: [pack.templates] }));
  const { stdout } = await runCli('templates', 'list', '--json');
  expect((JSON.parse(stdout) as ListedTemplate[]).map((t) => t.name)).toContain('pack_notes');
  expect(templateCodeRuns(pack)).toEqual([]);
});

test('the selected template is the only one whose code loads, and only when it is really used', async () => {
  // A second pack template: never selected, so its code must never run.
  const other = path.join(pack.templates, 'other_notes');
  fs.cpSync(path.join(pack.templates, 'pack_notes'), other, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(other, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(other, 'manifest.json'), JSON.stringify({ ...manifest, name: 'other_notes' }));
  const { code } = await runCli('--config', './lesson-forge.config.json', 'templates', 'show', 'pack_notes');
  expect(code).toBe(ExitCode.ok);
  // `show` selects one template: its code ran once; other_notes' never did.
  expect(templateCodeRuns(pack)).toHaveLength(1);
});
