import { z } from 'zod';

// semver.org's own regular expression: versions are compared and shown in frontmatter, so be exact.
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** Keys become `params.<key>` in Handlebars and `--param key=value` on the command line. */
export const PARAM_KEY = /^[a-z][a-z0-9_]*$/;
/** Template names are folder names and `--template` values. */
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9_-]*$/;
// Obsidian tags: letters, digits, `_`, `-`, `/`, and not only digits.
const OBSIDIAN_TAG = /^(?!\d+$)[\p{L}\p{N}_\-/]+$/u;

export const PARAM_TYPES = ['string', 'integer', 'number', 'boolean', 'list'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

function isBcp47(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

const paramSchema = z
  .strictObject({
    description: z.string().trim().min(1, 'needs a description'),
    type: z.enum(PARAM_TYPES),
    default: z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]).optional(),
    required: z.boolean().optional(),
    /** Allowed values of a string, or of each item of a list. */
    enum: z.array(z.string().min(1)).min(1).optional(),
    minimum: z.number().optional(),
    maximum: z.number().optional(),
  })
  .superRefine((p, ctx) => {
    const issue = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (p.default !== undefined) {
      const d = p.default;
      const ok =
        (p.type === 'string' && typeof d === 'string') ||
        (p.type === 'integer' && typeof d === 'number' && Number.isInteger(d)) ||
        (p.type === 'number' && typeof d === 'number' && Number.isFinite(d)) ||
        (p.type === 'boolean' && typeof d === 'boolean') ||
        (p.type === 'list' && Array.isArray(d));
      if (!ok) issue(`default ${JSON.stringify(d)} is not of type ${p.type}`, 'default');
      const values = Array.isArray(d) ? d : typeof d === 'string' ? [d] : [];
      if (p.enum && ok) {
        const bad = values.filter((v) => !p.enum?.includes(v));
        if (bad.length > 0) issue(`default ${JSON.stringify(bad)} is not one of ${p.enum.join(', ')}`, 'default');
      }
      if (
        typeof d === 'number' &&
        ((p.minimum !== undefined && d < p.minimum) || (p.maximum !== undefined && d > p.maximum))
      ) {
        issue(`default ${d} is outside ${p.minimum ?? '-∞'}…${p.maximum ?? '∞'}`, 'default');
      }
    }
    if (p.enum && p.type !== 'string' && p.type !== 'list')
      issue('enum is only for string and list parameters', 'enum');
    if ((p.minimum !== undefined || p.maximum !== undefined) && p.type !== 'integer' && p.type !== 'number') {
      issue('minimum/maximum are only for integer and number parameters', 'minimum');
    }
  });

export const manifestSchema = z.strictObject({
  name: z.string().regex(TEMPLATE_NAME, 'must be lowercase letters, digits, "_" or "-" (it is the folder name)'),
  version: z.string().regex(SEMVER, 'must be a semantic version such as 1.0.0'),
  description: z.string().trim().min(1, 'needs a description'),
  language: z.string().refine(isBcp47, 'must be a BCP-47 language tag such as en, en-GB or zh-CN'),
  tags: z
    .array(z.string().regex(OBSIDIAN_TAG, 'must be a valid Obsidian tag (letters, digits, _ - /, no spaces)'))
    .default([]),
  // Keys are checked in parseManifest: zod reports a bad record key only as "Invalid key in record".
  parameters: z.record(z.string(), paramSchema).default({}),
  model: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      mediaResolution: z.enum(['default', 'low']).optional(),
    })
    .default({}),
  author: z.string().optional(),
  license: z.string().optional(),
  homepage: z.string().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ParamSpec = Manifest['parameters'][string];

/** One readable line per zod issue: `path: problem`. */
export function describeIssues(error: z.ZodError, root = ''): string[] {
  return error.issues.map((issue) => {
    const where = [root, ...issue.path.map(String)].filter(Boolean).join('.');
    return where ? `${where}: ${issue.message}` : issue.message;
  });
}

export function parseManifest(text: string, folderName: string): { manifest?: Manifest; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { problems: [`not valid JSON: ${(err as Error).message}`] };
  }
  const problems: string[] = [];
  const params = (raw as { parameters?: unknown } | null)?.parameters;
  if (params && typeof params === 'object') {
    for (const key of Object.keys(params).filter((k) => !PARAM_KEY.test(k))) {
      problems.push(
        `parameters.${key}: parameter keys must be lowercase letters, digits and "_", starting with a letter`,
      );
    }
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) return { problems: [...describeIssues(parsed.error), ...problems] };
  if (problems.length > 0) return { problems };
  if (parsed.data.name !== folderName) {
    problems.push(
      `name "${parsed.data.name}" differs from the folder name "${folderName}"; templates are chosen by folder name, so make them equal`,
    );
  }
  return { manifest: parsed.data, problems };
}
