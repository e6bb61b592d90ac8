import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOldRecords } from '../../src/cli/commands/cleanup';
import { main } from '../../src/cli';

test('cleanup removes old batch records and work files, never outputs or the manifest', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-cleanup-'));
  const state = path.join(out, '.lesson-forge');
  const old = Date.now() / 1000 - 40 * 86400;
  for (const dir of ['batches/old-batch', 'work/old-video', 'batches/new-batch'])
    fs.mkdirSync(path.join(state, dir), { recursive: true });
  fs.utimesSync(path.join(state, 'batches/old-batch'), old, old);
  fs.utimesSync(path.join(state, 'work/old-video'), old, old);
  fs.writeFileSync(path.join(state, 'manifest.jsonl'), '{}\n');
  fs.mkdirSync(path.join(out, 'comprehensive_lesson'));
  fs.writeFileSync(path.join(out, 'comprehensive_lesson', 'a.md'), '# a');

  expect(
    findOldRecords(out, 30 * 86400)
      .map((r) => path.relative(state, r.path))
      .sort(),
  ).toEqual(['batches/old-batch', 'work/old-video']);
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await main(['node', 'lesson-forge', 'cleanup', out, '--older-than', '30d'])).toBe(0);
  } finally {
    write.mockRestore();
  }
  expect(fs.existsSync(path.join(state, 'batches/old-batch'))).toBe(false);
  expect(fs.existsSync(path.join(state, 'work/old-video'))).toBe(false);
  expect(fs.existsSync(path.join(state, 'batches/new-batch'))).toBe(true);
  expect(fs.existsSync(path.join(state, 'manifest.jsonl'))).toBe(true);
  expect(fs.existsSync(path.join(out, 'comprehensive_lesson', 'a.md'))).toBe(true);
});
