/**
 * Duration of an AVI file from its stream headers (`hdrl/strl/strh`): each stream's length in its
 * own time base (`dwLength × dwScale / dwRate`), the longest wins, as ffprobe reports it. The
 * main header's frame count is not used: OpenDML files over 1 GB count only their first part there.
 */
import type { ContainerReading } from './reading';

interface Chunk {
  id: string;
  /** For LIST chunks, the list type. */
  listType?: string;
  start: number;
  end: number;
}

function chunksIn(b: Buffer, from: number, to: number): Chunk[] {
  const chunks: Chunk[] = [];
  let at = from;
  while (at + 8 <= to && at + 8 <= b.length) {
    const id = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    const start = at + 8;
    const end = Math.min(start + size, to, b.length);
    if (id === 'LIST' || id === 'RIFF')
      chunks.push({ id, listType: b.toString('latin1', start, start + 4), start: start + 4, end });
    else chunks.push({ id, start, end });
    at = start + size + (size % 2); // chunks are word-aligned
  }
  return chunks;
}

export function aviDuration(head: Buffer): ContainerReading {
  const [riff] = chunksIn(head, 0, head.length);
  if (!riff || riff.id !== 'RIFF' || riff.listType !== 'AVI ') return { ok: false, reason: 'not an AVI file' };
  const hdrl = chunksIn(head, riff.start, riff.end).find((c) => c.listType === 'hdrl');
  if (!hdrl) return { ok: false, reason: 'the AVI file has no header list (hdrl)' };
  const lengths: number[] = [];
  const kinds = new Set<string>();
  for (const strl of chunksIn(head, hdrl.start, hdrl.end).filter((c) => c.listType === 'strl')) {
    const strh = chunksIn(head, strl.start, strl.end).find((c) => c.id === 'strh');
    if (!strh || strh.end - strh.start < 36) continue;
    const type = head.toString('latin1', strh.start, strh.start + 4);
    kinds.add(type);
    const scale = head.readUInt32LE(strh.start + 20);
    const rate = head.readUInt32LE(strh.start + 24);
    const start = head.readUInt32LE(strh.start + 28);
    const length = head.readUInt32LE(strh.start + 32);
    if (scale > 0 && rate > 0 && length > 0) lengths.push(((start + length) * scale) / rate);
  }
  if (lengths.length === 0) return { ok: false, reason: 'the AVI stream headers give no length' };
  return {
    ok: true,
    durationSeconds: Math.max(...lengths),
    formatName: 'avi',
    hasVideo: kinds.has('vids'),
    hasAudio: kinds.has('auds'),
  };
}
