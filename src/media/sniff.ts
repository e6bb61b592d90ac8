/**
 * Recognise a video container from a file's first bytes, so a mislabelled or non-video file is
 * refused before it is hashed or uploaded, with a message that says what the file really is.
 */
import { open } from 'node:fs/promises';
import { CONTAINER_MIME_TYPES, type GeminiVideoMimeType, type VideoContainer } from './formats';

export type SniffResult =
  | { ok: true; mimeType: GeminiVideoMimeType; container: VideoContainer }
  | {
      ok: false;
      /** What the bytes look like, e.g. `PNG image`, `PDF document`, `text`, `unknown binary`. */
      detected: string;
      /** Set when the file is a video in a format Gemini does not accept: what to do instead. */
      hint?: string;
    };

/** Enough for every signature below, including three MPEG-TS packets of 192 bytes. */
export const SNIFF_BYTES = 4096;

/** Reads at most `SNIFF_BYTES` from the start of the file and classifies them. */
export async function sniffVideoFile(filePath: string): Promise<SniffResult> {
  const handle = await open(filePath, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return sniffBytes(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

const video = (container: VideoContainer): SniffResult => ({
  ok: true,
  container,
  mimeType: CONTAINER_MIME_TYPES[container],
});
const notVideo = (detected: string, hint?: string): SniffResult =>
  hint ? { ok: false, detected, hint } : { ok: false, detected };

const ascii = (b: Buffer, start: number, end: number): string => b.toString('latin1', start, Math.min(end, b.length));
const startsWith = (b: Buffer, bytes: readonly number[], at = 0): boolean =>
  b.length >= at + bytes.length && bytes.every((byte, i) => b[at + i] === byte);

/** Classifies the first bytes of a file (pure, for tests and for callers that already hold them). */
export function sniffBytes(b: Buffer): SniffResult {
  if (b.length === 0) return notVideo('empty file');
  return sniffIsoMedia(b) ?? sniffOtherVideo(b) ?? sniffNonVideo(b);
}

/** ISO base media (MP4, M4V, MOV, 3GP): a box header `size, 'ftyp', major brand, …, compatible brands`. */
function sniffIsoMedia(b: Buffer): SniffResult | undefined {
  if (b.length < 12) return undefined;
  const boxType = ascii(b, 4, 8);
  // QuickTime files from old cameras and editors may start with another atom and have no ftyp.
  const sizeLooksBinary = ![...b.subarray(0, 4)].every((byte) => byte >= 0x20 && byte < 0x7f);
  if (['moov', 'mdat', 'wide', 'pnot', 'skip'].includes(boxType) && sizeLooksBinary) return video('mov');
  if (boxType !== 'ftyp') return undefined;
  const boxSize = Math.min(b.readUInt32BE(0), b.length);
  const major = ascii(b, 8, 12);
  const brands = [major];
  for (let at = 16; at + 4 <= boxSize; at += 4) brands.push(ascii(b, at, at + 4));

  if (major === 'qt  ') return video('mov');
  if (/^3g[2pegrs]/.test(major)) return video('3gp');
  if (major.startsWith('M4V')) return video('m4v');
  if (['M4A ', 'M4B ', 'M4P ', 'F4A ', 'F4B '].includes(major)) return notVideo('M4A audio');
  if (['heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis'].includes(major))
    return notVideo('HEIC/AVIF image');
  if (major === 'crx ') return notVideo('Canon raw photo');
  if (brands.includes('qt  ') && !brands.some((brand) => brand.startsWith('iso') || brand.startsWith('mp4')))
    return video('mov');
  // Any other brand (isom, mp41, mp42, avc1, dash, MSNV, XAVC, f4v …) is an MPEG-4 file.
  return video('mp4');
}

function sniffOtherVideo(b: Buffer): SniffResult | undefined {
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) {
    const docType = ebmlDocType(b);
    if (docType === 'webm') return video('webm');
    if (docType === 'matroska') {
      return notVideo(
        'Matroska (MKV) video',
        'Gemini does not accept MKV: convert it to MP4 or WebM (e.g. ffmpeg -i in.mkv -c copy out.mp4)',
      );
    }
    return notVideo(`EBML document (${docType ?? 'unknown type'})`);
  }
  if (ascii(b, 0, 4) === 'RIFF' && b.length >= 12) {
    const form = ascii(b, 8, 12);
    if (form === 'AVI ' || form === 'AVIX') return video('avi');
    if (form === 'WAVE') return notVideo('WAV audio');
    if (form === 'WEBP') return notVideo('WebP image');
    return notVideo(`RIFF file (${form.trim()})`);
  }
  if (startsWith(b, [0x00, 0x00, 0x01, 0xba])) return video('mpeg-ps');
  if (startsWith(b, [0x00, 0x00, 0x01, 0xb3])) return video('mpeg-video');
  if (isTransportStream(b, 0, 188) || isTransportStream(b, 4, 192)) return video('mpeg-ts');
  if (ascii(b, 0, 3) === 'FLV' && b[3] === 0x01) return video('flv');
  // ASF header object GUID 75B22630-668E-11CF-A6D9-00AA0062CE6C, stored little-endian.
  if (startsWith(b, [0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11, 0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c]))
    return video('asf');
  if (ascii(b, 0, 4) === 'OggS') {
    return notVideo('Ogg media', 'Gemini does not accept Ogg video: convert it to MP4 or WebM');
  }
  return undefined;
}

/**
 * MPEG-TS: a 0x47 sync byte at the start of every packet (188 bytes, or 192 with the 4-byte
 * timestamp of Blu-ray/AVCHD .m2ts). Three packets in a row rule out a text file starting with "G";
 * a tiny file of one or two whole packets also counts.
 */
function isTransportStream(b: Buffer, first: number, stride: number): boolean {
  let packets = 0;
  for (let at = first; at < b.length && packets < 5; at += stride, packets++) {
    if (b[at] !== 0x47) return false;
  }
  return packets >= 3 || (packets === 2 && b.length % stride === 0);
}

/** Reads an EBML variable-length integer; `keepMarker` keeps the length bits (element ids do). */
function readVint(b: Buffer, at: number, keepMarker: boolean): { value: number; length: number } | undefined {
  const first = b[at];
  if (first === undefined || first === 0) return undefined;
  const length = Math.clz32(first) - 23;
  if (at + length > b.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + (b[at + i] ?? 0);
  return { value, length };
}

/** The DocType (`webm` or `matroska`) from the EBML header that starts the file. */
function ebmlDocType(b: Buffer): string | undefined {
  const headerSize = readVint(b, 4, false);
  if (!headerSize) return undefined;
  const end = Math.min(b.length, 4 + headerSize.length + headerSize.value);
  let at = 4 + headerSize.length;
  while (at < end) {
    const id = readVint(b, at, true);
    if (!id) return undefined;
    const size = readVint(b, at + id.length, false);
    if (!size) return undefined;
    const dataAt = at + id.length + size.length;
    if (id.value === 0x4282) return ascii(b, dataAt, dataAt + size.value).replace(/\0+$/, '');
    at = dataAt + size.value;
  }
  return undefined;
}

/** Common non-video signatures, so the refusal can say "this is a PDF", not just "not a video". */
const signatures: ReadonlyArray<{ bytes: readonly number[] | string; at?: number; detected: string }> = [
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], detected: 'PNG image' },
  { bytes: [0xff, 0xd8, 0xff], detected: 'JPEG image' },
  { bytes: 'GIF87a', detected: 'GIF image' },
  { bytes: 'GIF89a', detected: 'GIF image' },
  { bytes: [0x49, 0x49, 0x2a, 0x00], detected: 'TIFF image' },
  { bytes: [0x4d, 0x4d, 0x00, 0x2a], detected: 'TIFF image' },
  { bytes: '%PDF', detected: 'PDF document' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], detected: 'ZIP archive (or Office document)' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], detected: 'ZIP archive (empty)' },
  { bytes: [0x1f, 0x8b], detected: 'gzip archive' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], detected: '7-Zip archive' },
  { bytes: 'Rar!', detected: 'RAR archive' },
  { bytes: 'ustar', at: 257, detected: 'tar archive' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], detected: 'old Microsoft Office document' },
  { bytes: [0x49, 0x44, 0x33, 0x02], detected: 'MP3 audio' },
  { bytes: [0x49, 0x44, 0x33, 0x03], detected: 'MP3 audio' },
  { bytes: [0x49, 0x44, 0x33, 0x04], detected: 'MP3 audio' },
  { bytes: 'fLaC', detected: 'FLAC audio' },
  { bytes: '#!AMR', detected: 'AMR audio' },
  { bytes: 'SQLite format 3', detected: 'SQLite database' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], detected: 'program (ELF executable)' },
  { bytes: [0xcf, 0xfa, 0xed, 0xfe], detected: 'program (macOS executable)' },
];

function sniffNonVideo(b: Buffer): SniffResult {
  for (const { bytes, at = 0, detected } of signatures) {
    const expected = typeof bytes === 'string' ? [...Buffer.from(bytes, 'latin1')] : bytes;
    if (startsWith(b, expected, at)) return notVideo(detected);
  }
  // MPEG audio frame sync (11 set bits) with a valid layer: an MP3 without ID3 tag. (FF FE is a
  // UTF-16 byte-order mark, not a frame.)
  if (
    !startsWith(b, [0xff, 0xfe]) &&
    b.length >= 2 &&
    b[0] === 0xff &&
    ((b[1] ?? 0) & 0xe0) === 0xe0 &&
    ((b[1] ?? 0) & 0x06) !== 0
  )
    return notVideo('MP3 audio');
  const text = asText(b);
  if (text !== undefined) {
    const head = text.trimStart().slice(0, 200).toLowerCase();
    if (head.startsWith('<!doctype html') || head.startsWith('<html')) return notVideo('HTML page');
    if (head.startsWith('<?xml') || head.startsWith('<svg'))
      return notVideo(head.includes('<svg') ? 'SVG image' : 'XML document');
    return notVideo('text');
  }
  // Two-letter signatures are checked after text, so a note starting with "BM" stays text.
  if (ascii(b, 0, 2) === 'BM') return notVideo('BMP image');
  if (ascii(b, 0, 2) === 'MZ') return notVideo('program (Windows executable)');
  return notVideo('unknown binary');
}

/**
 * The bytes decoded as text when they look like text, else undefined. Byte statistics rather than
 * strict UTF-8 decoding, so Latin-1 notes and a sample cut mid-character still count as text.
 */
function asText(b: Buffer): string | undefined {
  if (startsWith(b, [0xff, 0xfe]) || startsWith(b, [0xfe, 0xff])) return b.toString('utf16le');
  let control = 0;
  for (const byte of b) {
    if (byte === 0) return undefined;
    const whitespace = byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d || byte === 0x1b;
    if ((byte < 0x20 && !whitespace) || byte === 0x7f) control++;
  }
  return control <= b.length * 0.01 ? b.toString('utf8') : undefined;
}
