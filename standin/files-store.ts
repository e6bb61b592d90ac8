/** Uploaded files (metadata only: the bytes were counted, hashed and dropped). */
import { formatDuration, randomId, rfc3339 } from './util';

export const fileLifetimeMs = 48 * 3600 * 1000;

export interface FileRecord {
  /** Lowercase alphanumeric id; the resource name is `files/{id}`. */
  id: string;
  /** Insertion order, for listing and page tokens. */
  seq: number;
  /** Label of the key (project) that uploaded it. */
  owner: string;
  displayName?: string;
  /** What stats call the video: display name, else the uploaded file's name, else the id. */
  label: string;
  mimeType: string;
  sizeBytes: number;
  sha256Hex: string;
  /** The length its container states (MP4 mvhd, WebM Info), when it could be read. */
  mediaSeconds?: number;
  createdAt: number;
  processingMs: number;
  /** Set when a `file-failed` fault hit the upload: the file ends FAILED with this message. */
  failure?: string;
  deleted: boolean;
  expired: boolean;
  /** Kept bytes: JSON-lines and text uploads (batch input), and files the service made. */
  content?: Buffer;
  /** Made by the service (batch results): the only files that can be downloaded. */
  generated?: boolean;
}

export type FileState = 'PROCESSING' | 'ACTIVE' | 'FAILED';

/** Uploads whose bytes are kept (batch input is read back); media bytes are only counted and hashed. */
export const MAX_KEPT_BYTES = 256 * 1024 * 1024;
export function keepsContent(mimeType: string): boolean {
  return !/^(video|audio|image)\//.test(mimeType);
}

export class FileStore {
  private readonly records = new Map<string, FileRecord>();
  private seq = 0;

  newId(): string {
    let id = randomId(12);
    while (this.records.has(id)) id = randomId(12);
    return id;
  }

  has(id: string): boolean {
    return this.records.has(id);
  }

  add(record: Omit<FileRecord, 'seq' | 'deleted' | 'expired'>): FileRecord {
    const full: FileRecord = { ...record, seq: ++this.seq, deleted: false, expired: false };
    this.records.set(full.id, full);
    return full;
  }

  /** Any record, even deleted or foreign (for labels and fault matching). */
  peek(id: string): FileRecord | undefined {
    return this.records.get(id);
  }

  /** The record if `owner` may use it now; undefined for missing, deleted, expired or foreign files. */
  accessible(id: string, owner: string, now: number): FileRecord | undefined {
    const r = this.records.get(id);
    if (!r || r.deleted || r.owner !== owner || isExpired(r, now)) return undefined;
    return r;
  }

  expire(id: string): boolean {
    const r = this.records.get(id);
    if (!r) return false;
    r.expired = true;
    return true;
  }

  /** The owner's live files, newest first. */
  listFor(owner: string, now: number): FileRecord[] {
    return [...this.records.values()]
      .filter((r) => r.owner === owner && !r.deleted && !isExpired(r, now))
      .sort((a, b) => b.seq - a.seq);
  }
}

export function isExpired(r: FileRecord, now: number): boolean {
  return r.expired || now >= r.createdAt + fileLifetimeMs;
}

export function fileState(r: FileRecord, now: number): FileState {
  if (now < r.createdAt + r.processingMs) return 'PROCESSING';
  return r.failure !== undefined ? 'FAILED' : 'ACTIVE';
}

/** "files/abc", "abc" or a full file URI → "abc"; undefined when it is none of those. */
export function fileIdOf(nameOrUri: string): string | undefined {
  let path = nameOrUri;
  if (/^[a-z]+:\/\//i.test(nameOrUri)) {
    try {
      path = new URL(nameOrUri).pathname;
    } catch {
      return undefined;
    }
  }
  const m = /(?:^|\/)files\/([a-z0-9-]{1,40})$/.exec(path) ?? /^([a-z0-9-]{1,40})$/.exec(path);
  return m ? m[1] : undefined;
}

/** The File resource as the API returns it. */
export function fileJson(
  r: FileRecord,
  baseUrl: string,
  durationSeconds: number,
  now: number,
): Record<string, unknown> {
  const state = fileState(r, now);
  const updatedAt = state === 'PROCESSING' ? r.createdAt : r.createdAt + r.processingMs;
  const json: Record<string, unknown> = { name: `files/${r.id}` };
  if (r.displayName !== undefined) json.displayName = r.displayName;
  Object.assign(json, {
    mimeType: r.mimeType,
    sizeBytes: String(r.sizeBytes),
    createTime: rfc3339(r.createdAt),
    updateTime: rfc3339(updatedAt),
    expirationTime: rfc3339(r.createdAt + fileLifetimeMs),
    // The real API base64-encodes the hex digest, not the raw digest bytes.
    sha256Hash: Buffer.from(r.sha256Hex).toString('base64'),
    uri: `${baseUrl}/v1beta/files/${r.id}`,
    state,
    source: 'UPLOADED',
  });
  if (state === 'FAILED') json.error = { code: 3, message: r.failure };
  if (state === 'ACTIVE' && r.mimeType.startsWith('video/'))
    json.videoMetadata = { videoDuration: formatDuration(durationSeconds) };
  return json;
}
