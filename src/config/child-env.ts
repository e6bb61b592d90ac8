/**
 * Child processes (ffprobe, the Temporal dev server) need PATH and friends, never a Gemini key:
 * a program we start, or a wrapper someone put first on PATH, must not be able to read one.
 */

/** Environment variables that may hold a Gemini key whatever the config says. */
const wellKnownKeyVars = ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_API_KEY'];

/** Names of the variables the config file names as key holders (`keys[].env`), added as configs are read. */
const configuredKeyVars = new Set<string>();

export function noteKeyVariables(names: Iterable<string>): void {
  for (const name of names) configuredKeyVars.add(name);
}

/** A copy of `env` without any variable that holds, or may hold, a Gemini key. */
export function childEnvironment(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const name of [...wellKnownKeyVars, ...configuredKeyVars]) delete out[name];
  return out;
}
