import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { SourceError, discoverVideos, type DiscoverOptions } from '../../src/sources/discover';
import { shortHash } from '../../src/sources/naming';
import { type VideoItem } from '../../src/types';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lf-discover-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** Creates files (content irrelevant: discovery goes by name) under a fresh folder. */
async function tree(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const root = path.join(tmp, name);
  for (const [relative, content] of Object.entries(files)) {
    const file = path.join(root, relative);
    if (relative.endsWith('/')) {
      await mkdir(file, { recursive: true });
    } else {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
    }
  }
  await mkdir(root, { recursive: true });
  return root;
}

const paths = (items: VideoItem[]): string[] =>
  items.map((item) => (item.source.kind === 'file' ? item.source.path : item.source.url));
const names = (items: VideoItem[], root: string): string[] =>
  paths(items).map((p) => path.relative(root, p).split(path.sep).join('/'));

async function sourceError(opts: DiscoverOptions): Promise<SourceError> {
  try {
    await discoverVideos(opts);
  } catch (err) {
    expect(err).toBeInstanceOf(SourceError);
    return err as SourceError;
  }
  throw new Error('discovery succeeded');
}

const transportStream = Buffer.alloc(188 * 3, 0);
[0, 188, 376].forEach((at) => (transportStream[at] = 0x47));

describe('a folder', () => {
  let root: string;
  beforeAll(async () => {
    root = await tree('flat', {
      'a.mp4': 'x',
      'Lesson 10.mp4': 'x',
      'Lesson 2.mp4': 'x',
      'B.MOV': 'x',
      'notes.txt': 'x',
      'slides.pdf': 'x',
      README: 'x',
      'show.mkv': 'x',
      'helper.ts': 'export const x = 1;\n',
      'recording.ts': transportStream,
      '.hidden.mp4': 'x',
      '._a.mp4': 'x',
      'Thumbs.db': 'x',
      'desktop.ini': 'x',
      'sub/nested.mp4': 'x',
      'sub/deeper/deep.webm': 'x',
      '.git/objects/x.mp4': 'x',
      '.lesson-forge/work/y.mp4': 'x',
    });
  });

  test('top level only by default, in natural order', async () => {
    const { items } = await discoverVideos({ inputs: [root] });
    expect(names(items, root)).toEqual(['a.mp4', 'B.MOV', 'Lesson 2.mp4', 'Lesson 10.mp4', 'recording.ts']);
  });

  test('non-videos are skipped with the reason; hidden and system files are ignored silently', async () => {
    const { skipped } = await discoverVideos({ inputs: [root] });
    expect(skipped.map((s) => ({ ...s, entry: path.relative(root, s.entry) }))).toEqual([
      { entry: 'helper.ts', reason: 'not a video file (.ts that is not an MPEG transport stream)' },
      { entry: 'notes.txt', reason: 'not a video file (.txt)' },
      { entry: 'README', reason: 'not a video file (no extension)' },
      {
        entry: 'show.mkv',
        reason: expect.stringMatching(/^Matroska \(\.mkv\) videos are not accepted by Gemini: convert it/),
      },
      { entry: 'slides.pdf', reason: 'not a video file (.pdf)' },
    ]);
  });

  test('recursive walks subfolders but not hidden ones (.git, .lesson-forge)', async () => {
    const { items } = await discoverVideos({ inputs: [root], recursive: true });
    expect(names(items, root)).toEqual([
      'a.mp4',
      'B.MOV',
      'Lesson 2.mp4',
      'Lesson 10.mp4',
      'recording.ts',
      'sub/deeper/deep.webm',
      'sub/nested.mp4',
    ]);
  });

  test('items carry key, title and an absolute file source', async () => {
    const { items } = await discoverVideos({ inputs: [root] });
    const lesson = items.find((item) => item.title === 'Lesson 10');
    const file = path.join(root, 'Lesson 10.mp4');
    expect(lesson).toEqual({
      key: `lesson-10-${shortHash(file)}`,
      title: 'Lesson 10',
      source: { kind: 'file', path: file },
    });
  });

  test('relative inputs resolve against cwd', async () => {
    const { items } = await discoverVideos({ inputs: ['flat'], cwd: tmp });
    expect(paths(items)[0]).toBe(path.join(root, 'a.mp4'));
  });

  test('the same result on every run (keys are stable)', async () => {
    const first = await discoverVideos({ inputs: [root], recursive: true });
    const second = await discoverVideos({ inputs: [root], recursive: true });
    expect(second).toEqual(first);
    for (const item of first.items) expect(item.key).toMatch(/^[\p{Ll}\p{Lo}\p{N}-]+-[0-9a-f]{6}$/u);
  });

  test('ignoreDirs keeps an output folder inside the input out of the scan', async () => {
    const { items } = await discoverVideos({ inputs: [root], recursive: true, ignoreDirs: [path.join(root, 'sub')] });
    expect(names(items, root)).not.toContain('sub/nested.mp4');
  });
});

describe('include and exclude globs (relative to the scanned folder)', () => {
  let root: string;
  beforeAll(async () => {
    root = await tree('globs', {
      'week-1/intro.mp4': 'x',
      'week-1/intro-draft.mp4': 'x',
      'week-2/perspective.webm': 'x',
      'drafts/old.mp4': 'x',
      'top.mp4': 'x',
      'top.avi': 'x',
      'notes.txt': 'x',
    });
  });
  const scan = (include: string[], exclude: string[] = []): Promise<string[]> =>
    discoverVideos({ inputs: [root], recursive: true, include, exclude }).then(({ items }) => names(items, root));

  test('a pattern without a slash matches names at any depth', async () => {
    expect(await scan(['*.mp4'])).toEqual(['drafts/old.mp4', 'top.mp4', 'week-1/intro-draft.mp4', 'week-1/intro.mp4']);
  });
  test('a pattern with a slash matches from the folder', async () => {
    expect(await scan(['week-*/**'])).toEqual([
      'week-1/intro-draft.mp4',
      'week-1/intro.mp4',
      'week-2/perspective.webm',
    ]);
  });
  test('exclude by name, and a whole folder pruned', async () => {
    expect(await scan([], ['*draft*', 'drafts/**'])).toEqual([
      'top.avi',
      'top.mp4',
      'week-1/intro.mp4',
      'week-2/perspective.webm',
    ]);
  });
  test('filtered-out files are not reported as skipped', async () => {
    const { skipped } = await discoverVideos({ inputs: [root], include: ['*.mp4'] });
    expect(skipped).toEqual([]);
  });
  test('filters that leave nothing explain themselves', async () => {
    const err = await sourceError({ inputs: [root], include: ['*.mov'] });
    expect(err.message).toMatch(
      /^No video in .*globs matches the filters \(--include \*\.mov\): 3 files filtered out\./,
    );
  });
});

describe('symbolic links', () => {
  let root: string;
  beforeAll(async () => {
    root = await tree('links', { 'real/clip.mp4': 'x', 'real/inner/more.mp4': 'x' });
    await symlink('..', path.join(root, 'real', 'inner', 'loop-to-parent'));
    await symlink(path.join(root, 'real'), path.join(root, 'real-again'));
    await symlink(path.join(root, 'real', 'clip.mp4'), path.join(root, 'alias.mp4'));
    await symlink(path.join(root, 'nowhere.mp4'), path.join(root, 'broken.mp4'));
  });

  test('loops terminate and each folder is walked once', async () => {
    const { items, skipped } = await discoverVideos({ inputs: [root], recursive: true });
    const found = names(items, root);
    // Each real folder appears under exactly one of its names; a file is one video whatever links
    // lead to it (device and inode), kept under its first name in natural order.
    expect(found.filter((name) => name.endsWith('clip.mp4'))).toEqual([]);
    expect(found.filter((name) => name.endsWith('more.mp4'))).toHaveLength(1);
    expect(found).toContain('alias.mp4');
    expect(skipped).toEqual([{ entry: path.join(root, 'broken.mp4'), reason: 'broken symbolic link' }]);
  });

  test('without --recursive a linked folder is not entered', async () => {
    const { items } = await discoverVideos({ inputs: [root] });
    expect(names(items, root)).toEqual(['alias.mp4']);
  });
});

describe('video files and YouTube links as inputs', () => {
  let root: string;
  beforeAll(async () => {
    root = await tree('mixed', { 'stage-lighting_basics.mp4': 'x', 'colour.webm': 'x', 'notes.txt': 'x' });
  });

  test('a file, a folder and links together; duplicates collapse', async () => {
    const { items } = await discoverVideos({
      inputs: [
        path.join(root, 'stage-lighting_basics.mp4'),
        root,
        './mixed/./stage-lighting_basics.mp4',
        'https://youtu.be/dQw4w9WgXcQ?t=5',
        'https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL1',
        'youtube.com/shorts/dQw4w9WgXcQ',
        'https://www.youtube.com/watch?v=abcdefghijk',
      ],
      cwd: tmp,
    });
    expect(items).toHaveLength(4);
    expect(items.find((i) => i.source.kind === 'file' && i.source.path.endsWith('basics.mp4'))?.title).toBe(
      'Stage lighting basics',
    );
    const youtube = items.filter((i) => i.source.kind === 'youtube');
    expect(youtube).toEqual([
      {
        key: `youtube-abcdefghijk-${shortHash('https://www.youtube.com/watch?v=abcdefghijk')}`,
        title: 'YouTube abcdefghijk',
        source: { kind: 'youtube', url: 'https://www.youtube.com/watch?v=abcdefghijk', videoId: 'abcdefghijk' },
      },
      {
        key: `youtube-dqw4w9wgxcq-${shortHash('https://www.youtube.com/watch?v=dQw4w9WgXcQ')}`,
        title: 'YouTube dQw4w9WgXcQ',
        source: { kind: 'youtube', url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ', videoId: 'dQw4w9WgXcQ' },
      },
    ]);
  });

  test('a file:// URL is a path', async () => {
    const { items } = await discoverVideos({ inputs: [pathToFileURL(path.join(root, 'colour.webm')).href] });
    expect(paths(items)).toEqual([path.join(root, 'colour.webm')]);
    expect((await sourceError({ inputs: ['file://remote-host/share/x.mp4'] })).message).toMatch(
      /is not a usable file:\/\/ link/,
    );
  });

  test('a file name with spaces, quotes and unicode', async () => {
    const odd = await tree('odd', { "Ünïcode 'quoted' $(x) #1.mp4": 'x', '色彩理论 第1课.mp4': 'x' });
    const { items } = await discoverVideos({ inputs: [odd] });
    expect(items.map((i) => i.title)).toEqual(["Ünïcode 'quoted' $(x) #1", '色彩理论 第1课']);
    expect(items[1]?.key).toMatch(/^色彩理论-第1课-[0-9a-f]{6}$/);
    expect(items[0]?.key).toMatch(/^ünïcode-quoted-x-1-[0-9a-f]{6}$/);
  });
});

describe('list files', () => {
  let root: string;
  beforeAll(async () => {
    root = await tree('lists', { 'videos/one.mp4': 'x', 'videos/two.mov': 'x', 'more/three.webm': 'x', 'lists/': '' });
  });

  test('one entry per line; comments, blanks, BOM, CRLF and quotes handled; paths relative to the list', async () => {
    const list = path.join(root, 'lists', 'batch.txt');
    await writeFile(
      list,
      '\uFEFF# week 1\r\n\r\n../videos/one.mp4\r\n  "../videos/two.mov"  \r\n# a folder:\r\n../more\r\nhttps://youtu.be/dQw4w9WgXcQ\r\n',
    );
    const { items } = await discoverVideos({ inputs: [], listFiles: [list] });
    expect(paths(items)).toEqual([
      path.join(root, 'more', 'three.webm'),
      path.join(root, 'videos', 'one.mp4'),
      path.join(root, 'videos', 'two.mov'),
      'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    ]);
  });

  test('list file paths resolve against cwd; list entries and inputs deduplicate', async () => {
    const list = path.join(root, 'lists', 'dup.txt');
    await writeFile(list, '../videos/one.mp4\n../videos/one.mp4\n');
    const { items } = await discoverVideos({
      inputs: [path.join(root, 'videos', 'one.mp4')],
      listFiles: ['lists/dup.txt'],
      cwd: root,
    });
    expect(items).toHaveLength(1);
  });

  test('~ means the home folder', async () => {
    const list = path.join(root, 'lists', 'home.txt');
    await writeFile(list, '~/videos/one.mp4\n');
    const homedir = jest.spyOn(os, 'homedir').mockReturnValue(root);
    try {
      const { items } = await discoverVideos({ inputs: [], listFiles: [list] });
      expect(paths(items)).toEqual([path.join(root, 'videos', 'one.mp4')]);
    } finally {
      homedir.mockRestore();
    }
  });

  test.each([
    [
      'a missing file',
      'ok\n../videos/one.mp4\n../videos/missing.mp4\n',
      /^.*bad\.txt line 3: \.\.\/videos\/missing\.mp4 does not exist \(looked for .*missing\.mp4\)/,
    ],
    [
      'a non-YouTube link',
      '# x\nhttps://vimeo.com/12345\n',
      /bad\.txt line 2: https:\/\/vimeo\.com\/12345 is not a YouTube link: only public YouTube links are supported/,
    ],
    [
      'a non-video file',
      '../videos/one.mp4\nnotes.txt\n',
      /bad\.txt line 2: notes\.txt is a file, not a folder of videos/,
    ],
  ])('%s is an error with its line number', async (_label, content, message) => {
    const list = path.join(root, 'lists', 'bad.txt');
    await writeFile(path.join(root, 'lists', 'notes.txt'), 'x');
    await writeFile(list, content.replace(/^ok\n/, '# ok\n'));
    const err = await sourceError({ inputs: [], listFiles: [list] });
    expect(err.message).toMatch(message);
  });

  test('a missing list file', async () => {
    const err = await sourceError({ inputs: [], listFiles: ['nope.txt'], cwd: root });
    expect(err.message).toBe(`the list file nope.txt does not exist (looked for ${path.join(root, 'nope.txt')}).`);
  });

  test('a folder given as a list file', async () => {
    const err = await sourceError({ inputs: [], listFiles: [path.join(root, 'videos')] });
    expect(err.message).toMatch(/is a folder, not a list file: pass it as an input instead of with --list\./);
  });

  test('a list with only comments', async () => {
    const list = path.join(root, 'lists', 'empty.txt');
    await writeFile(list, '# nothing yet\n\n   \n');
    const err = await sourceError({ inputs: [], listFiles: [list] });
    expect(err.message).toMatch(/has no entries: put one video path, folder or YouTube link per line/);
  });
});

describe('errors that stop the batch say what to do', () => {
  test('nothing given', async () => {
    expect((await sourceError({ inputs: ['  '] })).message).toBe(
      'Nothing to process: pass a folder, a video file or a YouTube link, or use --list for a list file.',
    );
  });

  test('a path that does not exist', async () => {
    const err = await sourceError({ inputs: ['no-such-folder'], cwd: tmp });
    expect(err.message).toBe(
      `no-such-folder does not exist (looked for ${path.join(tmp, 'no-such-folder')}): check the spelling, and quote paths that contain spaces.`,
    );
    expect(err.input).toBe('no-such-folder');
  });

  test('a scheme-less link to another site gets a hint', async () => {
    const err = await sourceError({ inputs: ['vimeo.com/12345'], cwd: tmp });
    expect(err.message).toMatch(/does not exist .* If it is a web link, only public YouTube links are supported\.$/);
  });

  test('a non-video file where a folder or video was expected', async () => {
    const root = await tree('notes-input', { 'notes.txt': 'x' });
    const err = await sourceError({ inputs: [path.join(root, 'notes.txt')] });
    expect(err.message).toBe(
      'notes.txt is a file, not a folder of videos: pass a folder, a video file, a YouTube link, or use --list for a list file.',
    );
  });

  test('an MKV given directly gets the conversion advice', async () => {
    const root = await tree('mkv-input', { 'show.mkv': 'x' });
    const err = await sourceError({ inputs: [path.join(root, 'show.mkv')] });
    expect(err.message).toMatch(
      /show\.mkv: Matroska \(\.mkv\) videos are not accepted by Gemini: convert it to \.mp4 or \.webm/,
    );
  });

  test('an empty folder', async () => {
    const root = await tree('empty-folder', {});
    expect((await sourceError({ inputs: [root] })).message).toBe(
      `${root} is an empty folder: put videos in it, or pass another folder.`,
    );
  });

  test('a folder with only hidden files counts as empty', async () => {
    const root = await tree('hidden-only', { '.DS_Store': 'x', '.hidden.mp4': 'x' });
    expect((await sourceError({ inputs: [root] })).message).toMatch(/is an empty folder/);
  });

  test('a folder of non-videos lists what it found', async () => {
    const root = await tree('no-videos', {
      'a.txt': 'x',
      'b.pdf': 'x',
      'c.png': 'x',
      'd.doc': 'x',
      'e.md': 'x',
      'f.csv': 'x',
      'g.key': 'x',
    });
    const err = await sourceError({ inputs: [root] });
    expect(err.message).toMatch(
      new RegExp(
        `^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has no videos: found 7 other files \\(a\\.txt, b\\.pdf, c\\.png, d\\.doc, e\\.md and 2 more\\)\\. Video types taken: \\.mp4 `,
      ),
    );
  });

  test('videos only in subfolders: suggests --recursive', async () => {
    const root = await tree('only-sub', { 'week-1/a.mp4': 'x', 'week-2/b.mp4': 'x' });
    expect((await sourceError({ inputs: [root] })).message).toBe(
      `${root} has no videos at its top level. It has 2 subfolders: add --recursive to scan them.`,
    );
    await expect(discoverVideos({ inputs: [root], recursive: true })).resolves.toMatchObject({ items: [{}, {}] });
  });

  test('a non-YouTube link', async () => {
    const err = await sourceError({ inputs: ['https://example.com/lesson.mp4'] });
    expect(err.message).toBe(
      'https://example.com/lesson.mp4 is not a YouTube link: only public YouTube links are supported. Download the video and pass the file instead.',
    );
  });

  test('a YouTube playlist', async () => {
    const err = await sourceError({ inputs: ['https://www.youtube.com/playlist?list=PL123'] });
    expect(err.message).toMatch(
      /is a YouTube link but not to a single video \(playlists, channels and searches are not supported\)/,
    );
  });

  test('a scheme-less youtu.be link is a link unless such a file exists', async () => {
    const { items } = await discoverVideos({ inputs: ['youtu.be/dQw4w9WgXcQ'], cwd: tmp });
    expect(items[0]?.source).toEqual({
      kind: 'youtube',
      url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
      videoId: 'dQw4w9WgXcQ',
    });
  });
});

describe('scale', () => {
  test('10,000 files in nested folders are scanned quickly, with unique keys', async () => {
    const root = path.join(tmp, 'many');
    const writes: Array<Promise<void>> = [];
    for (let folder = 0; folder < 10; folder++) {
      await mkdir(path.join(root, `term-${folder}`), { recursive: true });
      for (let i = 0; i < 1000; i++) writes.push(writeFile(path.join(root, `term-${folder}`, `lecture ${i}.mp4`), ''));
    }
    await Promise.all(writes);
    await writeFile(path.join(root, 'term-0', 'index.html'), '');

    const started = performance.now();
    const { items, skipped } = await discoverVideos({ inputs: [root], recursive: true });
    const elapsed = performance.now() - started;

    expect(items).toHaveLength(10_000);
    expect(skipped).toHaveLength(1);
    expect(new Set(items.map((i) => i.key)).size).toBe(10_000);
    expect(names(items.slice(0, 3), root)).toEqual([
      'term-0/lecture 0.mp4',
      'term-0/lecture 1.mp4',
      'term-0/lecture 2.mp4',
    ]);
    expect(elapsed).toBeLessThan(3000);
  });

  test('a clash of name and 6-hex hash gets a longer hash', async () => {
    // Find two folders whose `lecture.mp4` paths share the first 6 hex digits of sha1 (birthday search).
    const base = path.join(tmp, 'clash');
    const seen = new Map<string, number>();
    let pair: [number, number] | undefined;
    for (let i = 0; !pair && i < 200_000; i++) {
      const prefix = shortHash(path.join(base, String(i), 'lecture.mp4'));
      const earlier = seen.get(prefix);
      if (earlier !== undefined) pair = [earlier, i];
      else seen.set(prefix, i);
    }
    if (!pair) throw new Error('no clash found');
    for (const i of pair) {
      await mkdir(path.join(base, String(i)), { recursive: true });
      await writeFile(path.join(base, String(i), 'lecture.mp4'), '');
    }
    const { items } = await discoverVideos({ inputs: [base], recursive: true });
    const keys = items.map((i) => i.key);
    expect(new Set(keys).size).toBe(2);
    expect(keys[0]).toMatch(/^lecture-[0-9a-f]{6}$/);
    expect(keys[1]).toMatch(/^lecture-[0-9a-f]{10}$/);
  });
});
