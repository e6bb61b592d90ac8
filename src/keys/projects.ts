/**
 * Gemini applies rpm, tpm and rpd per Google Cloud project and model, not per API key: every key of
 * a project draws on the same quota. A key names its project in the config; without one it is a
 * project of its own (named like the key). Workflow-safe: no Node imports.
 */
import type { ModelLimits } from './pool-state';

export interface KeyProjectView {
  alias: string;
  project?: string;
  limits?: Record<string, ModelLimits>;
}

export const projectOf = (key: Pick<KeyProjectView, 'alias' | 'project'>): string => key.project ?? key.alias;

/**
 * The limits of each project: what its keys state, field by field (a key may state them alone for
 * its project). Two keys of one project stating different values for the same model and field is
 * a mistake; `conflicts` says where.
 */
export function projectLimits(keys: KeyProjectView[]): {
  limits: Record<string, Record<string, ModelLimits>>;
  conflicts: string[];
} {
  const limits: Record<string, Record<string, ModelLimits>> = {};
  const conflicts: string[] = [];
  for (const key of keys) {
    const project = (limits[projectOf(key)] ??= {});
    for (const [model, l] of Object.entries(key.limits ?? {})) {
      const merged = (project[model] ??= {});
      for (const field of ['rpm', 'tpm', 'rpd'] as const) {
        const value = l[field];
        if (value === undefined) continue;
        if (merged[field] !== undefined && merged[field] !== value)
          conflicts.push(
            `project "${projectOf(key)}" has two ${field} limits for ${model} (${merged[field]} and ${value}, key "${key.alias}"): limits belong to the project, state them once`,
          );
        else merged[field] = value;
      }
    }
  }
  return { limits, conflicts };
}

/** Each key's project, by key name (names only: safe for workflow inputs). */
export function keyProjectsOf(keys: KeyProjectView[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k.alias, projectOf(k)]));
}
