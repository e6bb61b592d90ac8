import { invalidArgument } from './errors';
import type { RequestCtx } from './state';

/**
 * One page of a list, as the batch and cache lists page: `pageSize` (a default when absent or not a
 * positive integer, at most 1000) and an opaque `pageToken`, here "after:<seq>" in base64url, so the
 * next page starts below the last item sent. `items` come newest (highest `seq`) first.
 */
export function pageOf<T extends { seq: number }>(
  ctx: RequestCtx,
  items: T[],
  defaultSize: number,
): { page: T[]; nextPageToken?: string } {
  const size = Number(ctx.url.searchParams.get('pageSize') ?? '0');
  const pageSize = Number.isInteger(size) && size > 0 ? Math.min(size, 1000) : defaultSize;
  const token = ctx.url.searchParams.get('pageToken');
  let rest = items;
  if (token) {
    const after = Number(
      Buffer.from(token, 'base64url')
        .toString('utf8')
        .replace(/^after:/, ''),
    );
    if (!Number.isInteger(after)) throw invalidArgument('Invalid page token.');
    rest = rest.filter((item) => item.seq < after);
  }
  const page = rest.slice(0, pageSize);
  const last = page.at(-1);
  if (rest.length > pageSize && last)
    return { page, nextPageToken: Buffer.from(`after:${last.seq}`).toString('base64url') };
  return { page };
}
