import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOldRecords } from '../../src/cli/commands/cleanup';
import { safeIdFolder } from '../../src/output/atomic';
import { main } from '../../src/cli';

test('cleanup removes old batch records and work files, never outputs or the manifest', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-cleanup-'));
  const state = path.join(out, '.lesson-forge');
  const old = Date.now() / 1000 - 40 * 86400;
  // Record folders are named as the tool names them.
  const oldBatch = `batches/${safeIdFolder('old-batch')}`;
  const oldVideo = `work/${safeIdFolder('old-batch/old-video')}`;
  const newBatch = `batches/${safeIdFolder('new-batch')}`;
  for (const dir of [oldBatch, oldVideo, newBatch]) fs.mkdirSync(path.join(state, dir), { recursive: true });
  fs.utimesSync(path.join(state, oldBatch), old, old);
  fs.utimesSync(path.join(state, oldVideo), old, old);
  fs.writeFileSync(path.join(state, 'manifest.jsonl'), '{}\n');
  fs.mkdirSync(path.join(out, 'comprehensive_lesson'));
  fs.writeFileSync(path.join(out, 'comprehensive_lesson', 'a.md'), '# a');

  expect(
    findOldRecords(out, 30 * 86400)
      .map((r) => path.relative(state, r.path))
      .sort(),
  ).toEqual([oldBatch, oldVideo]);
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await main(['node', 'lesson-forge', 'cleanup', out, '--older-than', '30d'])).toBe(0);
  } finally {
    write.mockRestore();
  }
  expect(fs.existsSync(path.join(state, oldBatch))).toBe(false);
  expect(fs.existsSync(path.join(state, oldVideo))).toBe(false);
  expect(fs.existsSync(path.join(state, newBatch))).toBe(true);
  expect(fs.existsSync(path.join(state, 'manifest.jsonl'))).toBe(true);
  expect(fs.existsSync(path.join(out, 'comprehensive_lesson', 'a.md'))).toBe(true);
});
