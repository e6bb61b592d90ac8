/** files.get, files.list and files.delete. */
import { filePermissionDenied, invalidArgument } from './errors';
import { fileJson, type FileRecord } from './files-store';
import { ownerOf, type Reply, type RequestCtx, type StandinState } from './state';

/**
 * Registered duration (by display name or label), else the length the file's container states,
 * else estimated from the size, min 1 s.
 */
export function fileDurationSeconds(state: StandinState, r: FileRecord): number {
  const registered = state.durations.get(r.displayName) ?? state.durations.get(r.label);
  if (registered !== undefined) return registered;
  if (r.mediaSeconds !== undefined) return r.mediaSeconds;
  return Math.max(1, Math.round(r.sizeBytes / state.options.bytesPerVideoSecond));
}

export function renderFile(state: StandinState, r: FileRecord): Record<string, unknown> {
  return fileJson(r, state.url, fileDurationSeconds(state, r), Date.now());
}

export async function getFile(state: StandinState, ctx: RequestCtx, id: string): Promise<Reply> {
  ctx.video = state.files.peek(id)?.label;
  await state.runFaults('files.get', ctx, () => false, { fileId: id });
  const r = state.files.accessible(id, ownerOf(ctx), Date.now());
  if (!r) throw filePermissionDenied(id);
  return { status: 200, body: renderFile(state, r) };
}

export async function deleteFile(state: StandinState, ctx: RequestCtx, id: string): Promise<Reply> {
  ctx.video = state.files.peek(id)?.label;
  await state.runFaults('files.delete', ctx, () => false, { fileId: id });
  const r = state.files.accessible(id, ownerOf(ctx), Date.now());
  if (!r) throw filePermissionDenied(id);
  r.deleted = true;
  return { status: 200, body: {} };
}

function decodePageToken(token: string): number {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const m = /^after:(\d+)$/.exec(text);
  if (!m) throw invalidArgument('Invalid page token.');
  return Number(m[1]);
}

export function listFiles(state: StandinState, ctx: RequestCtx): Reply {
  const sizeParam = ctx.url.searchParams.get('pageSize');
  let pageSize = 10;
  if (sizeParam !== null) {
    const n = Number(sizeParam);
    if (!Number.isInteger(n) || n < 0) throw invalidArgument(`Invalid value for pageSize: ${sizeParam}`);
    pageSize = n === 0 ? 10 : Math.min(n, 100);
  }
  const token = ctx.url.searchParams.get('pageToken');
  let files = state.files.listFor(ownerOf(ctx), Date.now());
  if (token) {
    const after = decodePageToken(token);
    files = files.filter((f) => f.seq < after);
  }
  const page = files.slice(0, pageSize);
  const body: Record<string, unknown> = {};
  // An empty list is `{}`; the last page has no nextPageToken (the SDK's pager stops on undefined).
  if (page.length > 0) body.files = page.map((r) => renderFile(state, r));
  if (files.length > pageSize)
    body.nextPageToken = Buffer.from(`after:${page[page.length - 1].seq}`).toString('base64url');
  return { status: 200, body };
}
