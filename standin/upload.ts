/**
 * The resumable upload protocol as the SDK drives it: `start` returns an upload URL; chunks are
 * POSTed there with `upload` (the last with `upload, finalize`) and `X-Goog-Upload-Offset`;
 * `query` reports how many bytes arrived so a client can resume. Bytes are counted and hashed as
 * they stream in, then dropped: nothing is kept in memory.
 */
import { createHash, type Hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { apiError, HttpError, invalidArgument } from './errors';
import { keepsContent, MAX_KEPT_BYTES, type FileRecord } from './files-store';
import { renderFile } from './files';
import { ownerOf, type Reply, type RequestCtx, type StandinState } from './state';
import { ContainerDuration } from './media-duration';
import { isRecord, randomToken } from './util';

export const chunkGranularity = 8 * 1024 * 1024;

interface UploadSession {
  id: string;
  owner: string;
  label: string;
  displayName?: string;
  requestedId?: string;
  mimeType: string;
  declaredSize?: number;
  received: number;
  hash: Hash;
  /** Reads the video's real length from its container as the bytes pass. */
  container: ContainerDuration;
  status: 'active' | 'final' | 'cancelled';
  failure?: string;
  file?: FileRecord;
  busy: boolean;
  /** The bytes, for uploads that keep them (see `keepsContent`). */
  kept?: Buffer[];
}

/** Thrown when the client went away mid-chunk: nothing can be answered. */
export class ClientAbort extends Error {
  constructor() {
    super('standin: client closed the request');
  }
}

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();

  create(s: Omit<UploadSession, 'id' | 'received' | 'hash' | 'status' | 'busy' | 'container'>): UploadSession {
    const session: UploadSession = {
      ...s,
      id: randomToken(24),
      received: 0,
      hash: createHash('sha256'),
      container: new ContainerDuration(),
      status: 'active',
      busy: false,
    };
    this.sessions.set(session.id, session);
    return session;
  }

  get(id: string): UploadSession | undefined {
    return this.sessions.get(id);
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

const defaultFailure = 'Video processing failed: the file could not be decoded.';

export async function startUpload(state: StandinState, ctx: RequestCtx, body: unknown): Promise<Reply> {
  const protocol = header(ctx.req, 'x-goog-upload-protocol');
  const command = header(ctx.req, 'x-goog-upload-command');
  if (protocol !== 'resumable' || command?.trim() !== 'start') {
    throw invalidArgument(
      'The stand-in only supports resumable uploads (X-Goog-Upload-Protocol: resumable, X-Goog-Upload-Command: start).',
    );
  }
  const file = isRecord(body) && isRecord(body.file) ? body.file : {};
  const displayName = typeof file.displayName === 'string' ? file.displayName : undefined;
  const fileNameHeader = header(ctx.req, 'x-goog-upload-file-name');
  const owner = ownerOf(ctx);
  let requestedId: string | undefined;
  if (typeof file.name === 'string' && file.name !== '') {
    requestedId = file.name.replace(/^files\//, '');
    if (!/^[a-z0-9-]{1,40}$/.test(requestedId)) {
      throw invalidArgument(`Invalid file name "${file.name}": use lowercase letters, digits and dashes.`);
    }
    if (state.files.has(requestedId))
      throw apiError(409, 'ALREADY_EXISTS', `File files/${requestedId} already exists.`);
  }
  const label = displayName ?? fileNameHeader ?? (requestedId ? `files/${requestedId}` : 'unnamed upload');
  ctx.video = label;

  const action = await state.runFaults('upload.start', ctx, (a) => a.type === 'file-failed');

  const sizeText =
    header(ctx.req, 'x-goog-upload-header-content-length') ??
    (typeof file.sizeBytes === 'string' ? file.sizeBytes : undefined);
  let declaredSize: number | undefined;
  if (sizeText !== undefined) {
    declaredSize = Number(sizeText);
    if (!Number.isInteger(declaredSize) || declaredSize < 0)
      throw invalidArgument(`Invalid X-Goog-Upload-Header-Content-Length: ${sizeText}`);
    if (declaredSize === 0) throw invalidArgument('The file is empty. Upload a file with content.');
    if (declaredSize > state.options.maxFileBytes) {
      throw invalidArgument(
        `File size ${declaredSize} bytes exceeds the maximum of ${state.options.maxFileBytes} bytes (2 GB) per file.`,
      );
    }
  }
  const mimeType =
    header(ctx.req, 'x-goog-upload-header-content-type') ??
    (typeof file.mimeType === 'string' ? file.mimeType : 'application/octet-stream');

  const session = state.uploads.create({
    owner,
    label,
    displayName,
    requestedId,
    mimeType,
    declaredSize,
    failure: action?.type === 'file-failed' ? (action.message ?? defaultFailure) : undefined,
  });
  const host = ctx.req.headers.host ?? new URL(state.url).host;
  const uploadUrl = `http://${host}/upload/v1beta/files?upload_id=${session.id}&upload_protocol=resumable`;
  return {
    status: 200,
    headers: {
      'x-goog-upload-status': 'active',
      'x-goog-upload-url': uploadUrl,
      'x-goog-upload-control-url': uploadUrl,
      'x-goog-upload-chunk-granularity': String(chunkGranularity),
      'x-guploader-uploadid': session.id,
    },
  };
}

function finalReply(state: StandinState, s: UploadSession): Reply {
  return {
    status: 200,
    headers: { 'x-goog-upload-status': 'final', 'x-goog-upload-size-received': String(s.received) },
    body: { file: renderFile(state, s.file as FileRecord) },
  };
}

/** Streams the body into the hash; resolves with the byte count, or rejects with ClientAbort. */
function consume(req: IncomingMessage, onData: (buf: Buffer) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let count = 0;
    let ended = false;
    req.on('data', (buf: Buffer) => {
      count += buf.length;
      onData(buf);
    });
    req.on('end', () => {
      ended = true;
      resolve(count);
    });
    req.on('close', () => {
      if (!ended) reject(Object.assign(new ClientAbort(), { count }));
    });
    req.on('error', () => undefined);
  });
}

export async function uploadCommand(state: StandinState, ctx: RequestCtx, uploadId: string): Promise<Reply> {
  const s = state.uploads.get(uploadId);
  if (!s) {
    ctx.route = 'upload.chunk';
    throw apiError(404, 'NOT_FOUND', 'Upload session not found or expired.');
  }
  ctx.keyLabel = s.owner;
  ctx.video = s.label;
  const commands = (header(ctx.req, 'x-goog-upload-command') ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter(Boolean);

  if (commands.includes('query')) {
    ctx.route = 'upload.query';
    if (s.status === 'final') return finalReply(state, s);
    return {
      status: 200,
      headers: { 'x-goog-upload-status': s.status, 'x-goog-upload-size-received': String(s.received) },
    };
  }
  if (commands.includes('cancel')) {
    ctx.route = 'upload.query';
    s.status = 'cancelled';
    return { status: 200, headers: { 'x-goog-upload-status': 'cancelled' } };
  }
  ctx.route = 'upload.chunk';
  if (!commands.includes('upload') && !commands.includes('finalize')) {
    throw invalidArgument(`Unsupported X-Goog-Upload-Command: ${commands.join(', ') || '(none)'}`);
  }
  if (s.status === 'final') return finalReply(state, s);
  if (s.status === 'cancelled') throw apiError(400, 'FAILED_PRECONDITION', 'The upload session was cancelled.');
  if (s.busy) throw apiError(409, 'ABORTED', 'Another request is writing to this upload session.');

  const finalize = commands.includes('finalize');
  const offsetText = header(ctx.req, 'x-goog-upload-offset');
  const offset = Number(offsetText);
  if (offsetText === undefined || !Number.isInteger(offset)) {
    throw invalidArgument('X-Goog-Upload-Offset is required with the upload command.');
  }
  if (offset !== s.received) {
    const { body } = invalidArgument(
      `Invalid X-Goog-Upload-Offset ${offset}: the server has ${s.received} bytes of this upload. Query the upload status and resume from there.`,
    );
    throw new HttpError(400, body, {
      'x-goog-upload-status': 'active',
      'x-goog-upload-size-received': String(s.received),
    });
  }

  const action = await state.runFaults('upload.chunk', ctx, (a) => a.type === 'file-failed' && finalize);
  if (action?.type === 'file-failed') s.failure = action.message ?? defaultFailure;

  const limit = Math.min(state.options.maxFileBytes, s.declaredSize ?? Number.POSITIVE_INFINITY);
  let overflow = false;
  s.busy = true;
  let count: number;
  try {
    count = await consume(ctx.req, (buf) => {
      if (overflow) return;
      if (s.received + buf.length > limit) {
        overflow = true;
        return;
      }
      s.hash.update(buf);
      if (keepsContent(s.mimeType) && s.received + buf.length <= MAX_KEPT_BYTES) (s.kept ??= []).push(buf);
      s.container.push(buf);
      s.received += buf.length;
    });
  } catch (err) {
    ctx.bytes = (err as { count?: number }).count;
    throw err;
  } finally {
    s.busy = false;
  }
  ctx.bytes = count;
  if (overflow) {
    s.status = 'cancelled';
    throw invalidArgument(
      s.declaredSize !== undefined && s.declaredSize < state.options.maxFileBytes
        ? `The upload is larger than its declared size of ${s.declaredSize} bytes.`
        : `File size exceeds the maximum of ${state.options.maxFileBytes} bytes (2 GB) per file.`,
    );
  }
  if (!finalize) return { status: 200, headers: { 'x-goog-upload-status': 'active' } };

  if (s.received === 0) throw invalidArgument('The file is empty. Upload a file with content.');
  if (s.declaredSize !== undefined && s.received !== s.declaredSize) {
    throw invalidArgument(`Finalized after ${s.received} bytes, but the upload declared ${s.declaredSize} bytes.`);
  }
  const now = Date.now();
  const id = s.requestedId && !state.files.has(s.requestedId) ? s.requestedId : state.files.newId();
  s.file = state.files.add({
    id,
    owner: s.owner,
    displayName: s.displayName,
    label: s.label,
    mimeType: s.mimeType,
    sizeBytes: s.received,
    sha256Hex: s.hash.digest('hex'),
    mediaSeconds: s.container.end(),
    createdAt: now,
    processingMs: state.options.processingMs,
    failure: s.failure,
    ...(s.kept && s.received <= MAX_KEPT_BYTES ? { content: Buffer.concat(s.kept) } : {}),
  });
  s.status = 'final';
  ctx.finalized = true;
  return finalReply(state, s);
}
