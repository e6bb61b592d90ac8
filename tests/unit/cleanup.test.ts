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

/**
 * Issue point 3: cleanup never leaves the output folder. On the code this started from, a
 * symbolic link at `.lesson-forge`, `batches` or `work` was followed and every old folder behind
 * it deleted, whatever its name (a thesis folder outside the output folder included).
 */
describe('cleanup in an output folder someone else prepared', () => {
  const old = Date.now() / 1000 - 400 * 86400;
  let base: string;
  let out: string;
  let thesis: string;
  let documents: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-cleanup-hostile-'));
    out = path.join(base, 'out');
    // Outside the output folder: a person's old work, in a folder that looks like anything but a record.
    documents = path.join(base, 'documents');
    thesis = path.join(documents, 'batches', 'thesis');
    fs.mkdirSync(thesis, { recursive: true });
    fs.writeFileSync(path.join(thesis, 'chapter1.tex'), 'years of work');
    fs.utimesSync(thesis, old, old);
    fs.mkdirSync(out, { recursive: true });
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const run = async (...args: string[]) => {
    let stderr = '';
    const err = jest.spyOn(process.stderr, 'write').mockImplementation((c) => ((stderr += String(c)), true));
    const outSpy = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      return { code: await main(['node', 'lesson-forge', 'cleanup', ...args]), stderr };
    } finally {
      err.mockRestore();
      outSpy.mockRestore();
    }
  };

  test.each(['.lesson-forge', '.lesson-forge/batches', '.lesson-forge/work'])(
    'a symbolic link at %s is refused (exit 4) and nothing behind it is deleted',
    async (linkAt) => {
      fs.mkdirSync(path.dirname(path.join(out, linkAt)), { recursive: true });
      // Each link leads to a folder where the old cleanup would have found `thesis` among the "old records".
      fs.symlinkSync(linkAt === '.lesson-forge' ? documents : path.dirname(thesis), path.join(out, linkAt));
      const { code, stderr } = await run(out, '--older-than', '1d');
      expect(code).toBe(4);
      expect(stderr).toContain('is a symbolic link; cleanup never follows links out of the output folder');
      expect(fs.readFileSync(path.join(thesis, 'chapter1.tex'), 'utf8')).toBe('years of work');
    },
  );

  test('only folders named as the tool names its records are deleted; a real folder called "thesis" stays', async () => {
    const batches = path.join(out, '.lesson-forge', 'batches');
    fs.mkdirSync(path.join(batches, 'thesis'), { recursive: true });
    fs.writeFileSync(path.join(batches, 'thesis', 'notes.txt'), 'keep');
    const record = path.join(batches, safeIdFolder('nightly-2025-01-01'));
    fs.mkdirSync(record);
    // A link to a folder outside, named like a record: not a folder here, never followed.
    const linked = path.join(batches, safeIdFolder('linked'));
    fs.symlinkSync(thesis, linked);
    for (const p of [path.join(batches, 'thesis'), record]) fs.utimesSync(p, old, old);
    fs.lutimesSync(linked, old, old);
    const { code } = await run(out, '--older-than', '1d');
    expect(code).toBe(0);
    expect(fs.existsSync(record)).toBe(false);
    expect(fs.readFileSync(path.join(batches, 'thesis', 'notes.txt'), 'utf8')).toBe('keep');
    expect(fs.readFileSync(path.join(thesis, 'chapter1.tex'), 'utf8')).toBe('years of work');
  });
});
