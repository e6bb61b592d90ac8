import os from 'node:os';
import path from 'node:path';

/** The repository root, whether running from src/ under tsx or from tests. */
export const projectRoot = path.resolve(__dirname, '..', '..');

/** Per-user data folder (XDG on Linux, Application Support on macOS, AppData on Windows). */
export function userDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LESSON_FORGE_HOME) return path.resolve(env.LESSON_FORGE_HOME);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'lesson-forge');
  if (process.platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'lesson-forge');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'lesson-forge');
}

/**
 * Per-user config folder: `$XDG_CONFIG_HOME/lesson-forge` (default `~/.config/lesson-forge`) on
 * Linux, the data folder elsewhere. `LESSON_FORGE_HOME` moves both (tests isolate themselves so).
 */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LESSON_FORGE_HOME || process.platform === 'darwin' || process.platform === 'win32') return userDataDir(env);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(os.homedir(), '.config'), 'lesson-forge');
}

/** Hidden folder inside an output folder where the tool keeps its work files and records. */
export const stateDirName = '.lesson-forge';
export const stateDirOf = (outputDir: string): string => path.join(outputDir, stateDirName);
