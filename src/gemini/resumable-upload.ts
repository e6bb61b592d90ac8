/**
 * Gemini's resumable upload protocol (gemini-wire.md "Uploading a file") over node:http(s), in
 * constant memory: each chunk is streamed from disk into the request body, never buffered. Unlike
 * the SDK, it reports the upload URL and progress, and can resume a known upload URL mid-file
 * after `query`, so a retried activity does not send a 2 GB video twice.
 */
import fs from 'node:fs';
import http, { type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';

/** The SDK's chunk size; the server's granularity (8 MiB today) must divide it. */
export const defaultChunkBytes = 8 * 1024 * 1024;

export interface UploadProgress {
  uploadUrl: string;
  bytesSent: number;
  bytesTotal: number;
}

export interface ResumableUploadOptions {
  /** e.g. https://generativelanguage.googleapis.com */
  baseUrl: string;
  apiKey: string;
  path: string;
  displayName: string;
  mimeType: string;
  /** An upload URL from an earlier attempt: ask the server how far it got and go on from there. */
  resumeUrl?: string;
  /** Called after the upload URL is known and after every chunk the server accepted. */
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  chunkBytes?: number;
}

/** The File resource Gemini answers with (the fields this project reads; the rest passes through). */
export interface GeminiFileJson {
  name?: string;
  uri?: string;
  mimeType?: string;
  state?: string;
  sizeBytes?: string;
  error?: { message?: string };
  [field: string]: unknown;
}

/** A non-2xx answer, shaped like the SDK's ApiError: numeric status, message = the response body. */
export class GeminiHttpError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(body || `HTTP ${status} with an empty body`);
    this.name = 'GeminiHttpError';
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

type Body = string | { path: string; start: number; end: number } | undefined;

/** Per upload, the only buffer the file's bytes pass through. */
const copyBufferBytes = 256 * 1024;

/** Error bodies and the final `{file}` are small; anything bigger than this is not Gemini. */
const maxAnswerBytes = 1024 * 1024;

function send(url: string, headers: Record<string, string>, body: Body, signal?: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const lib = target.protocol === 'https:' ? https : http;
    const length = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.end - body.start;
    const req = lib.request(
      target,
      { method: 'POST', headers: { ...headers, 'content-length': String(length) }, signal },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (buf: Buffer) => {
          size += buf.length;
          if (size <= maxAnswerBytes) parts.push(buf);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }),
        );
        res.on('error', (err) => reject(networkError(err)));
      },
    );
    req.on('error', (err) => reject(networkError(err)));
    if (body === undefined || typeof body === 'string') {
      req.end(body);
      return;
    }
    writeRange(req, body.path, body.start, body.end).catch((err: Error) => req.destroy(err));
  });
}

/**
 * Copies bytes [start, end) of the file into the request through one reused buffer. A read stream
 * allocates a fresh buffer per read, and 8 concurrent uploads then held ~40 MB of garbage buffers
 * waiting for GC (measured); a reused buffer keeps each upload at `copyBufferBytes`.
 */
async function writeRange(req: ClientRequest, path: string, start: number, end: number): Promise<void> {
  // A destroyed request may never call a pending write's callback; 'close' always comes.
  const closed = new Promise<never>((_, reject) =>
    req.once('close', () => reject(new Error('the upload request closed early'))),
  );
  closed.catch(() => undefined);
  const handle = await fs.promises.open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(copyBufferBytes, end - start)));
    for (let pos = start; pos < end;) {
      const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, end - pos), pos);
      if (bytesRead === 0) throw new Error(`${path} became shorter during the upload.`);
      // The callback says the bytes left this process: only then may the buffer be refilled.
      const written = new Promise<void>((resolve, reject) =>
        req.write(buf.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())),
      );
      await Promise.race([written, closed]);
      pos += bytesRead;
    }
    req.end();
  } finally {
    await handle.close();
  }
}

/** Keeps the code where classifyGeminiError looks for it (`cause.code`); abort errors pass as they are. */
function networkError(err: Error): Error {
  if (err.name === 'AbortError' || err instanceof GeminiHttpError) return err;
  return new Error(`Gemini upload request failed: ${err.message}`, { cause: err });
}

function headerOf(answer: Answer, name: string): string | undefined {
  const v = answer.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function ok(answer: Answer): Answer {
  if (answer.status < 200 || answer.status >= 300) throw new GeminiHttpError(answer.status, answer.body);
  return answer;
}

function fileOf(answer: Answer): GeminiFileJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    parsed = undefined;
  }
  const file = (parsed as { file?: unknown } | undefined)?.file;
  if (typeof file !== 'object' || file === null) {
    throw new Error(`Gemini finished the upload but its answer has no file: ${answer.body.slice(0, 200)}`);
  }
  return file as GeminiFileJson;
}

/**
 * Like the SDK, keep only the path and query of the upload URL and use our own base host: the key
 * then never goes to a host other than the configured one.
 */
function onBase(uploadUrl: string, baseUrl: string): string {
  const url = new URL(uploadUrl);
  const base = new URL(baseUrl);
  url.protocol = base.protocol;
  url.host = base.host;
  return url.toString();
}

/** Uploads the file at `path`; resolves with Gemini's File resource (JSON). */
export async function resumableUpload(opts: ResumableUploadOptions): Promise<GeminiFileJson> {
  const { signal } = opts;
  const size = (await fs.promises.stat(opts.path)).size;
  const auth = { 'x-goog-api-key': opts.apiKey };
  let chunkBytes = opts.chunkBytes ?? defaultChunkBytes;

  let uploadUrl: string | undefined;
  let offset = 0;
  if (opts.resumeUrl) {
    const url = onBase(opts.resumeUrl, opts.baseUrl);
    const status = await query(url, auth, signal);
    if (status.kind === 'final') return status.file;
    if (status.kind === 'active' && status.received <= size) {
      uploadUrl = url;
      offset = status.received;
    }
    // Otherwise (expired, cancelled, unknown): start over with a new session.
  }
  if (!uploadUrl) {
    signal?.throwIfAborted();
    const started = ok(
      await send(
        `${opts.baseUrl.replace(/\/+$/, '')}/upload/v1beta/files`,
        {
          ...auth,
          'content-type': 'application/json',
          'x-goog-upload-protocol': 'resumable',
          'x-goog-upload-command': 'start',
          'x-goog-upload-header-content-length': String(size),
          'x-goog-upload-header-content-type': opts.mimeType,
        },
        JSON.stringify({ file: { displayName: opts.displayName, mimeType: opts.mimeType } }),
        signal,
      ),
    );
    const returned = headerOf(started, 'x-goog-upload-url');
    if (!returned) throw new Error('Gemini started the upload but sent no x-goog-upload-url.');
    uploadUrl = onBase(returned, opts.baseUrl);
    const granularity = Number(headerOf(started, 'x-goog-upload-chunk-granularity'));
    if (Number.isInteger(granularity) && granularity > 0)
      chunkBytes = Math.max(granularity, chunkBytes - (chunkBytes % granularity));
  }
  opts.onProgress?.({ uploadUrl, bytesSent: offset, bytesTotal: size });

  // A 2xx without x-goog-upload-status means the chunk may not have landed (the SDK resends it);
  // ask the server where it stands instead, a few times at most.
  let unclear = 0;
  for (;;) {
    signal?.throwIfAborted();
    const end = Math.min(offset + chunkBytes, size);
    const last = end === size;
    const answer = ok(
      await send(
        uploadUrl,
        {
          ...auth,
          'x-goog-upload-command': last ? 'upload, finalize' : 'upload',
          'x-goog-upload-offset': String(offset),
        },
        { path: opts.path, start: offset, end },
        signal,
      ),
    );
    const status = headerOf(answer, 'x-goog-upload-status');
    if (status === 'final') return fileOf(answer);
    if (status === 'active' && !last) {
      offset = end;
      opts.onProgress?.({ uploadUrl, bytesSent: offset, bytesTotal: size });
      continue;
    }
    if (status === undefined && ++unclear <= 3) {
      const now = await query(uploadUrl, auth, signal);
      if (now.kind === 'final') return now.file;
      if (now.kind === 'active') {
        offset = now.received;
        continue;
      }
    }
    throw new Error(
      `Gemini answered the upload of ${size} bytes at offset ${offset} with status "${status ?? 'none'}" instead of finishing it.`,
    );
  }
}

type QueryResult = { kind: 'active'; received: number } | { kind: 'final'; file: GeminiFileJson } | { kind: 'gone' };

/**
 * `query`: how many bytes the server has. A 4xx means the session is gone (expired, 404); a 429 or
 * 5xx is thrown, so the retry can still resume this session rather than send everything again.
 */
async function query(uploadUrl: string, auth: Record<string, string>, signal?: AbortSignal): Promise<QueryResult> {
  signal?.throwIfAborted();
  const answer = await send(uploadUrl, { ...auth, 'x-goog-upload-command': 'query' }, undefined, signal);
  if (answer.status === 429 || answer.status >= 500) throw new GeminiHttpError(answer.status, answer.body);
  if (answer.status < 200 || answer.status >= 300) return { kind: 'gone' };
  const status = headerOf(answer, 'x-goog-upload-status');
  if (status === 'final') return { kind: 'final', file: fileOf(answer) };
  const received = Number(headerOf(answer, 'x-goog-upload-size-received'));
  if (status === 'active' && Number.isInteger(received) && received >= 0) return { kind: 'active', received };
  return { kind: 'gone' };
}
