import path from 'node:path';
import {
  DEFAULT_OUTPUT_PATTERN,
  OutputPatternError,
  checkOutputPattern,
  expandOutputPattern,
  resolveInside,
  sanitizeFileName,
  truncateUtf8,
  withCollisionSuffix,
} from '../../src/output/naming';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
const vars = {
  template: 'comprehensive_lesson',
  name: 'Stage lighting basics',
  date: '2026-11-22',
  key: 'stage-lighting-a1b2c3',
};

describe('sanitizeFileName', () => {
  test.each([
    ['Stage lighting basics', 'Stage lighting basics'],
    ['色彩理论 入门 🎨', '色彩理论 入门 🎨'],
    ['Lesson: colour/light \\ shade*?"<>|', 'Lesson colour light shade'],
    ['a\u0000b\u0007c\nd\te', 'a b c d e'],
    ['..hidden', 'hidden'],
    ['.', 'untitled'],
    ['..', 'untitled'],
    ['../../etc/passwd', 'etc passwd'],
    ['name. . .', 'name'],
    ['  spaced  ', 'spaced'],
    ['', 'untitled'],
    ['/', 'untitled'],
    ['CON', 'CON_'],
    ['con.md', 'con_.md'],
    ['Lpt1', 'Lpt1_'],
    ['COM9.txt.md', 'COM9_.txt.md'],
    ['nul ', 'nul_'],
    ['CONSOLE', 'CONSOLE'],
    ['report\u202Egpj.md', 'reportgpj.md'],
    ['Cafe\u0301', 'Café'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  test('long Unicode names are cut to 120 bytes without splitting a character', () => {
    const long = '色彩'.repeat(100);
    const out = sanitizeFileName(long);
    expect(bytes(out)).toBeLessThanOrEqual(120);
    expect(out).toBe('色彩'.repeat(20));
    const emoji = '👩‍🎨'.repeat(30); // a ZWJ sequence: cut between clusters, never inside one
    const cut = sanitizeFileName(emoji);
    expect(bytes(cut)).toBeLessThanOrEqual(120);
    expect(cut).toBe('👩‍🎨'.repeat(Math.floor(120 / bytes('👩‍🎨'))));
  });

  test('a short extension survives truncation', () => {
    const out = sanitizeFileName(`${'x'.repeat(300)}.md`);
    expect(bytes(out)).toBe(120);
    expect(out.endsWith('x.md')).toBe(true);
  });

  test('truncateUtf8 leaves short text alone', () => {
    expect(truncateUtf8('abc', 3)).toBe('abc');
    expect(truncateUtf8('aé', 2)).toBe('a');
  });
});

describe('expandOutputPattern', () => {
  test('default pattern', () => {
    expect(expandOutputPattern(DEFAULT_OUTPUT_PATTERN, vars)).toBe('comprehensive_lesson/Stage lighting basics.md');
  });

  test('every variable, each sanitised', () => {
    expect(
      expandOutputPattern('{batch}/{date}/{template}-{key}/{name}.md', {
        ...vars,
        name: 'A/B: C?',
        batch: 'nightly:2026',
      }),
    ).toBe('nightly 2026/2026-11-22/comprehensive_lesson-stage-lighting-a1b2c3/A B C.md');
  });

  test('{batch} without a batch disappears with its folder', () => {
    expect(expandOutputPattern('{batch}/{name}.md', vars)).toBe('Stage lighting basics.md');
  });

  test('a file name without extension gets .md', () => {
    expect(expandOutputPattern('{template}/{name}', vars)).toBe('comprehensive_lesson/Stage lighting basics.md');
    expect(expandOutputPattern('{name}.markdown', vars)).toBe('Stage lighting basics.markdown');
  });

  test.each([
    ['../../{name}', /"\.\." folders/],
    ['notes/../../{name}.md', /"\.\." folders/],
    ['./{name}.md', /"\." or "\.\." folders/],
    ['/etc/{name}.md', /must be relative/],
    ['C:/Users/{name}.md', /must be relative/],
    ['c:{name}.md', /must be relative/],
    ['notes\\{name}.md', /separate folders with "\/"/],
    ['{name}\u0000.md', /control characters/],
    ['{template}/notes.md', /must contain \{name\} or \{key\}/],
    ['{name}/index.md', /in the file name/],
    ['{title}/{name}.md', /unknown variable \{title\}; known: \{template\}, \{name\}, \{date\}, \{key\}, \{batch\}/],
    ['{name.md', /unmatched/],
    ['{template}//{name}.md', /empty folder name/],
    ['{template}/{name}.md/', /empty folder name/],
    ['', /is empty/],
    ['notes:{name}.md', /not allowed in file names/],
  ])('refuses pattern %j', (pattern, message) => {
    expect(() => expandOutputPattern(pattern, vars)).toThrow(OutputPatternError);
    expect(() => checkOutputPattern(pattern)).toThrow(message);
  });

  test.each([
    ['../../etc/passwd', 'etc passwd.md'],
    ['/absolute/path', 'absolute path.md'],
    ['C:\\Windows\\system32', 'C Windows system32.md'],
    ['..', 'untitled.md'],
    ['a\u0000b', 'a b.md'],
    ['CON', 'CON_.md'],
    ['CON.md', 'CON_.md.md'],
    ['nul', 'nul_.md'],
  ])('neutralises hostile name %j', (name, expected) => {
    const rel = expandOutputPattern('{name}.md', { ...vars, name });
    expect(rel).toBe(expected);
    expect(rel).not.toMatch(/(^|\/)\.\.(\/|$)/);
    expect(path.posix.isAbsolute(rel)).toBe(false);
    expect(() => resolveInside('/out', rel)).not.toThrow();
  });

  test('hostile values in every variable stay inside the output folder', () => {
    const evil = { template: '../..', name: '../../../x', date: '/etc', key: 'C:\\k', batch: '..\\..' };
    const rel = expandOutputPattern('{batch}/{template}/{date}/{key}-{name}.md', evil);
    expect(rel).toBe('untitled/untitled/etc/C k-x.md');
    expect(resolveInside('/out', rel)).toBe(path.resolve('/out', rel));
  });

  test('reserved names written in the pattern itself get a suffix', () => {
    expect(expandOutputPattern('con/{name}.md', vars)).toBe('con_/Stage lighting basics.md');
  });

  test('very long Unicode names keep each path segment within file system limits', () => {
    const rel = expandOutputPattern('{name}-{key}-{template}.md', {
      ...vars,
      name: '灯光'.repeat(200),
      key: 'k'.repeat(200),
      template: 't'.repeat(200),
    });
    for (const segment of rel.split('/')) expect(bytes(segment)).toBeLessThanOrEqual(255);
    expect(rel.endsWith('.md')).toBe(true);
  });
});

describe('withCollisionSuffix', () => {
  test('numbers before the extension', () => {
    expect(withCollisionSuffix('quiz/Lesson.md', 0)).toBe('quiz/Lesson.md');
    expect(withCollisionSuffix('quiz/Lesson.md', 1)).toBe('quiz/Lesson_1.md');
    expect(withCollisionSuffix('quiz/Lesson.md', 2)).toBe('quiz/Lesson_2.md');
    expect(withCollisionSuffix('Lesson', 3)).toBe('Lesson_3');
    expect(withCollisionSuffix('v1.2/Lesson 1.5.md', 1)).toBe('v1.2/Lesson 1.5_1.md');
  });

  test('stays within 255 bytes', () => {
    const name = `${'é'.repeat(126)}.md`;
    const out = withCollisionSuffix(name, 12);
    expect(bytes(out)).toBeLessThanOrEqual(255);
    expect(out.endsWith('_12.md')).toBe(true);
  });

  test('refuses a negative or fractional counter', () => {
    expect(() => withCollisionSuffix('a.md', -1)).toThrow(RangeError);
    expect(() => withCollisionSuffix('a.md', 1.5)).toThrow(RangeError);
  });
});

describe('resolveInside', () => {
  test('refuses paths that leave the folder', () => {
    expect(() => resolveInside('/out', '../x.md')).toThrow(/not inside/);
    expect(() => resolveInside('/out', '/etc/passwd')).toThrow(/not inside/);
    expect(() => resolveInside('/out', '')).toThrow(/not inside/);
    expect(resolveInside('/out', 'a/..b.md')).toBe(path.resolve('/out/a/..b.md'));
  });
});
