/**
 * The project's own duration readers, for when no ffprobe can answer (none installed, or the one
 * shipped in npm crashes on this CPU, as the static build does on MPEG-TS on some AVX-512 Xeons).
 * Each reads a few headers or the two ends of the file, never the whole of it: MPEG-TS and MPEG-PS
 * (first and last timestamps), MP4/MOV/3GP (movie header), WebM (Segment Info), AVI (stream
 * headers), FLV (metadata or last tag) and ASF/WMV (file properties).
 */
import { open } from 'node:fs/promises';
import type { VideoContainer } from '../formats';
import { sniffVideoFile } from '../sniff';
import { asfDuration } from './asf';
import { aviDuration } from './avi';
import { flvDuration } from './flv';
import { isoMediaDuration } from './iso-media';
import { programStreamDuration } from './mpeg-ps';
import { transportStreamDuration } from './mpeg-ts';
import type { ContainerReading } from './reading';
import { webmDuration } from './webm';
import { readFileEnds } from './windows';

export type { ContainerReading } from './reading';

type EndsReader = (head: Buffer, tail: Buffer) => ContainerReading;

const endsReaders: Partial<Record<VideoContainer, EndsReader>> = {
  'mpeg-ts': transportStreamDuration,
  'mpeg-ps': programStreamDuration,
  webm: webmDuration,
  avi: aviDuration,
  flv: flvDuration,
  asf: asfDuration,
};
const isoContainers: ReadonlySet<VideoContainer> = new Set(['mp4', 'm4v', 'mov', '3gp']);

/** Containers the built-in readers cover (all Gemini accepts but bare MPEG video streams). */
export const CONTAINERS_WITH_OWN_READER = [...Object.keys(endsReaders), ...isoContainers] as VideoContainer[];

/** Duration from the file's own structures; `{ ok: false, reason }` instead of throwing. */
export async function readContainerDuration(filePath: string): Promise<ContainerReading> {
  try {
    const sniffed = await sniffVideoFile(filePath);
    if (!sniffed.ok) return { ok: false, reason: `the built-in reader does not know this file (${sniffed.detected})` };
    const iso = isoContainers.has(sniffed.container);
    const reader = endsReaders[sniffed.container];
    if (!iso && !reader) return { ok: false, reason: `the built-in reader does not cover ${sniffed.container} files` };
    const handle = await open(filePath, 'r');
    try {
      const { size } = await handle.stat();
      if (iso || !reader) return await isoMediaDuration(handle, size);
      const { head, tail } = await readFileEnds(handle, size);
      return reader(head, tail);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: `the built-in reader could not read the file (${code ?? (err as Error).message})` };
  }
}
