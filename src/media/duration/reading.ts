/** What a built-in container reader found: the same facts ffprobe would give, or why not. */
export type ContainerReading =
  | { ok: true; durationSeconds: number; formatName: string; hasVideo: boolean; hasAudio: boolean }
  | { ok: false; reason: string };
