import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/run-cli';
import { ExitCode } from '../../src/cli/exit-codes';

/** `templates list|show` run in-process through the real command-line program, as a user types them. */

let root: string;
let userTemplates: string;
const savedEnv = { ...process.env };

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-cli-templates-'));
  // Isolated from any config file on this machine: an empty one of our own.
  fs.writeFileSync(path.join(root, 'config.json'), '{}');
  process.env.LESSON_FORGE_CONFIG = path.join(root, 'config.json');
  process.env.NO_COLOR = '1';
  userTemplates = path.join(root, 'my-templates');
  const files = (name: string, version: string) => ({
    'manifest.json': JSON.stringify({
      name,
      version,
      description: 'Broken on purpose',
      language: 'en',
      tags: [],
      parameters: {},
    }),
    'prompt.hbs': 'Describe {{video.title}} for {{params.grade}}.\n',
    // The zod-free form, so the schema loads from a folder outside the project.
    'schema.ts': 'export const schema = (z: any) => z.object({ summary: z.string() });\n',
    'output.hbs': '{{data.summary}}\n',
  });
  writeTemplate('broken_tpl', files('broken_tpl', 'one'));
  writeTemplate('undeclared_param', files('undeclared_param', '1.0.0'));
});
afterEach(() => {
  process.env = { ...savedEnv };
  process.exitCode = undefined;
  fs.rmSync(root, { recursive: true, force: true });
  jest.restoreAllMocks();
});

function writeTemplate(name: string, files: Record<string, string>): void {
  const dir = path.join(userTemplates, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
}

describe('templates list', () => {
  test('shows every built-in template with its version and parameters, exit 0', async () => {
    const { code, stdout } = await runCli('templates', 'list');
    expect(code).toBe(ExitCode.ok);
    for (const name of ['chinese_transcript', 'comprehensive_lesson', 'quiz', 'summary_report']) {
      expect(stdout).toMatch(new RegExp(`^${name}\\s+1\\.\\d+\\.\\d+\\s+`, 'm'));
    }
    expect(stdout).toMatch(/^summary_report .*max_length, focus_areas/m);
  });

  test('--json gives the same list as data', async () => {
    const { code, stdout } = await runCli('templates', 'list', '--json');
    expect(code).toBe(ExitCode.ok);
    const list = JSON.parse(stdout) as Array<{
      name: string;
      origin: string;
      problems: unknown[];
      parameters: Array<{ key: string; default?: unknown }>;
    }>;
    const summary = list.find((t) => t.name === 'summary_report');
    expect(summary).toMatchObject({ origin: 'built-in', problems: [] });
    expect(summary?.parameters).toContainEqual(expect.objectContaining({ key: 'max_length', default: 300 }));
  });

  test('a broken user template is listed with its file and problem, exit 3; the others still show', async () => {
    const { code, stdout } = await runCli('templates', 'list', '--templates-dir', userTemplates);
    expect(code).toBe(ExitCode.configuration);
    expect(stdout).toMatch(/^summary_report\s/m);
    expect(stdout).toContain(`broken_tpl (${path.join(userTemplates, 'broken_tpl')}):`);
    expect(stdout).toMatch(/^ {2}manifest\.json: version: .*semantic version/m);
    expect(stdout).toContain(`undeclared_param (${path.join(userTemplates, 'undeclared_param')}):`);
    expect(stdout).toMatch(/^ {2}prompt\.hbs: .*params\.grade/m);
  });

  test('a user template with a built-in name is shown as overriding it', async () => {
    const builtIn = path.resolve(__dirname, '..', '..', 'templates', 'quiz');
    fs.cpSync(builtIn, path.join(userTemplates, 'quiz'), { recursive: true });
    // Jest's loader does not serve zod to a folder outside the project (tsx does); give the copy one to find.
    fs.symlinkSync(path.resolve(__dirname, '..', '..', 'node_modules'), path.join(userTemplates, 'node_modules'));
    const { stdout } = await runCli('templates', 'list', '--templates-dir', userTemplates);
    expect(stdout).toMatch(/^quiz\s.*user \(overrides built-in\)/m);
  });

  test('a template folder that does not exist is a configuration error naming it, exit 3', async () => {
    const missing = path.join(root, 'nowhere');
    const { code, stderr } = await runCli('templates', 'list', '--templates-dir', missing);
    expect(code).toBe(ExitCode.configuration);
    expect(stderr).toContain(`Template folder ${missing} does not exist or is not a folder (check --templates-dir`);
  });
});

describe('templates show', () => {
  test('prints the parameters with types and defaults, and the prompt', async () => {
    const { code, stdout } = await runCli('templates', 'show', 'summary_report');
    expect(code).toBe(ExitCode.ok);
    expect(stdout).toMatch(/^summary_report 1\.0\.0 \(en, built-in\)$/m);
    expect(stdout).toContain('  max_length (integer, default 300): Maximum length of the summary, in words');
    expect(stdout).toContain('  focus_areas (list, default []):');
    expect(stdout).toContain('Prompt:\n');
    expect(stdout).toContain(
      fs.readFileSync(path.resolve(__dirname, '..', '..', 'templates', 'summary_report', 'prompt.hbs'), 'utf8'),
    );
  });

  test('a broken template shows its problems with their files, exit 3', async () => {
    const { code, stdout } = await runCli('templates', 'show', 'broken_tpl', '--templates-dir', userTemplates);
    expect(code).toBe(ExitCode.configuration);
    expect(stdout).toContain('Problems:');
    expect(stdout).toMatch(/^ {2}manifest\.json: version: /m);
  });

  test('an unknown name lists the available ones, exit 3', async () => {
    const { code, stderr } = await runCli('templates', 'show', 'lesson_plan');
    expect(code).toBe(ExitCode.configuration);
    expect(stderr).toMatch(
      /Unknown template "lesson_plan"\. Available: chinese_transcript, comprehensive_lesson, quiz, summary_report/,
    );
  });
});
