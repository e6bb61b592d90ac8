import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sha256File } from '../../src/media/hash';

const sample = path.resolve(__dirname, '..', '..', 'samples', 'perspective-drawing.webm');
const expected = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'lf-hash-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

test('matches a one-shot SHA-256 of the whole file', async () => {
  expect(await sha256File(sample)).toBe(expected(sample));
});

test('reports growing progress that ends at the file size', async () => {
  const seen: number[] = [];
  await sha256File(sample, (bytes) => seen.push(bytes), { chunkBytes: 16 * 1024 });
  const size = readFileSync(sample).length;
  expect(seen.length).toBe(Math.ceil(size / (16 * 1024)));
  expect(seen).toEqual([...seen].sort((a, b) => a - b));
  expect(seen.at(-1)).toBe(size);
});

test('streams: a 64 MiB file hashes in chunks without holding it in memory', async () => {
  const big = path.join(tmp, 'big.bin');
  const block = Buffer.alloc(1024 * 1024, 7);
  await writeFile(big, Buffer.concat(Array.from({ length: 64 }, () => block)));
  let calls = 0;
  const digest = await sha256File(big, () => calls++);
  expect(digest).toBe(expected(big));
  expect(calls).toBeGreaterThanOrEqual(64);
});

test('an empty file has the well-known empty digest', async () => {
  const empty = path.join(tmp, 'empty');
  await writeFile(empty, '');
  expect(await sha256File(empty)).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('a missing file rejects with ENOENT', async () => {
  await expect(sha256File(path.join(tmp, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' });
});

test('an aborted signal stops the hash', async () => {
  await expect(sha256File(sample, undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({
    name: 'AbortError',
  });
});
