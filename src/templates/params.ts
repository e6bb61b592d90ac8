import { ConfigurationError } from '../config/errors';
import type { Manifest, ParamSpec } from './manifest';

/**
 * Turns `--param key=value` strings into typed values, fills in defaults, and refuses anything
 * that does not match the manifest with a message that names the parameter and what it accepts.
 */

function allowed(spec: ParamSpec): string {
  const range =
    spec.minimum !== undefined || spec.maximum !== undefined
      ? ` from ${spec.minimum ?? '-∞'} to ${spec.maximum ?? '∞'}`
      : '';
  switch (spec.type) {
    case 'string':
      return spec.enum ? `one of ${spec.enum.join(', ')}` : 'any text';
    case 'integer':
      return `a whole number${range}`;
    case 'number':
      return `a number${range}`;
    case 'boolean':
      return 'true or false (also yes/no, 1/0)';
    case 'list':
      return spec.enum ? `a comma-separated list of ${spec.enum.join(', ')}` : 'a comma-separated list';
  }
}

function convert(key: string, spec: ParamSpec, raw: string): unknown {
  const fail = (): never => {
    throw new ConfigurationError(
      `Template parameter "${key}" got ${JSON.stringify(raw)}, but it must be ${allowed(spec)}.`,
    );
  };
  const text = raw.trim();
  switch (spec.type) {
    case 'string':
      if (spec.enum && !spec.enum.includes(text)) fail();
      return text;
    case 'integer':
    case 'number': {
      const n = text === '' ? NaN : Number(text);
      if (!Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) fail();
      if ((spec.minimum !== undefined && n < spec.minimum) || (spec.maximum !== undefined && n > spec.maximum)) fail();
      return n;
    }
    case 'boolean': {
      const v = text.toLowerCase();
      if (['true', 'yes', '1', 'on'].includes(v)) return true;
      if (['false', 'no', '0', 'off'].includes(v)) return false;
      return fail();
    }
    case 'list': {
      const items =
        text === ''
          ? []
          : text
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean);
      if (spec.enum && items.some((i) => !spec.enum?.includes(i))) fail();
      return items;
    }
  }
}

export function resolveParams(
  template: { name: string; manifest: Manifest },
  given: Record<string, string>,
): Record<string, unknown> {
  const declared = template.manifest.parameters;
  const keys = Object.keys(declared);
  const unknown = Object.keys(given).filter((k) => !Object.prototype.hasOwnProperty.call(declared, k));
  if (unknown.length > 0) {
    const known = keys.length > 0 ? `It accepts: ${keys.join(', ')}.` : 'It takes no parameters.';
    throw new ConfigurationError(
      `Template "${template.name}" has no parameter ${unknown.map((k) => `"${k}"`).join(', ')}. ${known}`,
    );
  }
  const out: Record<string, unknown> = {};
  const missing: string[] = [];
  for (const [key, spec] of Object.entries(declared)) {
    if (Object.prototype.hasOwnProperty.call(given, key)) out[key] = convert(key, spec, given[key]);
    else if (spec.default !== undefined) out[key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
    else if (spec.required) missing.push(key);
  }
  if (missing.length > 0) {
    const list = missing.map((k) => `${k} (${declared[k].description}; ${allowed(declared[k])})`).join('; ');
    throw new ConfigurationError(
      `Template "${template.name}" needs ${missing.length === 1 ? 'parameter' : 'parameters'} ${list}. Give ${missing.map((k) => `--param ${k}=…`).join(' ')}.`,
    );
  }
  return out;
}

/**
 * The parameters a template is given: every one for a batch of one template (an unknown one is an
 * error); with several templates, one `--param` list serves them all, so each gets those it declares.
 */
export function givenParamsFor(
  template: { manifest: Manifest },
  given: Record<string, string>,
  severalTemplates: boolean,
): Record<string, string> {
  if (!severalTemplates) return given;
  const declared = template.manifest.parameters;
  return Object.fromEntries(Object.entries(given).filter(([k]) => Object.prototype.hasOwnProperty.call(declared, k)));
}
