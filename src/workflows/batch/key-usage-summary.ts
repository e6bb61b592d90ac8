import type { BatchCarriedState, BatchInput, BatchSummary, TokenUsage } from '../../types';

/** A finished video's tokens, counted against the key it used (names only). */
export function addKeyUsage(state: BatchCarriedState, alias: string, usage: TokenUsage): void {
  const was = state.usageByKey?.[alias] ?? { videos: 0, promptTokens: 0, totalTokens: 0 };
  state.usageByKey = {
    ...state.usageByKey,
    [alias]: {
      videos: was.videos + 1,
      promptTokens: was.promptTokens + usage.promptTokens,
      totalTokens: was.totalTokens + usage.totalTokens,
    },
  };
}

/**
 * With several keys, what the batch spent per key and per project (keys of one project share its
 * quota, so that is the figure to hold against the limits). Nothing with a single key.
 */
export function keyUsageSummary(
  input: Pick<BatchInput, 'keyAliases' | 'options'>,
  state: BatchCarriedState,
): Pick<BatchSummary, 'keys' | 'projects'> {
  if (input.keyAliases.length < 2 || !state.usageByKey) return {};
  const projectOf = (alias: string) => input.options.keyProjects?.[alias] ?? alias;
  const keys = Object.entries(state.usageByKey)
    .map(([key, u]) => ({ key, project: projectOf(key), ...u }))
    .sort((a, b) => a.key.localeCompare(b.key));
  const projects: NonNullable<BatchSummary['projects']> = [];
  for (const k of keys) {
    let p = projects.find((x) => x.project === k.project);
    if (!p) projects.push((p = { project: k.project, keys: [], videos: 0, promptTokens: 0, totalTokens: 0 }));
    p.keys.push(k.key);
    p.videos += k.videos;
    p.promptTokens += k.promptTokens;
    p.totalTokens += k.totalTokens;
  }
  return { keys, projects };
}
