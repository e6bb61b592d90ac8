/** How long a video's context cache lives, shared by activities and workflows (no imports: workflow code reads it). */

/** A cache lives this long unless refreshed; a video's notes take minutes, so this is room enough. */
export const cacheTtlSeconds = 1800;
/** Before a template's analysis, a cache with less than this left is given a fresh ttl. */
export const cacheRefreshBelowSeconds = 1200;
