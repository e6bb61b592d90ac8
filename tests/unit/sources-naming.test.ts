import { shortHash, slugify, titleFromFileName, titleFromYouTubeId, videoKey } from '../../src/sources/naming';

describe('slugify', () => {
  test.each([
    ['Stage Lighting_Basics (2024)', 'stage-lighting-basics-2024'],
    ['  --Intro--  ', 'intro'],
    ['Über Farbe & Licht', 'über-farbe-licht'],
    ['色彩理论 第1课', '色彩理论-第1课'],
    ['Введение в перспективу', 'введение-в-перспективу'],
    ['नमस्ते दुनिया', 'नमस्ते-दुनिया'],
    ['ＦＵＬＬ　ＷＩＤＴＨ', 'full-width'],
    ['emoji 🎨 palette', 'emoji-palette'],
    ['$$$', ''],
  ])('%j → %j', (text, slug) => {
    expect(slugify(text)).toBe(slug);
  });

  test('decomposed (macOS) and composed names give the same slug', () => {
    expect(slugify('Cafe\u0301 lesson')).toBe(slugify('Café lesson'));
  });

  test('long names are cut at a word boundary, at most 48 characters', () => {
    const slug = slugify('a very long lecture title about the history of stage lighting in european theatre');
    expect(slug.length).toBeLessThanOrEqual(48);
    expect(slug).toBe('a-very-long-lecture-title-about-the-history-of');
    expect(slugify('x'.repeat(100))).toBe('x'.repeat(48));
  });
});

describe('videoKey', () => {
  test('slug plus 6 hex characters of sha1 of the identity', () => {
    expect(shortHash('/videos/a.mp4')).toMatch(/^[0-9a-f]{6}$/);
    expect(videoKey('stage-lighting', '/videos/stage-lighting.mp4')).toBe(
      `stage-lighting-${shortHash('/videos/stage-lighting.mp4')}`,
    );
  });
  test('sha1 by hand: sha1("abc") starts a9993e', () => {
    expect(shortHash('abc')).toBe('a9993e');
    expect(shortHash('abc', 10)).toBe('a9993e3647');
  });
  test('a name without letters or digits still gives a key', () => {
    expect(videoKey('!!!', '/x/!!!.mp4')).toMatch(/^video-[0-9a-f]{6}$/);
  });
  test('same name in two folders gives two keys', () => {
    expect(videoKey('lecture', '/a/lecture.mp4')).not.toBe(videoKey('lecture', '/b/lecture.mp4'));
  });
});

describe('titles', () => {
  test.each([
    ['stage-lighting_basics.mp4', 'Stage lighting basics'],
    ['/videos/week 3/colour.theory.intro.webm', 'Colour theory intro'],
    ['2024-05-01 intro.mp4', '2024-05-01 intro'],
    ['part-1.5-review.mov', 'Part 1.5 review'],
    ['Intro to CSS.mp4', 'Intro to CSS'],
    ['über_farben.mp4', 'Über farben'],
    ['___.mp4', '___'],
    ['noext', 'Noext'],
  ])('%s → %s', (name, title) => {
    expect(titleFromFileName(name)).toBe(title);
  });

  test('YouTube', () => {
    expect(titleFromYouTubeId('dQw4w9WgXcQ')).toBe('YouTube dQw4w9WgXcQ');
  });
});
