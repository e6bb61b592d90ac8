import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { historyKey, readOutputHistory } from '../../src/gemini/output-history';

/** An output folder as lesson-forge leaves it: a manifest and batch records. */
function outputFolder(batches: Record<string, object[]>, manifest: object[]): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-history-'));
  const state = path.join(out, '.lesson-forge');
  fs.mkdirSync(state, { recursive: true });
  fs.writeFileSync(path.join(state, 'manifest.jsonl'), manifest.map((m) => JSON.stringify(m)).join('\n') + '\n');
  for (const [batch, lines] of Object.entries(batches)) {
    fs.mkdirSync(path.join(state, 'batches', batch), { recursive: true });
    fs.writeFileSync(
      path.join(state, 'batches', batch, 'outcomes.jsonl'),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"torn',
    );
  }
  return out;
}

test('the mean of finished answers per template and model; repeats, skips, failures and torn lines left out', async () => {
  const usage = (output: number, thoughts = 0) => ({
    promptTokens: 4000,
    outputTokens: output,
    thoughtsTokens: thoughts,
    totalTokens: 0,
  });
  const done = (key: string, rel: string, u: object, extra: object = {}) => ({
    key,
    title: key,
    source: key,
    status: 'succeeded',
    model: 'gemini-3.8-flash',
    usage: u,
    costUsd: 0,
    ...extra,
    outputPath: `OUT/${rel}`,
  });
  const manifest = [
    { outputPath: 'quiz/a.md', template: 'quiz', model: 'gemini-3.8-flash' },
    { outputPath: 'quiz/b.md', template: 'quiz', model: 'gemini-3.8-flash' },
    { outputPath: 'quiz/c.md', template: 'quiz', model: 'gemini-3.8-flash' },
  ];
  const out = outputFolder({}, manifest);
  const abs = (o: { outputPath: string }) => ({ ...o, outputPath: o.outputPath.replace('OUT', out) });
  const batches = {
    b1: [
      abs(done('a', 'quiz/a.md', usage(100))), // reported twice: the later line wins
      abs(done('a', 'quiz/a.md', usage(1000, 200))),
      abs(done('b', 'quiz/b.md', usage(500, 100))),
      abs(done('s', 'quiz/c.md', usage(0), { status: 'skipped' })),
      abs(done('f', 'quiz/c.md', usage(9999), { status: 'failed' })),
    ],
    b2: [abs(done('c', 'quiz/c.md', usage(300)))],
  };
  for (const [batch, lines] of Object.entries(batches)) {
    fs.mkdirSync(path.join(out, '.lesson-forge', 'batches', batch), { recursive: true });
    fs.writeFileSync(
      path.join(out, '.lesson-forge', 'batches', batch, 'outcomes.jsonl'),
      lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"torn',
    );
  }
  const history = await readOutputHistory(out);
  // (1,200 + 600 + 300) / 3 = 700
  expect(history.get(historyKey('quiz', 'gemini-3.8-flash'))).toEqual({
    videos: 3,
    meanOutputTokens: 700,
    meanPromptTokens: 4000,
  });
  expect(history.get(historyKey('quiz', 'gemini-2.5-flash-lite'))).toBeUndefined();
  expect(await readOutputHistory(path.join(out, 'nothing-here'))).toEqual(new Map());
});
