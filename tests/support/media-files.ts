import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The project's sample videos. */
export const samples = path.resolve(__dirname, '..', '..', 'samples');
/** Small hand-made media files (containers, broken headers) for the media unit tests. */
export const mediaFixtures = path.resolve(__dirname, '..', 'unit', 'fixtures', 'media');

/**
 * A scratch folder made before the calling file's tests and removed after them. Returns a function
 * that gives a path inside it: `scratch('a.mp4')`.
 */
export function useScratchDir(prefix: string): (...names: string[]) => string {
  let dir: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return (...names) => {
    if (!dir) throw new Error('the scratch folder exists only while the tests run');
    return path.join(dir, ...names);
  };
}
