import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../src/config/errors';
import {
  BUILT_IN_TEMPLATES_DIR,
  TemplateRegistry,
  renderDocument,
  validateTemplateDir,
  type TemplateProblem,
} from '../../src/templates';

/** A small valid template; each test breaks one thing. The schema is the zod-free function form, so it loads from any folder. */
const VALID: Record<string, string> = {
  'manifest.json': JSON.stringify({
    name: 'mini',
    version: '1.2.0',
    description: 'A tiny template for tests',
    language: 'en-GB',
    tags: ['test'],
    parameters: {
      level: { description: 'Who it is for', type: 'string', default: 'beginners' },
      grade: { description: 'School grade', type: 'integer', required: true },
    },
    model: { temperature: 0.1, maxOutputTokens: 1000, mediaResolution: 'low' },
  }),
  'prompt.hbs': 'Describe "{{video.title}}" ({{video.duration}}) for {{params.level}}, grade {{params.grade}}.\n',
  'system.hbs': 'You are a teacher.\n',
  'schema.ts': [
    'export const schema = (z: any) =>',
    '  z.object({',
    '    summary: z.string(),',
    '    moments: z.array(z.object({ seconds: z.number().int().min(0), text: z.string() })).min(1),',
    '  });',
  ].join('\n'),
  'output.hbs':
    '# {{video.title}}\n\n{{data.summary}}\n\n{{#each data.moments}}\n- {{timestamp seconds}} {{oneline text}}\n{{/each}}\n',
};

/** VALID's `moments` in JSON Schema: what its zod form converts to, and what the schema.json form is written as. */
const MOMENTS_JSON_SCHEMA = {
  type: 'array',
  minItems: 1,
  items: {
    type: 'object',
    properties: { seconds: { type: 'integer', minimum: 0 }, text: { type: 'string' } },
    required: ['seconds', 'text'],
  },
};

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-templates-'));
});
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let counter = 0;
/** Writes a template folder named `mini` (inside its own parent) with some files replaced or removed (null). */
function makeTemplate(changes: Record<string, string | null> = {}, name = 'mini'): string {
  const dir = path.join(root, `case-${++counter}`, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries({ ...VALID, ...changes })) {
    if (content !== null) fs.writeFileSync(path.join(dir, file), content);
  }
  return dir;
}

function manifestWith(patch: Record<string, unknown>): string {
  return JSON.stringify({ ...JSON.parse(VALID['manifest.json']), ...patch });
}

function expectProblem(problems: TemplateProblem[], file: string, pattern: RegExp): void {
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ template: 'mini', file, problem: expect.stringMatching(pattern) }),
    ]),
  );
}

test('the valid template has no problems and renders', () => {
  const dir = makeTemplate();
  expect(validateTemplateDir(dir)).toEqual([]);
  const registry = TemplateRegistry.load([path.dirname(dir)]);
  const t = registry.get('mini');
  expect(t.origin).toBe('user');
  expect(t.responseJsonSchema).toEqual({
    type: 'object',
    properties: {
      summary: { type: 'string' },
      moments: MOMENTS_JSON_SCHEMA,
    },
    required: ['summary', 'moments'],
  });
  expect(t.contentHash).toMatch(/^[0-9a-f]{64}$/);
});

describe('manifest problems', () => {
  test('missing manifest', () => {
    expectProblem(validateTemplateDir(makeTemplate({ 'manifest.json': null })), 'manifest.json', /missing/);
  });
  test('manifest that is not JSON', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'manifest.json': '{ name: mini' })),
      'manifest.json',
      /not valid JSON/,
    );
  });
  test('bad version, language, description and unknown keys', () => {
    const problems = validateTemplateDir(
      makeTemplate({
        'manifest.json': manifestWith({ version: '1.0', language: 'english!!', description: ' ', paramters: {} }),
      }),
    );
    expectProblem(problems, 'manifest.json', /^version: must be a semantic version/);
    expectProblem(problems, 'manifest.json', /^language: must be a BCP-47 language tag/);
    expectProblem(problems, 'manifest.json', /^description: needs a description/);
    expectProblem(problems, 'manifest.json', /paramters/);
  });
  test('missing fields', () => {
    const { version: _v, language: _l, ...rest } = JSON.parse(VALID['manifest.json']) as Record<string, unknown>;
    const problems = validateTemplateDir(makeTemplate({ 'manifest.json': JSON.stringify(rest) }));
    expectProblem(problems, 'manifest.json', /^version: /);
    expectProblem(problems, 'manifest.json', /^language: /);
  });
  test('name that differs from the folder', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'manifest.json': manifestWith({ name: 'other' }) })),
      'manifest.json',
      /differs from the folder name "mini"/,
    );
  });
  test('parameter with an unknown type, a default of the wrong type, a bad key, a tag with a space', () => {
    const problems = validateTemplateDir(
      makeTemplate({
        'manifest.json': manifestWith({
          tags: ['two words'],
          parameters: {
            level: { description: 'x', type: 'date' },
            grade: { description: 'x', type: 'integer', default: '7' },
            'Bad-Key': { description: 'x', type: 'string' },
          },
        }),
      }),
    );
    expectProblem(problems, 'manifest.json', /^parameters\.level\.type: /);
    expectProblem(problems, 'manifest.json', /^parameters\.grade\.default: default "7" is not of type integer/);
    expectProblem(problems, 'manifest.json', /^parameters\.Bad-Key: parameter keys must be lowercase/);
    expectProblem(problems, 'manifest.json', /^tags\.0: must be a valid Obsidian tag/);
  });
  test('model settings out of range', () => {
    const problems = validateTemplateDir(
      makeTemplate({
        'manifest.json': manifestWith({ model: { temperature: 3, maxOutputTokens: 0, mediaResolution: 'high' } }),
      }),
    );
    expectProblem(problems, 'manifest.json', /^model\.temperature: /);
    expectProblem(problems, 'manifest.json', /^model\.maxOutputTokens: /);
    expectProblem(problems, 'manifest.json', /^model\.mediaResolution: /);
  });
});

describe('Handlebars problems', () => {
  test('syntax error in prompt.hbs names the line', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'prompt.hbs': 'Line one\nLine two\nBroken {{video.title}\n' })),
      'prompt.hbs',
      /^syntax error at line 3: a malformed mustache \(check the braces\), near "\.\.\.Broken \{\{video\.title\}"$/,
    );
  });
  test('mismatched block in output.hbs names the line', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'output.hbs': '# T\n{{#if data.summary}}\n{{/each}}\n' })),
      'output.hbs',
      /^syntax error at line 2: if doesn't match each/,
    );
  });
  test('unclosed block', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'system.hbs': 'a\n{{#each data.moments}}\n' })),
      'system.hbs',
      /^syntax error at line \d+: the template ends inside a block/,
    );
  });
  test('undeclared parameters, however they are written', () => {
    const problems = validateTemplateDir(
      makeTemplate({
        'prompt.hbs': 'For {{params.level}} and {{params.audience}}.\n',
        'system.hbs': '{{lookup params "tone"}}\n',
        'output.hbs':
          '# {{video.title}}\n{{#each data.moments}}\n{{@root.params.style}} {{../params.colour}}\n{{/each}}\n',
      }),
    );
    expectProblem(
      problems,
      'prompt.hbs',
      /^line 1: uses params\.audience, which manifest\.json does not declare \(declared: level, grade\)/,
    );
    expectProblem(problems, 'system.hbs', /uses params\.tone/);
    expectProblem(problems, 'output.hbs', /^line 3: uses params\.style/);
    expectProblem(problems, 'output.hbs', /uses params\.colour/);
    expect(problems.filter((p) => /params\.level/.test(p.problem))).toEqual([]);
  });
  test('mustache-looking text in a comment is not a parameter use', () => {
    expect(
      validateTemplateDir(
        makeTemplate({ 'prompt.hbs': '{{!-- {{params.nothing}} --}}Hello {{params.level}} {{params.grade}}\n' }),
      ),
    ).toEqual([]);
  });
  test('unknown helper, partial, and triple-stash in the output', () => {
    const problems = validateTemplateDir(
      makeTemplate({
        'output.hbs':
          '# {{video.title}}\n{{shout data.summary}}\n{{> footer}}\n{{{data.summary}}}\n{{& data.summary}}\n',
      }),
    );
    expectProblem(problems, 'output.hbs', /^line 2: unknown helper "shout"/);
    expectProblem(problems, 'output.hbs', /^line 3: partials are not supported/);
    expectProblem(problems, 'output.hbs', /^line 4: \{\{\{…\}\}\} and \{\{& …\}\} are not allowed/);
    expectProblem(problems, 'output.hbs', /^line 5: /);
  });
  test('empty templates', () => {
    const problems = validateTemplateDir(makeTemplate({ 'prompt.hbs': '  \n', 'system.hbs': '' }));
    expectProblem(problems, 'prompt.hbs', /^is empty$/);
    expectProblem(problems, 'system.hbs', /is empty; delete it/);
  });
  test('missing prompt.hbs and output.hbs', () => {
    const problems = validateTemplateDir(makeTemplate({ 'prompt.hbs': null, 'output.hbs': null }));
    expectProblem(problems, 'prompt.hbs', /missing/);
    expectProblem(problems, 'output.hbs', /missing/);
  });
  test('an output that fails at run time is caught by the trial render', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'output.hbs': '# T\n{{#each}}x{{/each}}\n' })),
      'output.hbs',
      /fails to render: Must pass iterator/,
    );
  });
});

describe('schema problems', () => {
  test('no schema file', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'schema.ts': null })),
      'schema.ts | schema.js | schema.json',
      /missing/,
    );
  });
  test('schema.ts that throws while loading', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'schema.ts': 'throw new Error("boom");\nexport const schema = 1;\n' })),
      'schema.ts',
      /does not load: boom/,
    );
  });
  test('schema.ts that exports nothing usable', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'schema.ts': 'export const shape = 1;\n' })),
      'schema.ts',
      /does not export `schema`/,
    );
    expectProblem(
      validateTemplateDir(makeTemplate({ 'schema.ts': 'export const schema = { type: "object" };\n' })),
      'schema.ts',
      /not a zod 4 schema/,
    );
  });
  test('schemas Gemini cannot take', () => {
    expectProblem(
      validateTemplateDir(
        makeTemplate({
          'schema.ts': 'export const schema = (z: any) => z.object({ byName: z.record(z.string(), z.string()) });\n',
        }),
      ),
      'schema.ts',
      /cannot be sent to Gemini: .*byName: maps\/records/,
    );
    expectProblem(
      validateTemplateDir(
        makeTemplate({ 'schema.ts': 'export const schema = (z: any) => z.object({ when: z.date() });\n' }),
      ),
      'schema.ts',
      /cannot be sent to Gemini: zod could not express/,
    );
    expectProblem(
      validateTemplateDir(makeTemplate({ 'schema.ts': 'export const schema = (z: any) => z.string();\n' })),
      'schema.ts',
      /top-level schema must be an object/,
    );
    expectProblem(
      validateTemplateDir(
        makeTemplate({
          'schema.ts': 'export const schema = (z: any) => z.object({ pair: z.tuple([z.string(), z.number()]) });\n',
        }),
      ),
      'schema.ts',
      /tuples are not supported/,
    );
  });
  test('schema.json that is not JSON, or not a schema zod understands', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'schema.ts': null, 'schema.json': '{ nope' })),
      'schema.json',
      /does not load/,
    );
    expectProblem(
      validateTemplateDir(
        makeTemplate({ 'schema.ts': null, 'schema.json': '{"type":"object","properties":{"a":{"type":"strin"}}}' }),
      ),
      'schema.json',
      /does not load: .*strin/,
    );
  });
  test('two schema files are ambiguous', () => {
    expectProblem(
      validateTemplateDir(makeTemplate({ 'schema.json': '{"type":"object","properties":{}}' })),
      'schema.json',
      /schema\.ts exists too; keep only one/,
    );
  });
});

describe('user templates in other schema formats', () => {
  test('schema.json becomes a validator and a Gemini schema', () => {
    const json = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: {
        summary: { type: 'string', pattern: '^[A-Z]' },
        moments: MOMENTS_JSON_SCHEMA,
      },
      required: ['summary', 'moments'],
    };
    const dir = makeTemplate({ 'schema.ts': null, 'schema.json': JSON.stringify(json) });
    expect(validateTemplateDir(dir)).toEqual([]);
    const t = TemplateRegistry.load([dir]).get('mini');
    expect(t.responseJsonSchema).not.toHaveProperty('$schema');
    expect(t.responseJsonSchema).not.toHaveProperty('additionalProperties');
    expect((t.responseJsonSchema.properties as Record<string, unknown>).summary).toEqual({ type: 'string' });
    expect(t.schema.safeParse({ summary: 'X', moments: [] }).success).toBe(false);
    expect(t.schema.safeParse({ summary: 'X', moments: [{ seconds: 1, text: 'y' }] }).success).toBe(true);
    // The author's pattern still guards the answer, though Gemini is not told about it.
    expect(t.schema.safeParse({ summary: 'x', moments: [{ seconds: 1, text: 'y' }] }).success).toBe(false);
  });

  test('schema.js exporting a zod schema', () => {
    const dir = makeTemplate({
      'schema.ts': null,
      'schema.js':
        'exports.schema = (z) => z.object({ summary: z.string(), moments: z.array(z.object({ seconds: z.number().int(), text: z.string() })) });\n',
    });
    expect(validateTemplateDir(dir)).toEqual([]);
  });

  test('a schema.ts outside the project can import zod when run under tsx', () => {
    const dir = makeTemplate({
      'schema.ts':
        "import { z } from 'zod';\nexport const schema = z.object({ summary: z.string(), moments: z.array(z.object({ seconds: z.number().int(), text: z.string() })) });\n",
    });
    const script = `const t = require(${JSON.stringify(path.resolve(__dirname, '../../src/templates'))});
      const p = t.validateTemplateDir(${JSON.stringify(dir)});
      process.stdout.write(JSON.stringify(p));`;
    const tsx = path.resolve(__dirname, '../../node_modules/.bin/tsx');
    const out = execFileSync(tsx, ['-e', script], { encoding: 'utf8', cwd: os.tmpdir() });
    expect(JSON.parse(out)).toEqual([]);
  });
});

describe('required parameters', () => {
  test('a required parameter without a value is a problem when values are checked', () => {
    const dir = makeTemplate();
    expectProblem(
      validateTemplateDir(dir, {}),
      'manifest.json',
      /needs parameter grade \(School grade; a whole number\)/,
    );
    expectProblem(
      validateTemplateDir(dir, { grade: 'seven' }),
      'manifest.json',
      /"grade" got "seven", but it must be a whole number/,
    );
    expect(validateTemplateDir(dir, { grade: '7' })).toEqual([]);
  });
});

describe('registry', () => {
  test('a user template overrides the built-in of the same name, and says so', () => {
    const dir = makeTemplate(
      { 'manifest.json': manifestWith({ name: 'quiz', parameters: {} }), 'prompt.hbs': 'Quiz on {{video.title}}\n' },
      'quiz',
    );
    const registry = TemplateRegistry.load([path.dirname(dir)]);
    expect(registry.get('quiz').dir).toBe(dir);
    const summary = registry.list().find((s) => s.name === 'quiz');
    expect(summary).toMatchObject({ origin: 'user', overrides: path.join(BUILT_IN_TEMPLATES_DIR, 'quiz') });
    expect(registry.notices).toEqual([
      `Template "quiz" from ${dir} replaces the one in ${path.join(BUILT_IN_TEMPLATES_DIR, 'quiz')}.`,
    ]);
  });

  test('a broken user template is listed with its problems and cannot be used; the others still work', () => {
    const dir = makeTemplate({ 'prompt.hbs': '{{#if}}\n' });
    const registry = TemplateRegistry.load([dir]);
    const summary = registry.list().find((s) => s.name === 'mini');
    expect(summary?.problems.length).toBeGreaterThan(0);
    expect(() => registry.get('mini')).toThrow(ConfigurationError);
    expect(() => registry.get('mini')).toThrow(/Template "mini" .* cannot be used:\n {2}prompt\.hbs: syntax error/);
    expect(registry.get('summary_report').origin).toBe('built-in');
  });

  test('a template folder that does not exist is a configuration error', () => {
    expect(() => TemplateRegistry.load([path.join(root, 'nowhere')])).toThrow(
      /Template folder .*nowhere does not exist/,
    );
  });

  test('list() describes parameters for the CLI', () => {
    const registry = TemplateRegistry.load([makeTemplate()]);
    expect(registry.list().find((s) => s.name === 'mini')).toMatchObject({
      version: '1.2.0',
      language: 'en-GB',
      tags: ['test'],
      parameters: [
        { key: 'level', type: 'string', required: false, default: 'beginners', description: 'Who it is for' },
        { key: 'grade', type: 'integer', required: true, description: 'School grade' },
      ],
    });
  });

  test('model data is rendered once: a value that looks like a template is not evaluated', () => {
    const registry = TemplateRegistry.load([makeTemplate()]);
    const t = registry.get('mini');
    const markdown = renderDocument(
      t,
      {
        summary: '{{video.title}} {{#each data.moments}}x{{/each}}',
        moments: [{ seconds: 3, text: '{{timestamp 9}}' }],
      },
      {
        title: 'Real title',
        source: '/v/a.mp4',
        sourceKind: 'file',
        durationSeconds: 60,
        created: '2026-01-01T00:00:00Z',
        templateName: 'mini',
        templateVersion: '1.2.0',
        model: 'm',
        usage: { promptTokens: 0, outputTokens: 0, thoughtsTokens: 0, totalTokens: 0 },
        costUsd: 0,
        mediaResolution: 'low',
        truncated: false,
        contentSha256: 'c',
      },
    );
    expect(markdown).toContain('\n{{video.title}} {{#each data.moments}}x{{/each}}\n');
    expect(markdown).toContain('- [00:03](file:///v/a.mp4#t=3) {{timestamp 9}}');
  });

  test('renderDocument refuses data that does not match the schema', () => {
    const t = TemplateRegistry.load([makeTemplate()]).get('mini');
    expect(() => renderDocument(t, { summary: 1 }, {} as never)).toThrow(
      /does not match template "mini": summary: .*; moments: /,
    );
  });
});
