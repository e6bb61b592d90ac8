import { z } from 'zod';
import type { ZodSchema } from './types';

/**
 * Gemini's `responseJsonSchema` accepts only part of JSON Schema, and the local Gemini stand-in
 * generates answers from exactly that part. Everything a template author writes is reduced to it
 * here, loudly when meaning would be lost (tuples, maps, allOf), quietly when it would not
 * (`$schema`, `additionalProperties`, `pattern`, defaults, titles).
 */
export class SchemaConversionError extends Error {
  override readonly name = 'SchemaConversionError';
}

type Json = Record<string, unknown>;

/** The JSON Schema keywords Gemini's `responseJsonSchema` understands: every converted schema uses only these. */
export const GEMINI_SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'items',
  'enum',
  'description',
  'minItems',
  'maxItems',
  'minimum',
  'maximum',
  'anyOf',
  'propertyOrdering',
  'format',
]);
const KEPT_FORMATS = new Set(['date-time', 'date', 'time']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const MAX_REF_DEPTH = 32;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function zodToGeminiSchema(schema: ZodSchema): Json {
  let raw: unknown;
  try {
    // `input`: the model writes what the schema parses, before defaults and transforms.
    raw = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' });
  } catch (err) {
    throw new SchemaConversionError(`zod could not express the schema as JSON Schema: ${(err as Error).message}`);
  }
  return toGeminiSchema(raw);
}

export function toGeminiSchema(root: unknown): Json {
  if (!isObject(root)) throw new SchemaConversionError('the schema must be a JSON object');
  const defs = { ...(isObject(root.definitions) ? root.definitions : {}), ...(isObject(root.$defs) ? root.$defs : {}) };
  const out = convert(root, '$', defs, 0);
  if (out.type !== 'object') throw new SchemaConversionError('the top-level schema must be an object (type "object")');
  return out;
}

function resolveRef(ref: string, defs: Json, at: string): Json {
  const match = /^#\/(?:\$defs|definitions)\/(.+)$/.exec(ref);
  const target = match ? defs[decodeURIComponent(match[1]).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  if (!isObject(target))
    throw new SchemaConversionError(
      `${at}: cannot resolve $ref "${ref}" (only local #/$defs references are supported)`,
    );
  return target;
}

function convert(node: unknown, at: string, defs: Json, depth: number): Json {
  if (node === true || (isObject(node) && Object.keys(node).length === 0)) {
    throw new SchemaConversionError(
      `${at}: an unconstrained value ("any"/"unknown") gives the model no shape to follow; give it a type`,
    );
  }
  if (!isObject(node)) throw new SchemaConversionError(`${at}: not a schema`);
  if (typeof node.$ref === 'string') {
    if (depth >= MAX_REF_DEPTH) throw new SchemaConversionError(`${at}: recursive schemas are not supported`);
    const { $ref, ...rest } = node;
    return convert({ ...resolveRef($ref as string, defs, at), ...rest }, at, defs, depth + 1);
  }
  if (Array.isArray(node.allOf)) {
    if (node.allOf.length !== 1)
      throw new SchemaConversionError(`${at}: allOf (intersections) is not supported; merge the objects`);
    const { allOf, ...rest } = node;
    return convert({ ...(allOf[0] as Json), ...rest }, at, defs, depth + 1);
  }
  if (Array.isArray(node.prefixItems) || Array.isArray(node.items)) {
    throw new SchemaConversionError(`${at}: tuples are not supported; use an array of one item type or an object`);
  }
  if (node.not !== undefined || node.if !== undefined)
    throw new SchemaConversionError(`${at}: not/if/then/else are not supported`);

  const out: Json = {};
  const alternatives = node.anyOf ?? node.oneOf;
  if (Array.isArray(alternatives)) {
    out.anyOf = alternatives.map((alt, i) => convert(alt, `${at}.anyOf[${i}]`, defs, depth + 1));
  }
  if (node.const !== undefined) out.enum = [node.const];

  for (const [key, value] of Object.entries(node)) {
    if (!GEMINI_SCHEMA_KEYWORDS.has(key) || key === 'anyOf') continue;
    switch (key) {
      case 'type':
        Object.assign(out, convertType(value, node, at));
        break;
      case 'properties': {
        if (!isObject(value)) throw new SchemaConversionError(`${at}.properties: must be an object`);
        out.properties = Object.fromEntries(
          Object.entries(value).map(([k, v]) => [k, convert(v, `${at}.${k}`, defs, depth + 1)]),
        );
        break;
      }
      case 'items':
        out.items = convert(value, `${at}[]`, defs, depth + 1);
        break;
      case 'format':
        if (typeof value === 'string' && KEPT_FORMATS.has(value)) out.format = value;
        break;
      case 'minimum':
      case 'maximum':
        // zod adds ±MAX_SAFE_INTEGER to every int(); it says nothing and costs tokens.
        if (typeof value === 'number' && Math.abs(value) < Number.MAX_SAFE_INTEGER) out[key] = value;
        break;
      default:
        out[key] = value;
    }
  }
  if (typeof node.exclusiveMinimum === 'number' && out.minimum === undefined && node.type === 'integer') {
    out.minimum = node.exclusiveMinimum + 1;
  }
  if (typeof node.exclusiveMaximum === 'number' && out.maximum === undefined && node.type === 'integer') {
    out.maximum = node.exclusiveMaximum - 1;
  }
  if (out.type === 'object' || (Array.isArray(out.type) && out.type.includes('object'))) {
    if (out.properties === undefined && isObject(node.additionalProperties)) {
      throw new SchemaConversionError(
        `${at}: maps/records (objects with free keys) are not supported; use an array of objects`,
      );
    }
    out.properties ??= {};
  }
  if ((out.type === 'array' || (Array.isArray(out.type) && out.type.includes('array'))) && out.items === undefined) {
    throw new SchemaConversionError(`${at}: an array needs an item schema ("items")`);
  }
  if (out.type === undefined && out.anyOf === undefined && out.enum === undefined) {
    throw new SchemaConversionError(`${at}: has no type`);
  }
  return collapseNullable(out);
}

/** zod writes `.nullable()` as `anyOf: [X, {type: "null"}]`; `type: ["x", "null"]` says the same more plainly. */
function collapseNullable(node: Json): Json {
  const alts = node.anyOf;
  if (!Array.isArray(alts) || alts.length !== 2 || node.type !== undefined) return node;
  const nullIndex = alts.findIndex((a) => isObject(a) && a.type === 'null' && Object.keys(a).length === 1);
  const other = alts[1 - nullIndex] as Json | undefined;
  // A nullable enum stays anyOf: folding it would need null inside `enum`, which Gemini may refuse.
  if (nullIndex === -1 || !other || typeof other.type !== 'string' || other.type === 'null' || other.enum !== undefined)
    return node;
  const { anyOf: _anyOf, ...rest } = node;
  return { ...other, ...rest, type: [other.type, 'null'] };
}

/** `["string","null"]` is fine; other type lists become anyOf, which Gemini understands. */
function convertType(value: unknown, node: Json, at: string): Json {
  const types = Array.isArray(value) ? value : [value];
  for (const t of types) {
    if (typeof t !== 'string' || !TYPES.has(t))
      throw new SchemaConversionError(`${at}: unknown type ${JSON.stringify(t)}`);
  }
  if (!Array.isArray(value)) return { type: value };
  const real = types.filter((t) => t !== 'null') as string[];
  if (real.length <= 1) return { type: real.length === 1 ? (types.length > 1 ? [real[0], 'null'] : real[0]) : 'null' };
  if (node.anyOf !== undefined || node.oneOf !== undefined)
    throw new SchemaConversionError(`${at}: a type list together with anyOf is not supported`);
  return { anyOf: types.map((t) => ({ type: t })) };
}
