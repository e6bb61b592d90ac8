import { defaultKeyAlias, type Settings } from '../config';

/** Key names for a batch's input: configured names, or "default" for GEMINI_API_KEY. Never values. */
export function keyAliasesFor(settings: Settings): string[] {
  const names = settings.file.keys?.map((k) => k.name) ?? [];
  return names.length > 0 ? names : [defaultKeyAlias];
}

/** Which keys have per-minute limits for which models: their analyses go through rate-limited queues. */
export function rateLimitedModelsFor(settings: Settings): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key of settings.file.keys ?? []) {
    const models = Object.entries(key.limits ?? {})
      .filter(([, l]) => l.rpm !== undefined)
      .map(([model]) => model);
    if (models.length) out[key.name] = models;
  }
  return out;
}
