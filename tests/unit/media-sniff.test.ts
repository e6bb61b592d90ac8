import { truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sniffBytes, sniffVideoFile } from '../../src/media/sniff';
import { GEMINI_VIDEO_MIME_TYPES, extensionOf, isVideoFileName } from '../../src/media/formats';
import { mediaFixtures as fixtures, samples, useScratchDir } from '../support/media-files';

const scratch = useScratchDir('lf-sniff-');

const bytes = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : Buffer.from(part))));
/** An ISO-BMFF ftyp box with the given major and compatible brands. */
const ftyp = (major: string, ...compatible: string[]): Buffer => {
  const size = 16 + 4 * compatible.length;
  return bytes([0, 0, 0, size], 'ftyp', major, [0, 0, 2, 0], compatible.join(''), [0, 0, 0, 8], 'free');
};

describe('real files (generated with ffmpeg, and the samples)', () => {
  test.each([
    [path.join(samples, 'color-theory-intro.mp4'), 'mp4', 'video/mp4'],
    [path.join(samples, 'stage-lighting-basics.mp4'), 'mp4', 'video/mp4'],
    [path.join(samples, 'perspective-drawing.webm'), 'webm', 'video/webm'],
    [path.join(fixtures, 'tiny.mov'), 'mov', 'video/mov'],
    [path.join(fixtures, 'tiny.m4v'), 'm4v', 'video/mp4'],
    [path.join(fixtures, 'tiny.3gp'), '3gp', 'video/3gpp'],
    [path.join(fixtures, 'tiny.avi'), 'avi', 'video/avi'],
    [path.join(fixtures, 'tiny.flv'), 'flv', 'video/x-flv'],
    [path.join(fixtures, 'tiny.mpg'), 'mpeg-ps', 'video/mpeg'],
    [path.join(fixtures, 'tiny.ts'), 'mpeg-ts', 'video/mpeg'],
    [path.join(fixtures, 'tiny.wmv'), 'asf', 'video/wmv'],
  ])('%s is %s (%s)', async (file, container, mimeType) => {
    expect(await sniffVideoFile(file)).toEqual({ ok: true, container, mimeType });
  });

  test('every MIME type returned is one Gemini accepts', async () => {
    for (const file of ['tiny.mov', 'tiny.avi', 'tiny.flv', 'tiny.wmv', 'tiny.3gp', 'tiny.ts']) {
      const result = await sniffVideoFile(path.join(fixtures, file));
      expect(result.ok && (GEMINI_VIDEO_MIME_TYPES as readonly string[]).includes(result.mimeType)).toBe(true);
    }
  });

  test('Matroska is recognised but refused, with advice to convert', async () => {
    const result = await sniffVideoFile(path.join(fixtures, 'tiny.mkv'));
    expect(result).toMatchObject({ ok: false, detected: 'Matroska (MKV) video' });
    expect(result.ok === false && result.hint).toMatch(/convert it to MP4 or WebM/);
  });

  test('the content decides, not the name: a WebM named .mp4 is WebM', async () => {
    const renamed = scratch('actually-webm.mp4');
    await writeFile(renamed, (await import('node:fs')).readFileSync(path.join(samples, 'perspective-drawing.webm')));
    expect(await sniffVideoFile(renamed)).toMatchObject({ ok: true, mimeType: 'video/webm' });
  });

  test('reads only the start: a 3 GB sparse file is sniffed at once', async () => {
    const big = scratch('big.mp4');
    await writeFile(big, ftyp('isom', 'isom', 'mp41'));
    await truncate(big, 3 * 1024 ** 3);
    const started = Date.now();
    expect(await sniffVideoFile(big)).toMatchObject({ ok: true, container: 'mp4' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('a missing file rejects with ENOENT', async () => {
    await expect(sniffVideoFile(scratch('nope.mp4'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('ISO base media brands', () => {
  test.each([
    ['isom', ['isom', 'mp41'], 'mp4'],
    ['mp42', ['mp42', 'isom'], 'mp4'],
    ['avc1', [], 'mp4'],
    ['dash', ['iso6'], 'mp4'],
    ['XAVC', [], 'mp4'],
    ['M4V ', ['M4V ', 'isom'], 'm4v'],
    ['qt  ', ['qt  '], 'mov'],
    ['3gp5', ['3gp5', 'isom'], '3gp'],
    ['3g2a', [], '3gp'],
    ['wxyz', ['qt  '], 'mov'],
  ])('major brand %j (compatible %j) is %s', (major, compatible, container) => {
    expect(sniffBytes(ftyp(major, ...compatible))).toMatchObject({ ok: true, container });
  });

  test('old QuickTime files that start with mdat or moov are MOV', () => {
    expect(sniffBytes(bytes([0, 0, 0x10, 0], 'mdat', [1, 2, 3, 4]))).toMatchObject({
      ok: true,
      container: 'mov',
      mimeType: 'video/mov',
    });
    expect(sniffBytes(bytes([0, 0, 0, 0x6c], 'moov', [0, 0, 0, 0]))).toMatchObject({ ok: true, container: 'mov' });
  });

  test('a text line with "mdat" at offset 4 is still text', () => {
    expect(sniffBytes(Buffer.from('abc mdat is a word here\n'))).toEqual({ ok: false, detected: 'text' });
  });

  test.each([
    ['M4A ', 'M4A audio'],
    ['heic', 'HEIC/AVIF image'],
    ['avif', 'HEIC/AVIF image'],
  ])('brand %j is not a video: %s', (major, detected) => {
    expect(sniffBytes(ftyp(major))).toEqual({ ok: false, detected });
  });
});

describe('other containers, from hand-made headers', () => {
  test('AVI', () => {
    expect(sniffBytes(bytes('RIFF', [0x10, 0, 0, 0], 'AVI LIST'))).toMatchObject({
      ok: true,
      container: 'avi',
      mimeType: 'video/avi',
    });
  });
  test('RIFF WAVE is audio, RIFF WEBP an image', () => {
    expect(sniffBytes(bytes('RIFF', [0x10, 0, 0, 0], 'WAVEfmt '))).toEqual({ ok: false, detected: 'WAV audio' });
    expect(sniffBytes(bytes('RIFF', [0x10, 0, 0, 0], 'WEBPVP8 '))).toEqual({ ok: false, detected: 'WebP image' });
  });
  test('MPEG program stream and elementary video stream', () => {
    expect(sniffBytes(bytes([0, 0, 1, 0xba, 0x44, 0, 4, 0]))).toMatchObject({
      ok: true,
      container: 'mpeg-ps',
      mimeType: 'video/mpeg',
    });
    expect(sniffBytes(bytes([0, 0, 1, 0xb3, 0x14, 0, 0xf0, 0x13]))).toMatchObject({
      ok: true,
      container: 'mpeg-video',
    });
  });
  test('MPEG-TS needs sync bytes at a 188-byte stride', () => {
    const packets = Buffer.alloc(188 * 4, 0xff);
    for (let i = 0; i < 4; i++) packets[i * 188] = 0x47;
    expect(sniffBytes(packets)).toMatchObject({ ok: true, container: 'mpeg-ts' });
    packets[2 * 188] = 0x00;
    expect(sniffBytes(packets).ok).toBe(false);
  });
  test('Blu-ray/AVCHD .m2ts: 192-byte packets with a 4-byte timestamp', () => {
    const packets = Buffer.alloc(192 * 4, 0x11);
    for (let i = 0; i < 4; i++) packets[4 + i * 192] = 0x47;
    expect(sniffBytes(packets)).toMatchObject({ ok: true, container: 'mpeg-ts' });
  });
  test('a text file starting with "G" is not a transport stream', () => {
    expect(sniffBytes(Buffer.from('Good morning class, today we look at colour.\n'.repeat(40)))).toEqual({
      ok: false,
      detected: 'text',
    });
  });
  test('FLV', () => {
    expect(sniffBytes(bytes('FLV', [1, 5, 0, 0, 0, 9]))).toMatchObject({
      ok: true,
      container: 'flv',
      mimeType: 'video/x-flv',
    });
  });
  test('ASF/WMV header GUID', () => {
    const guid = [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c];
    expect(sniffBytes(bytes(guid, [0, 0]))).toMatchObject({ ok: true, container: 'asf', mimeType: 'video/wmv' });
  });
  test('EBML DocType webm vs matroska vs something else', () => {
    const ebml = (docType: string): Buffer =>
      bytes(
        [
          0x1a,
          0x45,
          0xdf,
          0xa3,
          0x80 | (docType.length + 7),
          0x42,
          0x86,
          0x81,
          0x01,
          0x42,
          0x82,
          0x80 | docType.length,
        ],
        docType,
      );
    expect(sniffBytes(ebml('webm'))).toMatchObject({ ok: true, container: 'webm' });
    expect(sniffBytes(ebml('matroska'))).toMatchObject({ ok: false, detected: 'Matroska (MKV) video' });
    expect(sniffBytes(ebml('other'))).toEqual({ ok: false, detected: 'EBML document (other)' });
  });
  test('Ogg is recognised and refused with advice', () => {
    expect(sniffBytes(bytes('OggS', [0, 2]))).toMatchObject({
      ok: false,
      detected: 'Ogg media',
      hint: expect.stringMatching(/convert/),
    });
  });
});

describe('files that are not videos say what they look like', () => {
  test.each([
    ['PNG image', bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d], 'IHDR')],
    ['JPEG image', bytes([0xff, 0xd8, 0xff, 0xe0, 0, 0x10], 'JFIF')],
    ['GIF image', bytes('GIF89a', [1, 0, 1, 0])],
    ['PDF document', bytes('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n')],
    ['ZIP archive (or Office document)', bytes([0x50, 0x4b, 0x03, 0x04, 0x14, 0])],
    ['gzip archive', bytes([0x1f, 0x8b, 0x08, 0])],
    ['MP3 audio', bytes('ID3', [3, 0, 0, 0, 0, 0x21])],
    ['MP3 audio', bytes([0xff, 0xfb, 0x90, 0x64, 0])],
    ['FLAC audio', bytes('fLaC', [0, 0, 0, 0x22])],
    ['SQLite database', bytes('SQLite format 3\0')],
    ['program (ELF executable)', bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])],
    ['text', Buffer.from('These are my lesson notes.\nWeek 1: colour wheels.\n')],
    ['text', Buffer.from('Übung: Farbenlehre — Grundlagen für Anfänger\n', 'utf8')],
    ['text', Buffer.from('Notes de cours: la lumière\n', 'latin1')],
    ['text', Buffer.from('BM is my initials, not a bitmap\n')],
    ['text', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('notes', 'utf16le')])],
    ['HTML page', Buffer.from('  <!DOCTYPE html>\n<html><body>Download failed</body></html>')],
    ['SVG image', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"></svg>')],
    ['BMP image', bytes('BM', [0x36, 0, 0x0c, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 0x28, 0, 0, 0])],
    ['unknown binary', bytes([0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0x99, 0x88])],
    ['empty file', Buffer.alloc(0)],
  ])('%s', (detected, content) => {
    expect(sniffBytes(content)).toEqual({ ok: false, detected });
  });

  test('sniffVideoFile on a real text file', async () => {
    const notes = scratch('notes.mp4');
    await writeFile(notes, 'not really a video\n');
    expect(await sniffVideoFile(notes)).toEqual({ ok: false, detected: 'text' });
  });
});

describe('extensions', () => {
  test.each([
    ['lesson.MP4', '.mp4', true],
    ['a/b.c/clip.webm', '.webm', true],
    ['C:\\videos\\clip.Mov', '.mov', true],
    ['archive.tar.gz', '.gz', false],
    ['.bashrc', '', false],
    ['README', '', false],
    ['show.mkv', '.mkv', false],
  ])('%s → %j (video: %s)', (name, ext, video) => {
    expect(extensionOf(name)).toBe(ext);
    expect(isVideoFileName(name)).toBe(video);
  });
});
