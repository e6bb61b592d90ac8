import { customSearchAttributes } from '../search-attributes';

/** The type as the temporal CLI and tcld spell it (the SDK's constant is 'KEYWORD'). */
const typeName = (type: string) =>
  type === 'KEYWORDLIST' ? 'KeywordList' : type.charAt(0) + type.slice(1).toLowerCase();

/** Temporal Cloud addresses: its namespaces take search attributes through tcld or the Cloud UI only. */
export function isTemporalCloud(address: string): boolean {
  const host = address.replace(/:\d+$/, '').toLowerCase();
  return host.endsWith('.tmprl.cloud') || host.endsWith('.api.temporal.io');
}

/** The search attribute a server's error names as unknown, if it is one of ours. */
export function missingSearchAttributeIn(text: string): string | undefined {
  if (!/search attribute|SearchAttribute/i.test(text)) return undefined;
  if (!/no mapping|not (a )?valid|is not defined|unknown|not found|invalid/i.test(text)) return undefined;
  return customSearchAttributes.map((a) => a.name).find((name) => new RegExp(`\\b${name}\\b`).test(text));
}

/** The exact commands that register the project's search attributes (the ones given, or all). */
export function searchAttributeCommands(
  target: { address: string; namespace: string },
  names: string[] = customSearchAttributes.map((a) => a.name),
): string {
  const attrs = customSearchAttributes.filter((a) => names.includes(a.name));
  if (isTemporalCloud(target.address)) {
    return (
      `  tcld namespace search-attributes add --namespace ${target.namespace} ` +
      attrs.map((a) => `--search-attribute "${a.name}=${typeName(a.type)}"`).join(' ') +
      '\n  (or in the Cloud UI: Namespaces → ' +
      `${target.namespace} → Edit → Custom Search Attributes, each of type Keyword)`
    );
  }
  return (
    `  temporal operator search-attribute create --address ${target.address} --namespace ${target.namespace} ` +
    attrs.map((a) => `--name ${a.name} --type ${typeName(a.type)}`).join(' ')
  );
}
