import type { ProcessingOptions, VideoItem } from '../types';

/** The Web UI shows summaries on one line; longer ones are cut, so they stay within its limits. */
const maxSummaryLength = 200;

/** A one-line summary for an activity or a timer in the Web UI's timeline. */
export function summary(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= maxSummaryLength ? line : `${line.slice(0, maxSummaryLength - 1)}…`;
}

/** What a person recognises a video by: its file name, or its link. */
export function videoName(item: VideoItem): string {
  if (item.source.kind === 'youtube') return item.source.url;
  const path = item.source.path;
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1) || item.title;
}

/** `48 MB`, `1.2 GB`: sizes as a person reads them. */
export function sizeText(bytes: number | undefined): string | undefined {
  if (bytes === undefined) return undefined;
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${Math.round(bytes / 1e6)} MB`;
  return `${Math.max(1, Math.round(bytes / 1e3))} kB`;
}

/** A moment in workflow time as `14:30 UTC` (and the date when it is not today). */
export function clockText(at: number, now: number): string {
  const iso = new Date(at).toISOString();
  const time = `${iso.slice(11, 16)} UTC`;
  return iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}

/** The template of a batch, or its templates (`comprehensive_lesson, quiz`) when it asks for several. */
export function templatesText(options: Pick<ProcessingOptions, 'template' | 'templates'>): string {
  return options.templates && options.templates.length > 1 ? options.templates.join(', ') : options.template;
}
