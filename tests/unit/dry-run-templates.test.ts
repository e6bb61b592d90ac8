import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli, type CliRun } from '../support/run-cli';
import { writeTemplateFolder } from '../support/template-folder';
import { ExitCode } from '../../src/cli/exit-codes';

/**
 * `start-batch --dry-run` refuses a broken template or a wrong `--param` with exit code 3 and a
 * message naming the file or parameter, before anything is spent: no Temporal server is reachable
 * (the address points nowhere), and the output folder is not even created.
 */

const samples = path.resolve(__dirname, '..', '..', 'samples');
let root: string;
let videos: string;
let out: string;
let userTemplates: string;
const savedEnv = { ...process.env };

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-dry-run-'));
  videos = path.join(root, 'videos');
  out = path.join(root, 'out');
  userTemplates = path.join(root, 'my-templates');
  fs.mkdirSync(videos);
  fs.copyFileSync(path.join(samples, 'color-theory-intro.mp4'), path.join(videos, 'color-theory-intro.mp4'));
  writeTemplateFolder(userTemplates, 'broken_tpl', 'Uses a parameter it does not declare', {
    'prompt.hbs': 'Describe the video for {{params.grade}}.\n',
    'schema.ts': 'export const schema = (z: any) => z.object({ summary: z.string() });\n',
    'output.hbs': '{{data.summary}}\n',
  });
  useConfig({});
  process.env.NO_COLOR = '1';
  process.env.TEMPORAL_ADDRESS = '127.0.0.1:1'; // nothing listens there: a dry run must not need Temporal
  delete process.env.GEMINI_API_KEY; // nor a key
});
afterEach(() => {
  process.env = { ...savedEnv };
  process.exitCode = undefined;
  fs.rmSync(root, { recursive: true, force: true });
});

function useConfig(config: object): void {
  fs.writeFileSync(path.join(root, 'config.json'), JSON.stringify(config));
  process.env.LESSON_FORGE_CONFIG = path.join(root, 'config.json');
}

const dryRun = (...args: string[]): Promise<CliRun> => runCli('start-batch', videos, '--dry-run', '-o', out, ...args);

test('a valid request with --param plans the batch and exits 0 (the baseline the refusals differ from)', async () => {
  const { code, stdout } = await dryRun(
    '--template',
    'summary_report',
    '--param',
    'max_length=150',
    '--param',
    'focus_areas=colour,light',
  );
  expect(code).toBe(ExitCode.ok);
  expect(stdout).toContain('Dry run');
  expect(stdout).toContain('template summary_report');
  expect(stdout).toMatch(/Expected.*: 1 video, about \d+ input \+ \d+ output tokens, \$[\d.]+/);
  expect(stdout).toMatch(/Ceiling.*: +\$[\d.]+ if every answer used its/);
});

test('with --max-cost, the dry run says how many videos the budget is expected to cover', async () => {
  const roomy = await dryRun('--template', 'summary_report', '--max-cost', '5');
  expect(roomy.stdout).toContain('--max-cost $5.00 is expected to cover all 1 videos.');
  // Less than one video's expected cost: none is expected to be covered.
  const tight = await dryRun('--template', 'summary_report', '--max-cost', '0.000001');
  expect(tight.stdout).toMatch(
    /--max-cost \S+ is expected to cover 0 of 1 videos \(0 if every answer reached its ceiling\)/,
  );
});

test('a broken template from --templates-dir: exit 3, naming the template file and problem, nothing created', async () => {
  const { code, stderr, stdout } = await dryRun('--template', 'broken_tpl', '--templates-dir', userTemplates);
  expect(code).toBe(ExitCode.configuration);
  expect(stderr).toContain(`Template "broken_tpl" (${path.join(userTemplates, 'broken_tpl')}) cannot be used:`);
  expect(stderr).toMatch(/^ {2}prompt\.hbs: .*params\.grade/m);
  expect(stdout).not.toContain('Dry run');
  expect(fs.existsSync(out)).toBe(false);
});

test("a broken template from the config file's templatesDirs is refused the same way", async () => {
  useConfig({ templatesDirs: [userTemplates] });
  const { code, stderr } = await dryRun('--template', 'broken_tpl');
  expect(code).toBe(ExitCode.configuration);
  expect(stderr).toMatch(/^ {2}prompt\.hbs: .*params\.grade/m);
  expect(fs.existsSync(out)).toBe(false);
});

test.each([
  [
    'an undeclared --param',
    ['--param', 'tone=formal'],
    /Template "summary_report" has no parameter "tone"\. It accepts: max_length, focus_areas\./,
  ],
  [
    'a --param value out of range',
    ['--param', 'max_length=10'],
    /Template parameter "max_length" got "10", but it must be a whole number from 50 to 2000\./,
  ],
  ['a --param value of the wrong type', ['--param', 'max_length=long'], /"max_length" got "long"/],
])('%s: exit 3 naming the parameter, nothing created', async (_why, params, message) => {
  const { code, stderr } = await dryRun('--template', 'summary_report', ...params);
  expect(code).toBe(ExitCode.configuration);
  expect(stderr).toMatch(message);
  expect(fs.existsSync(out)).toBe(false);
});

test('an unknown template: exit 3 listing the available ones', async () => {
  const { code, stderr } = await dryRun('--template', 'lesson_plan');
  expect(code).toBe(ExitCode.configuration);
  expect(stderr).toContain(
    'Unknown template "lesson_plan". Available templates: chinese_transcript, comprehensive_lesson, quiz, summary_report.',
  );
});
