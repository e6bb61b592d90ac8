/**
 * The real length of an uploaded video, read from its container as the bytes stream past (nothing
 * is kept but a few kilobytes): MP4/MOV from the `mvhd` box (wherever `moov` sits in the file),
 * WebM/Matroska from the Segment's Info `Duration`. The stand-in bills video tokens by this length,
 * with its own arithmetic; a file it cannot read falls back to the size-based guess.
 */

const mkvMagic = [0x1a, 0x45, 0xdf, 0xa3];
/** Enough for the mvhd box at the start of moov, and for a WebM's header and Info. */
const moovKeep = 4096;
const webmKeep = 64 * 1024;

export class ContainerDuration {
  private kind: 'unknown' | 'mp4' | 'webm' | 'other' = 'unknown';
  private head = Buffer.alloc(0);
  private offset = 0;
  /** MP4: absolute offset of the next top-level box, and the bytes of its header while they arrive. */
  private nextBox = 0;
  private boxHeader = Buffer.alloc(0);
  private moov?: { start: number; bytes: Buffer };
  private found?: number;

  push(chunk: Buffer): void {
    if (this.found !== undefined || this.kind === 'other') return;
    if (this.kind === 'unknown') {
      // The first bytes wait until there are enough to tell the container, then go through as one chunk.
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 12) return;
      if (mkvMagic.every((b, i) => this.head[i] === b)) this.kind = 'webm';
      else if (this.head.toString('latin1', 4, 8) === 'ftyp') this.kind = 'mp4';
      else this.kind = 'other';
      chunk = this.head;
      this.head = Buffer.alloc(0);
    }
    if (this.kind === 'webm') {
      this.head = Buffer.concat([this.head, chunk.subarray(0, webmKeep - this.head.length)]);
      if (this.head.length >= webmKeep) this.finishWebm();
    }
    if (this.kind === 'mp4') this.walkBoxes(chunk);
    this.offset += chunk.length;
  }

  /** Seconds, or undefined when the container did not say. */
  end(): number | undefined {
    if (this.found === undefined && this.kind === 'webm') this.finishWebm();
    return this.found;
  }

  private walkBoxes(chunk: Buffer): void {
    const chunkStart = this.offset;
    const chunkEnd = chunkStart + chunk.length;
    if (this.moov) this.keepMoov(chunk, chunkStart);
    while (this.found === undefined && this.nextBox < chunkEnd) {
      // 8 header bytes, 16 when the size is a 64-bit "largesize" (size field 1).
      const need = this.boxHeader.length >= 8 && this.boxHeader.readUInt32BE(0) === 1 ? 16 : 8;
      const from = this.nextBox + this.boxHeader.length;
      const piece = chunk.subarray(from - chunkStart, from - chunkStart + need - this.boxHeader.length);
      this.boxHeader = Buffer.concat([this.boxHeader, piece]);
      if (this.boxHeader.length < need) return; // the rest comes with the next chunk
      if (need === 8 && this.boxHeader.readUInt32BE(0) === 1) continue;
      let size = this.boxHeader.readUInt32BE(0);
      const type = this.boxHeader.toString('latin1', 4, 8);
      let headerSize = 8;
      if (size === 1) {
        size = Number(this.boxHeader.readBigUInt64BE(8));
        headerSize = 16;
      }
      const boxStart = this.nextBox;
      this.boxHeader = Buffer.alloc(0);
      if (size < headerSize) {
        this.kind = 'other'; // size 0 ("to the end") or damage: nothing more to learn
        return;
      }
      this.nextBox = boxStart + size;
      if (type === 'moov') {
        this.moov = { start: boxStart + headerSize, bytes: Buffer.alloc(0) };
        this.keepMoov(chunk, chunkStart);
      }
    }
  }

  private keepMoov(chunk: Buffer, chunkStart: number): void {
    const moov = this.moov as { start: number; bytes: Buffer };
    const from = Math.max(moov.start + moov.bytes.length, chunkStart);
    const take = moovKeep - moov.bytes.length;
    if (take <= 0 || from >= chunkStart + chunk.length) return;
    moov.bytes = Buffer.concat([moov.bytes, chunk.subarray(from - chunkStart, from - chunkStart + take)]);
    const seconds = mvhdSeconds(moov.bytes);
    if (seconds !== undefined) this.found = seconds;
  }

  private finishWebm(): void {
    if (this.found === undefined) this.found = webmSeconds(this.head);
    this.kind = 'other';
  }
}

/** Duration from the mvhd box among moov's children, once its fields have arrived. */
function mvhdSeconds(moov: Buffer): number | undefined {
  let at = 0;
  while (at + 8 <= moov.length) {
    const size = moov.readUInt32BE(at);
    const type = moov.toString('latin1', at + 4, at + 8);
    if (type === 'mvhd') {
      const body = at + 8;
      if (body + 32 > moov.length) return undefined;
      const version = moov[body];
      const timescale = version === 1 ? moov.readUInt32BE(body + 20) : moov.readUInt32BE(body + 12);
      const duration = version === 1 ? Number(moov.readBigUInt64BE(body + 24)) : moov.readUInt32BE(body + 16);
      return timescale > 0 && duration > 0 ? duration / timescale : undefined;
    }
    if (size < 8) return undefined;
    at += size;
  }
  return undefined;
}

/** EBML variable-length integer at `at`: its value (marker removed unless `keepMarker`) and length. */
function vint(
  buf: Buffer,
  at: number,
  keepMarker: boolean,
): { value: number; length: number; unknown: boolean } | undefined {
  const first = buf[at];
  if (first === undefined || first === 0) return undefined;
  let length = 1;
  while (length <= 8 && !(first & (0x80 >> (length - 1)))) length++;
  if (at + length > buf.length) return undefined;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + (buf[at + i] as number);
    if (buf[at + i] !== 0xff) allOnes = false;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

const ids = { segment: 0x18538067, info: 0x1549a966, timecodeScale: 0x2ad7b1, duration: 0x4489 };

/** Duration from Segment → Info, in seconds. */
function webmSeconds(buf: Buffer): number | undefined {
  let at = 0;
  let end = buf.length;
  let scale = 1_000_000;
  let duration: number | undefined;
  let inInfo = false;
  while (at < end) {
    const id = vint(buf, at, true);
    if (!id) return undefined;
    const size = vint(buf, at + id.length, false);
    if (!size) return undefined;
    const body = at + id.length + size.length;
    if (id.value === ids.segment) {
      at = body; // descend
      continue;
    }
    if (id.value === ids.info) {
      inInfo = true;
      end = Math.min(buf.length, body + size.value);
      at = body;
      continue;
    }
    if (inInfo && id.value === ids.timecodeScale) {
      scale = 0;
      for (let i = 0; i < size.value; i++) scale = scale * 256 + (buf[body + i] ?? 0);
    } else if (inInfo && id.value === ids.duration && body + size.value <= buf.length) {
      duration = size.value === 4 ? buf.readFloatBE(body) : buf.readDoubleBE(body);
    }
    if (size.unknown) return undefined;
    at = body + size.value;
  }
  return duration !== undefined && duration > 0 ? (duration * scale) / 1e9 : undefined;
}
