/**
 * Keys and titles for discovered videos. A key names a video's Temporal workflow and its work
 * files, so it must be stable across runs (resume finds the same workflow), unique within a batch
 * and safe everywhere: lowercase letters (any script), digits and hyphens only.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

/** Long enough to recognise the video, short enough for file names and workflow ids. */
const MAX_SLUG_LENGTH = 48;

/** `Stage Lighting_Basics (2024)` → `stage-lighting-basics-2024`; letters of every script are kept. */
export function slugify(text: string): string {
  const slug = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  if (slug.length <= MAX_SLUG_LENGTH) return slug;
  // Cut at a hyphen when one is near the end, so the slug does not stop mid-word.
  const cut = [...slug].slice(0, MAX_SLUG_LENGTH).join('');
  const lastHyphen = cut.lastIndexOf('-');
  return (lastHyphen >= MAX_SLUG_LENGTH / 2 ? cut.slice(0, lastHyphen) : cut).replace(/-+$/, '');
}

/** First hex characters of sha1(identity): identity is the absolute path or canonical URL. */
export function shortHash(identity: string, length = 6): string {
  return createHash('sha1').update(identity, 'utf8').digest('hex').slice(0, length);
}

/** `<slug>-<6 hex>`; `hashLength` grows only to settle the rare clash inside one batch. */
export function videoKey(name: string, identity: string, hashLength = 6): string {
  const slug = slugify(name) || 'video';
  return `${slug}-${shortHash(identity, hashLength)}`;
}

// C0/C1 controls and bidirectional overrides: a file name holding `ESC ]` or `ESC [` would drive the
// terminal the title is printed on (retitle it, hide lines, fake a prompt); an override reverses text.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Text safe to print on a terminal: control characters and direction overrides become spaces. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, ' ');
}

/** The file name without extension, read as words: `stage-lighting_basics.mp4` → `Stage lighting basics`. */
export function titleFromFileName(fileName: string): string {
  const base = printable(path.basename(fileName, path.extname(fileName)));
  const words = base
    .replace(/[_\s]+/g, ' ')
    // Hyphens and dots between words are separators; inside numbers (2024-05, 1.5) they stay.
    .replace(/(?<!\d)[-.]+|[-.]+(?!\d)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (!words) return base || fileName;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const titleFromYouTubeId = (videoId: string): string => `YouTube ${videoId}`;
