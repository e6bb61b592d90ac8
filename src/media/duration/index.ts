/**
 * The project's own duration readers, for when no ffprobe can answer (none installed, or the one
 * shipped in npm crashes on this CPU, as the static build does on MPEG-TS on some AVX-512 Xeons).
 * Only containers where the duration is cheap and certain to read are covered: MPEG-TS and MPEG-PS
 * (first and last timestamps) and MP4/MOV/3GP (the movie header).
 */
import { open } from 'node:fs/promises';
import type { VideoContainer } from '../formats';
import { sniffVideoFile } from '../sniff';
import { isoMediaDuration } from './iso-media';
import { programStreamDuration } from './mpeg-ps';
import { transportStreamDuration } from './mpeg-ts';
import type { ContainerReading } from './reading';
import { readFileEnds } from './windows';

export type { ContainerReading } from './reading';

const readers: Partial<Record<VideoContainer, 'ts' | 'ps' | 'iso'>> = {
  'mpeg-ts': 'ts',
  'mpeg-ps': 'ps',
  mp4: 'iso',
  m4v: 'iso',
  mov: 'iso',
  '3gp': 'iso',
};

/** Containers the built-in readers cover. */
export const CONTAINERS_WITH_OWN_READER = Object.keys(readers) as VideoContainer[];

/** Duration from the file's own structures; `{ ok: false, reason }` instead of throwing. */
export async function readContainerDuration(filePath: string): Promise<ContainerReading> {
  try {
    const sniffed = await sniffVideoFile(filePath);
    if (!sniffed.ok) return { ok: false, reason: `the built-in reader does not know this file (${sniffed.detected})` };
    const reader = readers[sniffed.container];
    if (!reader) return { ok: false, reason: `the built-in reader does not cover ${sniffed.container} files` };
    const handle = await open(filePath, 'r');
    try {
      const { size } = await handle.stat();
      if (reader === 'iso') return await isoMediaDuration(handle, size);
      const { head, tail } = await readFileEnds(handle, size);
      return reader === 'ts' ? transportStreamDuration(head, tail) : programStreamDuration(head, tail);
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, reason: `the built-in reader could not read the file (${code ?? (err as Error).message})` };
  }
}
