import { defaultKeyAlias, type Settings } from '../config';
import { projectLimits, projectOf, type KeyProjectView } from '../keys/projects';

/** Key names for a batch's input: configured names, or "default" for GEMINI_API_KEY. Never values. */
export function keyAliasesFor(settings: Settings): string[] {
  const names = settings.file.keys?.map((k) => k.name) ?? [];
  return names.length > 0 ? names : [defaultKeyAlias];
}

function views(settings: Settings): KeyProjectView[] {
  return (settings.file.keys ?? []).map((k) => ({ alias: k.name, project: k.project, limits: k.limits }));
}

/** Per key, the models its project limits in the given field ('*' for all). */
function limitedModels(settings: Settings, field: 'rpm' | 'tpm'): Record<string, string[]> {
  const keys = views(settings);
  const { limits } = projectLimits(keys);
  const out: Record<string, string[]> = {};
  for (const key of keys) {
    const models = Object.entries(limits[projectOf(key)] ?? {})
      .filter(([, l]) => l[field] !== undefined)
      .map(([model]) => model);
    if (models.length) out[key.alias] = models;
  }
  return out;
}

/** Which keys' projects have per-minute request limits for which models: their analyses go through rate-limited queues. */
export function rateLimitedModelsFor(settings: Settings): Record<string, string[]> {
  return limitedModels(settings, 'rpm');
}

/** Which keys' projects have tokens-per-minute limits for which models: their analyses book tokens first. */
export function tokenLimitedModelsFor(settings: Settings): Record<string, string[]> {
  return limitedModels(settings, 'tpm');
}

/** Each key's project where it is not the key's own name (names only). */
export function keyProjectsFor(settings: Settings): Record<string, string> {
  return Object.fromEntries(
    views(settings).flatMap((k) => (k.project && k.project !== k.alias ? [[k.alias, k.project]] : [])),
  );
}
