import { ConfigurationError } from '../../src/config/errors';
import { resolveParams, type Manifest } from '../../src/templates';

const template = {
  name: 'demo',
  manifest: {
    name: 'demo',
    version: '1.0.0',
    description: 'd',
    language: 'en',
    tags: [],
    model: {},
    parameters: {
      max_length: { description: 'Words', type: 'integer', default: 300, minimum: 50, maximum: 2000 },
      ratio: { description: 'A ratio', type: 'number' },
      answers: { description: 'Show answers', type: 'boolean', default: true },
      focus_areas: { description: 'Areas', type: 'list', default: ['a'] },
      kinds: { description: 'Kinds', type: 'list', enum: ['mcq', 'short'] },
      tone: { description: 'Tone', type: 'string', enum: ['formal', 'casual'] },
      grade: { description: 'School grade', type: 'string', required: true },
    },
  } satisfies Manifest,
};

const resolve = (given: Record<string, string>) => resolveParams(template, { grade: '9', ...given });

test('defaults fill what is not given; optional values without default stay absent', () => {
  expect(resolve({})).toEqual({ max_length: 300, answers: true, focus_areas: ['a'], grade: '9' });
});

test('list defaults are copies, not the manifest array', () => {
  const first = resolve({}).focus_areas as string[];
  first.push('mutated');
  expect(resolve({}).focus_areas).toEqual(['a']);
});

test('strings are converted to each declared type', () => {
  expect(
    resolve({
      max_length: ' 120 ',
      ratio: '0.25',
      answers: 'no',
      focus_areas: 'colour, light,, space ',
      kinds: 'mcq,short',
      tone: 'casual',
    }),
  ).toEqual({
    max_length: 120,
    ratio: 0.25,
    answers: false,
    focus_areas: ['colour', 'light', 'space'],
    kinds: ['mcq', 'short'],
    tone: 'casual',
    grade: '9',
  });
  for (const yes of ['true', 'YES', '1', 'on']) expect(resolve({ answers: yes }).answers).toBe(true);
  for (const no of ['false', 'No', '0', 'off']) expect(resolve({ answers: no }).answers).toBe(false);
  expect(resolve({ focus_areas: '' }).focus_areas).toEqual([]);
});

test.each([
  ['max_length', '12.5', /"max_length" got "12\.5", but it must be a whole number from 50 to 2000/],
  ['max_length', 'three hundred', /must be a whole number/],
  ['max_length', '10', /from 50 to 2000/],
  ['max_length', '', /"max_length" got ""/],
  ['ratio', 'abc', /"ratio" got "abc", but it must be a number\./],
  ['answers', 'maybe', /"answers" got "maybe", but it must be true or false/],
  ['tone', 'angry', /"tone" got "angry", but it must be one of formal, casual/],
  ['kinds', 'mcq,essay', /"kinds" got "mcq,essay", but it must be a comma-separated list of mcq, short/],
])('%s=%s is refused with what is allowed', (key, value, message) => {
  expect(() => resolve({ [key]: value })).toThrow(message);
  expect(() => resolve({ [key]: value })).toThrow(ConfigurationError);
});

test('unknown keys are refused with the declared ones listed', () => {
  expect(() => resolve({ max_lenght: '100', colour: 'red' })).toThrow(
    'Template "demo" has no parameter "max_lenght", "colour". It accepts: max_length, ratio, answers, focus_areas, kinds, tone, grade.',
  );
});

test('a missing required parameter is named, described and shown how to give', () => {
  expect(() => resolveParams(template, {})).toThrow(
    'Template "demo" needs parameter grade (School grade; any text). Give --param grade=….',
  );
});

test('a template without parameters says so', () => {
  expect(() => resolveParams({ name: 'bare', manifest: { ...template.manifest, parameters: {} } }, { x: '1' })).toThrow(
    /It takes no parameters\./,
  );
});
