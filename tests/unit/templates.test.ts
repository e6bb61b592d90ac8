import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  TemplateRegistry,
  clockLabel,
  generationSettings,
  parseModelOutput,
  renderDocument,
  renderPrompt,
  timestampUrl,
  type DocumentMeta,
  type LoadedTemplate,
} from '../../src/templates';

const FIXTURES = path.join(__dirname, 'fixtures', 'templates');
const BUILT_INS = ['chinese_transcript', 'comprehensive_lesson', 'quiz', 'summary_report'];
const registry = TemplateRegistry.load([]);

const LOCAL = { source: '/home/teacher/Videos/Art Class (2026)/color-theory-intro.mp4', sourceKind: 'file' as const };
const YOUTUBE = {
  source: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
  sourceKind: 'youtube' as const,
  youtubeVideoId: 'dQw4w9WgXcQ',
};

function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.json`), 'utf8'));
}

function defaults(t: LoadedTemplate): Record<string, unknown> {
  return Object.fromEntries(Object.entries(t.manifest.parameters).map(([k, p]) => [k, p.default]));
}

function meta(t: LoadedTemplate, over: Partial<DocumentMeta> = {}): DocumentMeta {
  return {
    title: 'Colour Theory Basics',
    ...LOCAL,
    durationSeconds: 754,
    created: '2026-11-22T05:30:00.000Z',
    templateName: t.name,
    templateVersion: t.manifest.version,
    model: 'gemini-3.5-flash',
    usage: { promptTokens: 230_000, outputTokens: 4_100, thoughtsTokens: 1_200, totalTokens: 235_300 },
    costUsd: 0.38205,
    mediaResolution: 'default',
    truncated: false,
    contentSha256: 'ab'.repeat(32),
    params: defaults(t),
    ...over,
  };
}

/** Splits a note into its parsed frontmatter and body, the way Obsidian does: first line `---`, next line `---`. */
function splitNote(markdown: string): { front: Record<string, unknown>; body: string } {
  const lines = markdown.split('\n');
  expect(lines[0]).toBe('---');
  const end = lines.indexOf('---', 1);
  expect(end).toBeGreaterThan(0);
  const yaml = lines.slice(1, end).join('\n');
  const front = YAML.parse(yaml) as Record<string, unknown>;
  // Readers on YAML 1.1 (where `12:34` is a number and `yes` a boolean) must see the same values.
  expect(YAML.parse(yaml, { version: '1.1' })).toEqual(front);
  return { front, body: lines.slice(end + 1).join('\n') };
}

/** Every `*seconds` value in the data except range ends, which share their start's link. */
function linkedSeconds(value: unknown, out: number[] = []): number[] {
  if (Array.isArray(value)) value.forEach((v) => linkedSeconds(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (/(^|_)seconds$/.test(k) && k !== 'end_seconds' && typeof v === 'number') out.push(v);
      else linkedSeconds(v, out);
    }
  }
  return out;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('built-in templates', () => {
  test('all four load without problems', () => {
    expect(registry.names()).toEqual(expect.arrayContaining(BUILT_INS));
    for (const name of BUILT_INS) {
      expect(registry.problems([name])).toEqual([]);
      const summary = registry.list().find((s) => s.name === name);
      expect(summary).toMatchObject({ origin: 'built-in', problems: [] });
      expect(summary?.version).toMatch(/^\d+\.\d+\.\d+$/);
    }
  });

  test('summary_report declares max_length and focus_areas', () => {
    const p = registry.get('summary_report').manifest.parameters;
    expect(p.max_length).toMatchObject({ type: 'integer', default: 300 });
    expect(p.focus_areas).toMatchObject({ type: 'list', default: [] });
  });

  test('unknown template names list the available ones', () => {
    expect(() => registry.get('lesson')).toThrow(
      /Unknown template "lesson"\. Available templates: .*comprehensive_lesson.*summary_report/,
    );
  });

  test.each(BUILT_INS)('%s: fixture answer parses against the schema', (name) => {
    const result = parseModelOutput(registry.get(name), JSON.stringify(fixture(name)));
    expect(result).toEqual({ ok: true, data: expect.anything() });
  });

  test.each([
    ['comprehensive_lesson', LOCAL, 754],
    ['summary_report', YOUTUBE, 3910],
    ['chinese_transcript', LOCAL, 754],
    ['quiz', YOUTUBE, 3910],
  ] as const)('%s: Markdown matches the snapshot', (name, source, duration) => {
    const t = registry.get(name);
    const markdown = renderDocument(t, fixture(name), meta(t, { ...source, durationSeconds: duration }));
    expect(markdown).toMatchSnapshot();
  });

  test.each(BUILT_INS)('%s: prompt uses the video metadata and the parameters', (name) => {
    const t = registry.get(name);
    const params = defaults(t);
    const { prompt, systemInstruction } = renderPrompt(t, {
      video: { title: 'Stage Lighting Basics', source: YOUTUBE.source, sourceKind: 'youtube', durationSeconds: 1234 },
      params,
    });
    expect(prompt).toContain('Stage Lighting Basics');
    expect(prompt).toContain('20:34');
    expect(prompt).toContain('1234');
    expect(prompt).toContain(YOUTUBE.source);
    expect(prompt).not.toMatch(/\{\{|\}\}/);
    expect(prompt).not.toMatch(/\n{3,}/);
    expect(systemInstruction).toEqual(expect.stringContaining('JSON'));
    for (const value of Object.values(params)) {
      if (typeof value === 'number') expect(prompt).toContain(String(value));
    }
  });

  test('prompts follow parameter values', () => {
    const summary = registry.get('summary_report');
    const withFocus = renderPrompt(summary, {
      video: { title: 'T', source: '/v/t.mp4', sourceKind: 'file', durationSeconds: 60 },
      params: { max_length: 150, focus_areas: ['technique', 'safety'] },
    }).prompt;
    expect(withFocus).toContain('at most 150 words');
    expect(withFocus).toContain('technique, safety');
    const noFocus = renderPrompt(summary, {
      video: { title: 'T', source: '/v/t.mp4', sourceKind: 'file' },
      params: { max_length: 300, focus_areas: [] },
    }).prompt;
    expect(noFocus).toContain('leave focus_areas empty');
    expect(noFocus).toContain('Length: unknown');
    expect(noFocus).not.toContain('/v/t.mp4'); // a local path tells the model nothing and may be private

    const quiz = registry.get('quiz');
    const quizPrompt = renderPrompt(quiz, {
      video: { title: 'T', source: '/v/t.mp4', sourceKind: 'file', durationSeconds: 60 },
      params: { question_count: 7, difficulty: 'hard', question_types: ['true_false'], include_answer_key: true },
    }).prompt;
    expect(quizPrompt).toContain('Exactly 7 questions');
    expect(quizPrompt).toContain('all questions hard');
    expect(quizPrompt).toContain('only true_false.');

    const zh = registry.get('chinese_transcript');
    const zhPrompt = renderPrompt(zh, {
      video: { title: 'T', source: '/v/t.mp4', sourceKind: 'file', durationSeconds: 60 },
      params: { speakers: ['Maya', 'Leo'], paragraph_seconds: 30, include_on_screen: false },
    }).prompt;
    expect(zhPrompt).toContain('Maya、Leo');
    expect(zhPrompt).toContain('不超过 30 秒');
    expect(zhPrompt).toContain('on_screen：一律为 null');
  });

  test('a clip prompt says which part is shown and keeps timestamps absolute', () => {
    const t = registry.get('comprehensive_lesson');
    const { prompt } = renderPrompt(t, {
      video: { title: 'Long lecture', source: '/v/l.mp4', sourceKind: 'file', durationSeconds: 7200 },
      params: defaults(t),
      clip: { startSeconds: 3600, endSeconds: 5400, index: 1, count: 4 },
    });
    expect(prompt).toContain('part 2 of 4');
    expect(prompt).toContain('from 1:00:00 to 1:30:00');
    expect(prompt).toContain('between 3600 and 5400');
  });

  test('generation settings carry the manifest model settings and the Gemini schema', () => {
    const t = registry.get('chinese_transcript');
    expect(generationSettings(t)).toEqual({
      temperature: 0.2,
      maxOutputTokens: 65536,
      responseMimeType: 'application/json',
      responseJsonSchema: t.responseJsonSchema,
    });
  });
});

describe('frontmatter', () => {
  test('is valid YAML with every field Obsidian needs', () => {
    const t = registry.get('comprehensive_lesson');
    const { front, body } = splitNote(renderDocument(t, fixture(t.name), meta(t, { subject: 'Art', truncated: true })));
    expect(front).toEqual({
      title: 'Colour Theory Basics',
      subject: 'Art',
      source: LOCAL.source,
      source_kind: 'file',
      duration: 754,
      duration_label: '12:34',
      created: '2026-11-22T05:30:00.000Z',
      template: 'comprehensive_lesson',
      template_version: '1.0.0',
      model: 'gemini-3.5-flash',
      media_resolution: 'default',
      tags: ['lesson-plan', 'lesson-forge'],
      tokens: { prompt: 230000, output: 4100, thoughts: 1200, total: 235300 },
      cost_usd: 0.38205,
      truncated: true,
      content_sha256: 'ab'.repeat(32),
    });
    expect(body).toMatch(/^\n> \[!warning\] Incomplete/);
  });

  test('leaves out what is unknown or false, and keeps YouTube URLs', () => {
    const t = registry.get('summary_report');
    const { front } = splitNote(
      renderDocument(
        t,
        fixture(t.name),
        meta(t, {
          ...YOUTUBE,
          durationSeconds: undefined,
          costUsd: 0.1 + 0.2,
          usage: { promptTokens: 1, outputTokens: 2, thoughtsTokens: 0, totalTokens: 3 },
        }),
      ),
    );
    expect(front.source).toBe(YOUTUBE.source);
    expect(front.source_kind).toBe('youtube');
    expect(front).not.toHaveProperty('duration');
    expect(front).not.toHaveProperty('duration_label');
    expect(front).not.toHaveProperty('truncated');
    expect(front).not.toHaveProperty('subject');
    expect(front.tokens).toEqual({ prompt: 1, output: 2, total: 3 });
    expect(front.cost_usd).toBe(0.3);
    expect(front.tags).toEqual(['summary', 'lesson-forge']);
  });

  test('a Chinese note gets a Chinese truncation notice', () => {
    const t = registry.get('chinese_transcript');
    expect(renderDocument(t, fixture(t.name), meta(t, { truncated: true }))).toContain('> [!warning] 内容不完整');
  });
});

describe('timestamp links', () => {
  test.each(
    BUILT_INS.flatMap(
      (name) =>
        [
          [name, 'youtube'],
          [name, 'file'],
        ] as const,
    ),
  )('%s (%s): every timestamp is a link to that second', (name, kind) => {
    const t = registry.get(name);
    const source = kind === 'youtube' ? YOUTUBE : LOCAL;
    const markdown = renderDocument(t, fixture(name), meta(t, { ...source, durationSeconds: 754 }));
    const seconds = linkedSeconds(fixture(name));
    expect(seconds.length).toBeGreaterThan(2);
    for (const s of seconds) {
      const url =
        kind === 'youtube'
          ? `https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=${s}s`
          : `${'file:///home/teacher/Videos/Art%20Class%20%282026%29/color-theory-intro.mp4'}#t=${s}`;
      const link = new RegExp(`\\[(\\\\\\[)?${escapeRe(clockLabel(s))}(–[0-9:]+)?(\\\\\\])?\\]\\(${escapeRe(url)}\\)`);
      expect(markdown).toMatch(link);
    }
    // And nothing that looks like a generated timestamp label is left without a link.
    const labels = [
      ...markdown.matchAll(/\[(?:\\\[)?(\d{1,2}:\d{2}(?::\d{2})?)(?:–[0-9:]+)?(?:\\\])?\](\(([^)]*)\))?/g),
    ];
    for (const m of labels) expect(m[2]).toBeDefined();
  });

  test('labels switch to H:MM:SS for videos of an hour or more', () => {
    const t = registry.get('summary_report');
    const markdown = renderDocument(t, fixture(t.name), meta(t, { ...YOUTUBE, durationSeconds: 3910 }));
    expect(markdown).toContain('[0:01:35](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=95s)');
  });

  test('URL forms for YouTube and local files on each platform', () => {
    expect(timestampUrl({ sourceKind: 'youtube', source: 'https://youtu.be/dQw4w9WgXcQ' }, 61.7)).toBe(
      'https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=61s',
    );
    expect(timestampUrl({ sourceKind: 'file', source: '/a b/ü(1).mp4' }, 5)).toBe(
      'file:///a%20b/%C3%BC%281%29.mp4#t=5',
    );
    expect(timestampUrl({ sourceKind: 'file', source: 'C:\\Users\\Ana\\Vídeos\\clase 1.mp4' }, 5)).toBe(
      'file:///C:/Users/Ana/V%C3%ADdeos/clase%201.mp4#t=5',
    );
    expect(timestampUrl({ sourceKind: 'file', source: '\\\\nas\\share\\v.mp4' }, 0)).toBe('file://nas/share/v.mp4#t=0');
    expect(clockLabel(5)).toBe('00:05');
    expect(clockLabel(3600)).toBe('1:00:00');
    expect(clockLabel(65, true)).toBe('0:01:05');
  });
});

describe('model text cannot break or run anything', () => {
  const hostile = [
    '{{params.max_length}} and {{video.title}} and {{{data.summary}}}',
    '<script>alert("x")</script> <img src=x onerror=alert(1)> <% tp.file.title %>',
    '---\ntitle: hacked\n---',
    'key: value # not a comment & *anchor !tag | > \' " % @ `code` [[link]] a=b',
    '```dataviewjs\ndv.paragraph("run")\n```',
    '\\`$= dv.current()\\`',
    'Q&A &amp; &#60;b&#62; R&D',
  ];
  const data = {
    main_topic: hostile[0],
    summary: hostile.join('\n\n'),
    key_points: hostile.slice(0, 3).map((text, i) => ({ seconds: i, point: text, explanation: hostile[3] })),
    focus_areas: [],
    top_moments: [{ seconds: 1, title: hostile[2], description: hostile[1] }],
    conclusion: hostile[4],
  };
  const t = registry.get('summary_report');
  const title = '---\ntitle: hacked\n--- <b>Bold</b> {{x}} "quoted": yes';
  const markdown = renderDocument(
    t,
    data,
    meta(t, { title, subject: 'no: really\n---', params: { max_length: 300, focus_areas: ['<i>x</i>'] } }),
  );
  const { front, body } = splitNote(markdown);

  test('the frontmatter holds exactly our fields and the title round-trips', () => {
    expect(front.title).toBe(title);
    expect(front.subject).toBe('no: really\n---');
    expect(Object.keys(front)).toEqual([
      'title',
      'subject',
      'source',
      'source_kind',
      'duration',
      'duration_label',
      'created',
      'template',
      'template_version',
      'model',
      'media_resolution',
      'tags',
      'tokens',
      'cost_usd',
      'content_sha256',
    ]);
    // The block ends where we ended it: the body starts with the note's heading.
    expect(body.startsWith('\n# --- title: hacked --- &lt;b&gt;Bold&lt;/b&gt; {{x}} "quoted": yes: summary\n')).toBe(
      true,
    );
  });

  test('mustaches from the model are not rendered again', () => {
    expect(body).toContain('{{params.max_length}} and {{video.title}} and {{{data.summary}}}');
    expect(body).toContain('{{x}}');
  });

  test('HTML and Templater tags are neutralised; = and quotes are left alone', () => {
    expect(body).not.toMatch(/<script|<img|<%|<b>|<i>/);
    expect(body).toContain('&lt;script&gt;alert("x")&lt;/script&gt;');
    expect(body).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(body).toContain('a=b');
    expect(body).not.toMatch(/&#x3D;|&quot;|&#x27;|&#39;/);
  });

  test('ampersands are escaped only where they would form an entity', () => {
    expect(body).toContain('Q&A &amp;amp; &amp;#60;b&amp;#62; R&D');
  });

  test('code fences and inline code cannot form (Dataview runs those)', () => {
    expect(body).not.toMatch(/(^|[^\\])```/m);
    expect(body).toContain('\\`\\`\\`dataviewjs');
    expect(body).toContain('\\\\\\`$= dv.current()\\\\\\`');
  });

  test('a model line of --- stays in the body', () => {
    expect(body).toContain('\n---\ntitle: hacked\n---\n');
  });

  test('inline fields stay on one line', () => {
    expect(body).toMatch(/^1\. \*\*\{\{params\.max_length\}\}.*\*\* \(\[00:00\]/m);
    expect(body).toMatch(/^2\. \*\*&lt;script&gt;.*&lt;% tp\.file\.title %&gt;\*\* \(\[00:01\]/m);
    expect(body).toMatch(/^3\. \*\*--- title: hacked ---\*\* \(\[00:02\]/m);
  });
});
