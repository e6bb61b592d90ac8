import { defaultKeyAlias, type Settings } from '../config';

/** Key names for a batch's input: configured names, or "default" for GEMINI_API_KEY. Never values. */
export function keyAliasesFor(settings: Settings): string[] {
  const names = settings.file.keys?.map((k) => k.name) ?? [];
  return names.length > 0 ? names : [defaultKeyAlias];
}
