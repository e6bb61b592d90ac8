/** The one encoding of "a key and a model" as a map key in the batch's carried state. Pure. */
export const usageKey = (alias: string, model: string): string => `${alias}\u0000${model}`;

export function parseUsageKey(key: string): { alias: string; model: string } {
  const [alias, model] = key.split('\u0000');
  return { alias, model };
}
