import { COMPILE_OPTIONS, LINK_DATA_KEY, createEnvironment } from '../../src/templates/helpers';
import { escapeMarkdownText } from '../../src/templates';

const env = createEnvironment();
const youtube = { sourceKind: 'youtube', source: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', durationSeconds: 300 };
const render = (source: string, context: unknown = {}, link: unknown = youtube) =>
  env.compile(source, COMPILE_OPTIONS)(context, { data: { [LINK_DATA_KEY]: link } });

describe('Handlebars helpers', () => {
  test('timestamp: link, range, brackets, long labels, nothing for missing values', () => {
    expect(render('{{timestamp 83}}')).toBe('[01:23](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=83s)');
    expect(render('{{timestamp 83 end=95}}')).toBe('[01:23–01:35](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=83s)');
    expect(render('{{timestamp 83 brackets=true}}')).toBe(
      '[\\[01:23\\]](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=83s)',
    );
    expect(render('{{timestamp 83}}', {}, { ...youtube, durationSeconds: 4000 })).toBe(
      '[0:01:23](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=83s)',
    );
    expect(render('{{timestamp 12.9}}', {}, { sourceKind: 'file', source: '/v/a b.mp4' })).toBe(
      '[00:12](file:///v/a%20b.mp4#t=12)',
    );
    expect(render('[{{timestamp missing}}]')).toBe('[]');
    expect(render('{{timestamp -5}}')).toBe('');
  });

  test('timestamp keeps working inside each and with blocks', () => {
    expect(
      render('{{#each items}}{{#with this}}{{timestamp s}} {{/with}}{{/each}}', { items: [{ s: 1 }, { s: 2 }] }),
    ).toBe(
      '[00:01](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1s) [00:02](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=2s) ',
    );
  });

  test('text helpers', () => {
    expect(render('{{duration 3725}}')).toBe('1:02:05');
    expect(render('{{join list}}|{{join list " / "}}', { list: ['a', 'b'] })).toBe('a, b|a / b');
    expect(render('{{list items}}', { items: ['one', 'two\nlines'] })).toBe('- one\n- two lines');
    expect(render('{{oneline t}}', { t: ' a\n\n b ' })).toBe('a b');
    expect(render('{{cell t}}', { t: 'a|b\nc' })).toBe('a\\|b c');
    expect(render('{{quote t}}', { t: 'a\n\nb' })).toBe('> a\n>\n> b');
    expect(render('{{#each c}}{{letter @index}}{{/each}}', { c: [1, 2, 3] })).toBe('ABC');
    expect(render('{{length a}} {{length s}} {{length n}}', { a: [1, 2], s: 'abc' })).toBe('2 3 0');
    expect(render('{{default x "none"}} {{default y "none"}}', { x: '', y: 'set' })).toBe('none set');
    expect(render('{{upper "abc"}} {{inc 4}}')).toBe('ABC 5');
  });

  test('logic helpers', () => {
    expect(render('{{#if (eq a "x")}}eq{{/if}}{{#if (ne a "y")}} ne{{/if}}', { a: 'x' })).toBe('eq ne');
    expect(render('{{#if (gt 3 2)}}gt{{/if}}{{#if (lt 3 2)}}lt{{/if}}')).toBe('gt');
    expect(render('{{#if (and 1 "a" true)}}and{{/if}}{{#if (or 0 "" x)}}or{{/if}}', { x: 1 })).toBe('andor');
    expect(render('{{#if (not list)}}empty{{/if}}', { list: [] })).toBe('empty');
  });

  test('values are inserted as they are: escaping happens before rendering, once', () => {
    expect(render('{{v}}', { v: 'a=b "q" \'s\'' })).toBe('a=b "q" \'s\'');
  });
});

describe('escapeMarkdownText', () => {
  test.each([
    ['<b>bold</b>', '&lt;b&gt;bold&lt;/b&gt;'],
    ['5 > 3 & 2 < 4', '5 &gt; 3 & 2 &lt; 4'],
    ['&copy; &#169; &#xA9;', '&amp;copy; &amp;#169; &amp;#xA9;'],
    ['`code`', '\\`code\\`'],
    ['\\`', '\\\\\\`'],
    ['~~~\nfence', '\\~~~\nfence'],
    ['a\r\nb\rc', 'a\nb\nc'],
    ['nul\u0000bell\u0007', 'nulbell'],
    ['rtl\u202Eevil', 'rtlevil'],
    ['{{x}} = "y"', '{{x}} = "y"'],
    [
      '[click](javascript:alert(1)) ![](https://tracker.example/p.gif)',
      '[click]\\(javascript:alert(1)) ![]\\(https:\\/\\/tracker.example/p.gif)',
    ],
    ['[ref]: javascript:alert(1)', '[ref\\]: javascript:alert(1)'],
    ['see [[Colour wheel]] and [a] (b)', 'see [[Colour wheel]] and [a] (b)'],
  ])('%j → %j', (input, expected) => {
    expect(escapeMarkdownText(input)).toBe(expected);
  });
});
