import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { batchInput, samplesDir, tempDir, uniqueId, useWorkerRig } from '../support/harness';

/** A folder of the samples under names no other test uses (the stand-in counts calls by name). */
function folder(prefix: string, count: number): string {
  const dir = tempDir(prefix);
  const samples = ['color-theory-intro.mp4', 'stage-lighting-basics.mp4', 'perspective-drawing.webm'];
  for (let i = 0; i < count; i++) {
    const sample = samples[i % samples.length] as string;
    fs.copyFileSync(path.join(samplesDir, sample), path.join(dir, `${prefix}-${i + 1}${path.extname(sample)}`));
  }
  return dir;
}

function frontmatterOf(file: string): Record<string, unknown> {
  const match = /^---\n([\s\S]*?)\n---\n/.exec(fs.readFileSync(file, 'utf8'));
  if (!match) throw new Error(`${file} has no frontmatter`);
  return parseYaml(match[1]) as Record<string, unknown>;
}

describe('expected against actual, and repairs that do not send the video again', () => {
  const rig = useWorkerRig('estimates', { processingMs: 20 });

  test('schema-breaking answers are repaired by text-only calls; the summary and report set expected beside actual', async () => {
    const output = tempDir('out');
    // Every answer about a video breaks the template's schema; text-only requests get valid answers.
    rig.standin.addFault({
      route: 'generate',
      match: { withVideo: true },
      times: 3,
      action: { type: 'schema-mismatch' },
    });
    const first = await rig.runBatch(batchInput(uniqueId('repairs'), [folder('fix', 3)], output));

    expect(first).toMatchObject({ succeeded: 3, failed: 0, repairs: 3 });
    const stats = rig.standin.stats();
    // Checked on the stand-in's side: each video was sent once; the three repairs carried no video part.
    const perVideo = Object.values(stats.byVideo);
    expect(perVideo).toHaveLength(3);
    for (const v of perVideo) expect(v).toMatchObject({ generateCalls: 1, uploadsCompleted: 1 });
    const generates = stats.log.filter((e) => e.route === 'generate');
    expect(generates.filter((e) => e.mediaParts === 1)).toHaveLength(3);
    const repairs = generates.filter((e) => e.mediaParts === 0);
    expect(repairs).toHaveLength(3);
    for (const r of repairs) expect(r).toMatchObject({ status: 200, finishReason: 'STOP' });
    for (const file of first.outputs) expect(frontmatterOf(file).repairs).toBe(1);

    // Expected (typical sizes: no history yet) beside the bill, for the same three videos.
    const e1 = first.expected!;
    expect(e1).toMatchObject({ videos: 3, fromHistory: 0 });
    expect(e1.actualCostUsd).toBeCloseTo(first.costUsd, 9);
    expect(e1.actualUsage).toEqual(first.usage);
    expect(e1.costUsd).toBeGreaterThan(0);
    expect(e1.ceilingUsd).toBeGreaterThan(e1.costUsd);
    // Input is worked out from the videos' lengths and the prompt; the stand-in bills by its own arithmetic.
    // The repair calls add their own text input, so the bill is above the video calls' input alone.
    expect(e1.inputTokens).toBeGreaterThan(0);
    const report = fs.readFileSync(first.reportPath!, 'utf8');
    expect(report).toMatch(/Estimate against the bill: expected \$[\d.]+ \(ceiling \$[\d.]+\) · actual \$[\d.]+/);
    expect(report).toContain('Answers repaired without sending the video again: 3.');

    // A second run into the same folder expects each answer to cost what the first run's did.
    rig.standin.resetStats();
    const second = await rig.runBatch(batchInput(uniqueId('again'), [folder('again', 3)], output));
    expect(second).toMatchObject({ succeeded: 3 });
    expect(second.repairs).toBeUndefined();
    const e2 = second.expected!;
    expect(e2).toMatchObject({ videos: 3, fromHistory: 3 });
    const firstOutputPerVideo = (first.usage.outputTokens + first.usage.thoughtsTokens) / 3;
    expect(Math.abs(e2.outputTokens - 3 * firstOutputPerVideo)).toBeLessThanOrEqual(3);
  });

  test('without a schema-breaking answer nothing is repaired and no text-only call is made', async () => {
    const summary = await rig.runBatch(batchInput(uniqueId('clean'), [folder('clean', 2)], tempDir('out')));
    expect(summary).toMatchObject({ succeeded: 2 });
    expect(summary.repairs).toBeUndefined();
    expect(rig.standin.stats().log.filter((e) => e.route === 'generate' && e.mediaParts === 0)).toEqual([]);
  });
});
