/**
 * The smallest answer a (Gemini-subset) JSON Schema allows, so a template's output.hbs can be
 * rendered once at load time and a mistake found then, not after a video has been paid for.
 */
export function sampleFromSchema(schema: unknown): unknown {
  const node = (schema ?? {}) as Record<string, unknown>;
  if (Array.isArray(node.enum) && node.enum.length > 0) return node.enum[0];
  if (Array.isArray(node.anyOf)) {
    const first = node.anyOf.find((alt) => (alt as { type?: unknown }).type !== 'null') ?? node.anyOf[0];
    return sampleFromSchema(first);
  }
  const type = Array.isArray(node.type) ? node.type.find((t) => t !== 'null') : node.type;
  switch (type) {
    case 'object': {
      const props = (node.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(props).map(([k, v]) => [k, sampleFromSchema(v)]));
    }
    case 'array': {
      const count = Math.max(1, typeof node.minItems === 'number' ? node.minItems : 1);
      const capped = typeof node.maxItems === 'number' ? Math.min(count, node.maxItems) : count;
      return Array.from({ length: capped }, () => sampleFromSchema(node.items));
    }
    case 'integer':
    case 'number':
      return typeof node.minimum === 'number'
        ? node.minimum
        : typeof node.maximum === 'number'
          ? Math.min(0, node.maximum)
          : 0;
    case 'boolean':
      return true;
    case 'string':
      return node.format === 'date-time'
        ? '2026-01-01T00:00:00Z'
        : node.format === 'date'
          ? '2026-01-01'
          : node.format === 'time'
            ? '00:00:00'
            : 'sample';
    default:
      return null;
  }
}
