import type { VideoSource } from '../types';

/** How a video source is shown and compared as text: its path, or its link. Workflow-safe. */
export function sourceText(source: VideoSource): string {
  return source.kind === 'file' ? source.path : source.url;
}
