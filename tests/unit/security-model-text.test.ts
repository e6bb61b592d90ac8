import fs from 'node:fs';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import type { marked as Marked } from 'marked';
import { TemplateRegistry, renderDocument, type DocumentMeta, type LoadedTemplate } from '../../src/templates';

/**
 * Issue point 6: model text cannot make a note load remote content. Every string of each built-in
 * template's sample analysis is replaced, in turn, by hostile text (a link reference definition
 * inside a list item, its `![x][r]` use elsewhere, raw HTML, inline images, bare addresses), the
 * note is rendered, and two common Markdown renderers turn it into HTML: no <img>, no `src`, and no
 * link whose target the model wrote. On the code this started from, `- [r]: https://…` in a list
 * item plus `![x][r]` elsewhere rendered a remote image (a tracking pixel).
 */

// marked ships ESM (which jest cannot require) and a UMD build beside it: load that one by its path.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { marked } = require(path.join(path.dirname(require.resolve('marked/package.json')), 'lib', 'marked.umd.js')) as {
  marked: typeof Marked;
};

const FIXTURES = path.join(__dirname, 'fixtures', 'templates');
const BUILT_INS = ['chinese_transcript', 'comprehensive_lesson', 'quiz', 'summary_report'];
const registry = TemplateRegistry.load([]);
const VIDEO = '/home/teacher/Videos/course pack/intro.mp4';

const HOSTILE = [
  '[r]: https://evil.example/pixel.png',
  '- [r]: https://evil.example/pixel.png',
  '![x][r] and [click][r]',
  'See\n\n[r]: https://evil.example/pixel.png "t"\n\n![x][r]',
  '> [q]: https://evil.example/q.png\n\n![y][q]',
  '<img src="https://evil.example/i.png"> <a href="https://evil.example/a">a</a>',
  '![i](https://evil.example/inline.png) [l](https://evil.example/l)',
  'https://evil.example/bare www.evil.example/w mail me@evil.example now',
  '<https://evil.example/auto>',
  '\\[r\\]: https://evil.example/escaped.png \\![x][r]',
  '[r\n]: https://evil.example/split.png',
];

interface Leaf {
  value: string;
  set: (v: string) => void;
}

/** Every string leaf of a JSON value, with a setter for it. */
function stringLeaves(value: unknown, out: Leaf[] = []): Leaf[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) =>
      typeof v === 'string' ? out.push({ value: v, set: (nv) => (value[i] = nv) }) : stringLeaves(v, out),
    );
  } else if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(obj)) {
      if (typeof v === 'string') out.push({ value: v, set: (nv) => (obj[k] = nv) });
      else stringLeaves(v, out);
    }
  }
  return out;
}

/** The sample analysis with every string the schema lets be free text replaced by hostile text. */
function hostileData(t: LoadedTemplate, shift: number): unknown {
  const data = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${t.name}.json`), 'utf8')) as unknown;
  let replaced = 0;
  stringLeaves(data).forEach((leaf, i) => {
    leaf.set(HOSTILE[(i + shift) % HOSTILE.length]);
    // Enums and formats must stay valid, or the note is not rendered at all: put the original back.
    if (t.schema.safeParse(data).success) replaced++;
    else leaf.set(leaf.value);
  });
  expect(t.schema.safeParse(data).success).toBe(true);
  expect(replaced).toBeGreaterThan(3);
  return data;
}

function meta(t: LoadedTemplate): DocumentMeta {
  return {
    title: 'Intro [r]: https://evil.example/title.png ![t][r]',
    source: VIDEO,
    sourceKind: 'file',
    durationSeconds: 754,
    created: '2026-11-22T05:30:00.000Z',
    templateName: t.name,
    templateVersion: t.manifest.version,
    model: 'gemini-3.5-flash',
    usage: { promptTokens: 1, outputTokens: 1, thoughtsTokens: 0, totalTokens: 2 },
    costUsd: 0,
    mediaResolution: 'default',
    truncated: false,
    contentSha256: 'ab'.repeat(32),
    params: Object.fromEntries(Object.entries(t.manifest.parameters).map(([k, p]) => [k, p.default])),
  };
}

// Hostile settings: raw HTML on, bare-address linking on (as GFM and Obsidian link https:// and www.).
const markdownIt = new MarkdownIt({ html: true, linkify: true });
markdownIt.linkify.set({ fuzzyLink: false });
const renderers: Array<[string, (md: string) => string]> = [
  ['markdown-it', (md) => markdownIt.render(md)],
  ['marked', (md) => marked.parse(md, { async: false, gfm: true })],
];

/** Link targets in the HTML that are not the video's own timestamp links. */
function foreignTargets(html: string): string[] {
  const targets = [...html.matchAll(/<[a-z][^>]*\s(?:href|src)\s*=\s*"([^"]*)"/gi)].map((m) => m[1]);
  return targets.filter((t) => !t.startsWith('file:///home/teacher/Videos/course%20pack/intro.mp4'));
}

describe.each(BUILT_INS)('%s with hostile model text', (name) => {
  test.each(renderers)('rendered by %s: no image, no remote source, no link the model wrote', (_r, render) => {
    const t = registry.get(name);
    for (let shift = 0; shift < HOSTILE.length; shift++) {
      const markdown = renderDocument(t, hostileData(t, shift), meta(t));
      const html = render(markdown.slice(markdown.indexOf('\n---\n') + 5));
      expect(html).not.toMatch(/<img\b/i);
      expect(html).not.toMatch(/<[a-z][^>]*\ssrc\s*=/i); // a real attribute, not the escaped text of one
      expect(foreignTargets(html)).toEqual([]);
      expect(html).not.toContain('evil.example/pixel.png"');
    }
  });
});

test('the hostile text is still there to read, as text', () => {
  const t = registry.get('summary_report');
  const html = markdownIt.render(renderDocument(t, hostileData(t, 1), meta(t)));
  expect(html).toContain('[r]: https://evil.example/pixel.png');
});
