import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a user template at `<parent>/<name>`: a manifest (version 1.0.0, English, no tags, no
 * parameters) and `files` (file name → contents, e.g. prompt.hbs, schema.ts). Returns its folder.
 */
export function writeTemplateFolder(
  parent: string,
  name: string,
  description: string,
  files: Record<string, string>,
): string {
  const dir = path.join(parent, name);
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name, version: '1.0.0', description, language: 'en', tags: [], parameters: {} };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}
