import {
  canonicalYouTubeUrl,
  isYouTubeHostUrl,
  isYouTubeUrl,
  parseYouTubeUrl,
  youTubeTimestampUrl,
} from '../../src/sources/youtube';

const ID = 'dQw4w9WgXcQ';
const canonical = `https://www.youtube.com/watch?v=${ID}`;

describe('accepted forms all reduce to the canonical watch URL', () => {
  test.each([
    `https://www.youtube.com/watch?v=${ID}`,
    `http://www.youtube.com/watch?v=${ID}`,
    `https://youtube.com/watch?v=${ID}`,
    `https://m.youtube.com/watch?v=${ID}`,
    `https://music.youtube.com/watch?v=${ID}&feature=share`,
    `https://www.youtube.com/watch?feature=youtu.be&v=${ID}`,
    `https://www.youtube.com/watch?v=${ID}&list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG&index=2`,
    `https://www.youtube.com/watch?v=${ID}&t=42s`,
    `https://www.youtube.com/watch?t=1m2s&v=${ID}#comments`,
    `https://www.youtube.com/watch/?v=${ID}`,
    `https://WWW.YouTube.com/watch?v=${ID}`,
    `https://youtu.be/${ID}`,
    `http://youtu.be/${ID}?t=30`,
    `https://youtu.be/${ID}?si=AbCdEfGh12345678`,
    `https://www.youtube.com/shorts/${ID}`,
    `https://youtube.com/shorts/${ID}?feature=share`,
    `https://www.youtube.com/embed/${ID}?start=10`,
    `https://www.youtube-nocookie.com/embed/${ID}`,
    `https://www.youtube.com/live/${ID}?si=xyz`,
    `https://www.youtube.com/v/${ID}`,
    `youtube.com/watch?v=${ID}`,
    `www.youtube.com/watch?v=${ID}`,
    `youtu.be/${ID}`,
    `  https://youtu.be/${ID}  `,
  ])('%s', (input) => {
    expect(parseYouTubeUrl(input)).toEqual({ videoId: ID, canonicalUrl: canonical });
    expect(isYouTubeUrl(input)).toBe(true);
  });

  test('ids keep their case, dashes and underscores', () => {
    expect(parseYouTubeUrl('https://youtu.be/a-B_c1D2e3F')?.videoId).toBe('a-B_c1D2e3F');
  });
});

describe('refused', () => {
  test.each([
    ['another site', 'https://vimeo.com/123456789'],
    ['a look-alike host', `https://youtube.com.evil.example/watch?v=${ID}`],
    ['a host that merely ends in youtube.com', `https://notyoutube.com/watch?v=${ID}`],
    ['a playlist', 'https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG'],
    ['a channel', 'https://www.youtube.com/@TeachingArt'],
    ['a search', 'https://www.youtube.com/results?search_query=colour+theory'],
    ['the home page', 'https://www.youtube.com/'],
    ['an id that is too short', 'https://youtu.be/abc'],
    ['an id that is too long', `https://www.youtube.com/watch?v=${ID}x`],
    ['an id with bad characters', 'https://www.youtube.com/watch?v=dQw4w9WgXc!'],
    ['watch without v', 'https://www.youtube.com/watch?list=PL123'],
    ['another scheme', `ftp://youtube.com/watch?v=${ID}`],
    ['a javascript: URL', `javascript:alert('youtube.com/watch?v=${ID}')`],
    ['a file path', 'videos/lesson-1.mp4'],
    ['a Windows path', 'C:\\videos\\lesson.mp4'],
    ['a scheme-less other site', `vimeo.com/watch?v=${ID}`],
    ['nonsense', 'not a url at all'],
    ['empty', ''],
  ])('%s: %s', (_label, input) => {
    expect(parseYouTubeUrl(input)).toBeUndefined();
    expect(isYouTubeUrl(input)).toBe(false);
  });
});

test('isYouTubeHostUrl spots YouTube links that are not single videos', () => {
  expect(isYouTubeHostUrl('https://www.youtube.com/playlist?list=PL1')).toBe(true);
  expect(isYouTubeHostUrl('youtu.be/abc')).toBe(true);
  expect(isYouTubeHostUrl('https://vimeo.com/1')).toBe(false);
  expect(isYouTubeHostUrl('lesson.mp4')).toBe(false);
});

describe('youTubeTimestampUrl', () => {
  test.each([
    [0, `${canonical}&t=0s`],
    [75, `${canonical}&t=75s`],
    [75.9, `${canonical}&t=75s`],
    [3725, `${canonical}&t=3725s`],
    [-5, `${canonical}&t=0s`],
    [Number.NaN, `${canonical}&t=0s`],
  ])('%d s → %s', (seconds, url) => {
    expect(youTubeTimestampUrl(ID, seconds)).toBe(url);
  });

  test('canonicalYouTubeUrl', () => {
    expect(canonicalYouTubeUrl(ID)).toBe(canonical);
  });
});
