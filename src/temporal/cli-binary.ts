import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError, projectRoot } from '../config';

/** The `temporal` CLI: $TEMPORAL_CLI, the copy `npm run setup` installs, or one on PATH. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.TEMPORAL_CLI,
    path.join(projectRoot, '.tools', 'bin', 'temporal'),
    ...(env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, 'temporal')),
  ].filter((p): p is string => Boolean(p));
  for (const candidate of candidates) {
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new ConfigurationError(
    'The temporal CLI is not installed. Run `npm run setup` (installs it into .tools/), or install it yourself ' +
      '(`brew install temporal`), or set TEMPORAL_ADDRESS to a running Temporal server.',
  );
}
