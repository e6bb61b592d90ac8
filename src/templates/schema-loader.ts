import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import { z } from 'zod';
import type { ZodSchema } from './types';

/** Schema files in order of preference; a template has exactly one of them. */
export const SCHEMA_FILES = ['schema.ts', 'schema.js', 'schema.json'] as const;

export type SchemaLoadResult =
  { ok: true; file: string; schema: ZodSchema; jsonSchema?: unknown } | { ok: false; file: string; error: string };

type Resolver = (request: string, ...rest: unknown[]) => string;

/**
 * A user template folder lives outside this project, where `import { z } from 'zod'` would not
 * resolve. While its schema module loads, a `zod` it cannot find is served from this project's copy.
 */
function requireWithZod(file: string): unknown {
  if (file.endsWith('.ts')) ensureTypeScriptLoader();
  const mod = Module as unknown as { _resolveFilename: Resolver };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    try {
      return original.call(this, request, ...rest);
    } catch (err) {
      if (request === 'zod' || request.startsWith('zod/')) return require.resolve(request);
      throw err;
    }
  };
  try {
    // A template being edited and validated again must be read afresh.
    delete require.cache[require.resolve(file)];
    // A run-time path: schema modules are found, not imported; tsx and ts-jest compile .ts on require.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as unknown;
  } finally {
    mod._resolveFilename = original;
  }
}

/**
 * The compiled CLI (dist/, plain node) has no TypeScript loader, yet schema files are .ts: tsx's
 * require hook is installed the first time one loads. Under tsx or ts-jest this file is .ts itself
 * and .ts already loads.
 */
function ensureTypeScriptLoader(): void {
  if (!__filename.endsWith('.js') || tsLoaderInstalled) return;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('tsx/cjs/api') as { register: () => unknown }).register();
  tsLoaderInstalled = true;
}
let tsLoaderInstalled = false;

const isZod4 = (v: unknown): v is ZodSchema =>
  typeof v === 'object' && v !== null && '_zod' in v && typeof (v as { safeParse?: unknown }).safeParse === 'function';

/** `export const schema = z.object(…)`, or `export const schema = (z) => z.object(…)` for a zod-free folder. */
function schemaFromModule(exported: unknown): ZodSchema | string {
  const mod = exported as { schema?: unknown; default?: unknown };
  let candidate = mod?.schema ?? (mod?.default as { schema?: unknown } | undefined)?.schema ?? mod?.default;
  if (typeof candidate === 'function') candidate = (candidate as (zod: typeof z) => unknown)(z);
  if (candidate === undefined) return 'does not export `schema`';
  if (!isZod4(candidate))
    return '`schema` is not a zod 4 schema (zod 3 schemas and plain objects are not supported; use schema.json for a JSON Schema)';
  return candidate;
}

export function loadSchema(dir: string): SchemaLoadResult | undefined {
  const file = SCHEMA_FILES.find((f) => fs.existsSync(path.join(dir, f)));
  if (!file) return undefined;
  const full = path.join(dir, file);
  try {
    if (file === 'schema.json') {
      const json: unknown = JSON.parse(fs.readFileSync(full, 'utf8'));
      return {
        ok: true,
        file,
        schema: z.fromJSONSchema(json as Parameters<typeof z.fromJSONSchema>[0]),
        jsonSchema: json,
      };
    }
    const result = schemaFromModule(requireWithZod(full));
    return typeof result === 'string' ? { ok: false, file, error: result } : { ok: true, file, schema: result };
  } catch (err) {
    const message = (err as Error).message?.split('\n')[0] ?? String(err);
    return { ok: false, file, error: `does not load: ${message}` };
  }
}
