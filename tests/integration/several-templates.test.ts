/**
 * Several templates from one upload: one batch with `-t comprehensive_lesson -t quiz -t
 * summary_report` uploads each video once, puts it in a context cache (it pays: three templates, a
 * video above the model's minimum), writes one note per template, deletes the cache and counts it
 * in the cost. A rerun that adds a template makes only that note; a video below the minimum cache
 * size is sent with each request instead. Checked on the stand-in's side (uploads, caches, reads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadCatalog } from '../../src/gemini/catalog';
import type { VideoOutcome } from '../../src/types';
import { batchInput, samplesDir, tempDir, timelineLabels, uniqueId, useWorkerRig, waitFor } from '../support/harness';
import { mediaFixtures } from '../support/media-files';
import { billOf } from '../support/standin-bill';

const three = ['comprehensive_lesson', 'quiz', 'summary_report'];

function folderWith(prefix: string, files: Array<[string, string]>): string {
  const dir = tempDir(prefix);
  for (const [from, name] of files) fs.copyFileSync(from, path.join(dir, name));
  return dir;
}

/** The stand-in labels a video by its upload's display name, which starts with the file's name. */
const labelOf = (stats: { byVideo: Record<string, unknown> }, name: string): string =>
  Object.keys(stats.byVideo).find((k) => k.startsWith(name)) ?? `(no ${name})`;

const notesIn = (output: string, template: string): string[] =>
  fs.existsSync(path.join(output, template)) ? fs.readdirSync(path.join(output, template)).sort() : [];

describe('several templates from one upload', () => {
  const rig = useWorkerRig('templates', { processingMs: 10 });

  test('three templates: one upload, one cache made, read three times and deleted; three notes; the cache in the cost', async () => {
    const videos = folderWith('three', [[path.join(samplesDir, 'color-theory-intro.mp4'), 'three-colours.mp4']]);
    const output = tempDir('out');
    const batchId = uniqueId('three');
    const summary = await rig.runBatch(
      batchInput(batchId, [videos], output, {}, { template: three[0], templates: three }),
    );

    expect(summary).toMatchObject({ total: 1, succeeded: 1, failed: 0 });
    for (const t of three) expect(notesIn(output, t)).toEqual(['three-colours.md']);
    expect(summary.outputs.map((o) => path.relative(output, o)).sort()).toEqual(
      three.map((t) => path.join(t, 'three-colours.md')).sort(),
    );
    // Each note is its template's own document.
    expect(fs.readFileSync(path.join(output, 'quiz', 'three-colours.md'), 'utf8')).toMatch(/template: quiz/);

    const stats = rig.standin.stats();
    expect(stats.byVideo[labelOf(stats, 'three-colours')]).toMatchObject({
      uploadsStarted: 1,
      uploadsCompleted: 1,
      generateCalls: 3,
    });
    const caches = rig.standin.caches.caches();
    expect(caches).toHaveLength(1);
    const cache = caches[0]!;
    // All three requests named the cache (the stand-in counts a read for each request that names it).
    expect(cache).toMatchObject({ reads: 3, deleted: true, model: 'gemini-3.8-flash' });
    expect(stats.totals['caches.create']).toBe(1);
    expect(stats.totals['caches.delete']).toBe(1);

    // The cost reads cachedContentTokenCount, prices cached tokens, creation and storage as billed.
    expect(summary.usage.cachedTokens).toBe(3 * cache.tokens);
    const bill = await billOf(rig.standin, loadCatalog());
    expect(bill.cachedReadTokens).toBe(3 * cache.tokens);
    expect(bill.storageUsd).toBeGreaterThan(0);
    expect(summary.costUsd).toBeCloseTo(bill.usd, 7);
    // Without the cache the three requests would have paid the whole video three times.
    const withoutCache = bill.usd + 3 * cache.tokens * (0.75 - 0.075) * 1e-6 - bill.cacheCreateUsd - bill.storageUsd;
    expect(summary.costUsd).toBeLessThan(withoutCache);

    // The batch report and the Web UI name each note's template.
    const report = JSON.parse(fs.readFileSync(summary.reportPath!.replace(/\.md$/, '.json'), 'utf8')) as {
      videos: VideoOutcome[];
    };
    expect(report.videos[0]?.notes?.map((n) => [n.template, n.status])).toEqual(three.map((t) => [t, 'written']));
    const reportText = fs.readFileSync(summary.reportPath!, 'utf8');
    expect(reportText).toContain(
      `comprehensive_lesson: ${path.join('comprehensive_lesson', 'three-colours.md')}; quiz: ${path.join('quiz', 'three-colours.md')}`,
    );
    expect(reportText).toMatch(/Context caches: 1 video read from a cache by every template/);
    const labels = await timelineLabels(rig.client, batchId);
    for (const t of three) {
      expect(labels).toContainEqual(expect.stringMatching(new RegExp(`^analyze the ${t} note of three-colours\\.mp4`)));
      expect(labels).toContain(`format the ${t} note of three-colours.mp4`);
    }
    expect(labels).toContainEqual(expect.stringMatching(/^put three-colours\.mp4 in a context cache/));
    expect(labels).toContainEqual(expect.stringMatching(/^delete the context cache cachedContents\//));

    // A rerun that adds a fourth template makes only its note, from one more upload.
    rig.standin.resetStats();
    const again = await rig.runBatch(
      batchInput(
        uniqueId('four'),
        [videos],
        output,
        {},
        { template: three[0], templates: [...three, 'chinese_transcript'] },
      ),
    );
    expect(again).toMatchObject({ succeeded: 1, failed: 0 });
    const rerun = rig.standin.stats();
    expect(rerun.byVideo[labelOf(rerun, 'three-colours')]).toMatchObject({ uploadsCompleted: 1, generateCalls: 1 });
    // One template to make: nothing to share, so no cache and the video goes with the request.
    expect(rig.standin.caches.caches()).toHaveLength(1);
    expect(notesIn(output, 'chinese_transcript')).toEqual(['three-colours.md']);
    for (const t of three) expect(notesIn(output, t)).toEqual(['three-colours.md']);
    const notes = (
      JSON.parse(fs.readFileSync(again.reportPath!.replace(/\.md$/, '.json'), 'utf8')) as {
        videos: VideoOutcome[];
      }
    ).videos[0]?.notes;
    expect(notes?.map((n) => n.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date', 'written']);

    // And with every note up to date, nothing is uploaded at all.
    rig.standin.resetStats();
    const third = await rig.runBatch(
      batchInput(
        uniqueId('none'),
        [videos],
        output,
        {},
        { template: three[0], templates: [...three, 'chinese_transcript'] },
      ),
    );
    expect(third).toMatchObject({ skipped: 1, succeeded: 0 });
    expect(rig.standin.stats().totals['upload.start']).toBe(0);
  });

  test('a short video below the minimum cache size is sent with each request, without a cache', async () => {
    const videos = folderWith('short', [[path.join(mediaFixtures, 'tiny.m4v'), 'short-clip.m4v']]);
    const output = tempDir('out');
    const before = rig.standin.caches.caches().length;
    const summary = await rig.runBatch(
      batchInput(uniqueId('short'), [videos], output, {}, { template: 'quiz', templates: ['quiz', 'summary_report'] }),
    );
    expect(summary).toMatchObject({ succeeded: 1, failed: 0 });
    expect(rig.standin.caches.caches()).toHaveLength(before);
    const stats = rig.standin.stats();
    expect(stats.byVideo[labelOf(stats, 'short-clip')]).toMatchObject({ uploadsCompleted: 1, generateCalls: 2 });
    expect(
      stats.log
        .filter((e) => e.route === 'generate' && e.video === labelOf(stats, 'short-clip'))
        .map((e) => e.mediaParts),
    ).toEqual([1, 1]);
    expect(summary.usage.cachedTokens).toBeUndefined();
    expect(notesIn(output, 'quiz')).toEqual(['short-clip.md']);
    expect(notesIn(output, 'summary_report')).toEqual(['short-clip.md']);
  });

  test('a cache that lapses mid-run: the notes still come, the rest sending the video', async () => {
    const videos = folderWith('lapse', [[path.join(samplesDir, 'stage-lighting-basics.mp4'), 'lapsing-cache.mp4']]);
    const before = new Set(rig.standin.caches.caches().map((c) => c.name));
    // The first note's call is held for a moment, and the cache expires meanwhile.
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'lapsing-cache' },
      times: 1,
      action: { type: 'delay', ms: 4000 },
    });
    const run = rig.runBatch(
      batchInput(uniqueId('lapse'), [videos], tempDir('out'), {}, { template: three[0], templates: three }),
    );
    let expired: string | undefined;
    while (!expired) {
      expired = rig.standin.caches.caches().find((c) => !before.has(c.name))?.name;
      if (!expired) await new Promise((r) => setTimeout(r, 50));
    }
    // Expired once the first note's request has (most likely) read it and is held by the delay.
    await new Promise((r) => setTimeout(r, 1000));
    rig.standin.caches.expire(expired);
    const summary = await run;
    expect(summary).toMatchObject({ succeeded: 1, failed: 0 });
    expect(summary.outputs).toHaveLength(3);
    const cache = rig.standin.caches.caches().find((c) => c.name === expired)!;
    expect(cache).toMatchObject({ expired: true, deleted: false });
    expect(cache.reads).toBeLessThanOrEqual(1);
    // The notes after it sent the video and paid it in full: only what was read is priced as cached.
    expect(summary.usage.cachedTokens ?? 0).toBe(cache.reads * cache.tokens);
  });

  test('a note that fails: the video fails naming the template, and its cache is deleted all the same', async () => {
    const videos = folderWith('fails', [[path.join(samplesDir, 'color-theory-intro.mp4'), 'failing-note.mp4']]);
    const before = new Set(rig.standin.caches.caches().map((c) => c.name));
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'failing-note' },
      times: 1,
      action: { type: 'http', status: 400 },
    });
    const summary = await rig.runBatch(
      batchInput(uniqueId('fails'), [videos], tempDir('out'), {}, { template: three[0], templates: three }),
    );
    expect(summary).toMatchObject({ succeeded: 0, failed: 1 });
    expect(summary.failures[0]?.reason).toMatch(/^comprehensive_lesson note: /);
    const made = rig.standin.caches.caches().filter((c) => !before.has(c.name));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ deleted: true });
    // Failed, but what it spent is counted: the cache's creation and storage too.
    expect(summary.costUsd).toBeGreaterThan(0);
  });

  test('a video cancelled while its notes are made: its cache is deleted all the same', async () => {
    const videos = folderWith('cancel', [[path.join(samplesDir, 'perspective-drawing.webm'), 'cancelled-notes.webm']]);
    const before = new Set(rig.standin.caches.caches().map((c) => c.name));
    // The first note's request is held long enough to cancel the video meanwhile.
    rig.standin.addFault({
      route: 'generate',
      match: { video: 'cancelled-notes' },
      times: 1,
      action: { type: 'delay', ms: 3000 },
    });
    const batchId = uniqueId('cancel');
    const run = rig.runBatch(
      batchInput(batchId, [videos], tempDir('out'), {}, { template: three[0], templates: three }),
    );
    let made: string | undefined;
    while (!made) {
      made = rig.standin.caches.caches().find((c) => !before.has(c.name))?.name;
      if (!made) await new Promise((r) => setTimeout(r, 50));
    }
    // Visibility can lag a moment behind the start.
    const ids: string[] = [];
    await waitFor(
      async () => {
        for await (const wf of rig.client.workflow.list({ query: `WorkflowId STARTS_WITH "${batchId}/"` }))
          if (!ids.includes(wf.workflowId)) ids.push(wf.workflowId);
        return ids.length > 0;
      },
      10_000,
      'the video workflow to be listed',
    );
    expect(ids).toHaveLength(1);
    await rig.client.workflow.getHandle(ids[0]!).cancel();
    const summary = await run;
    expect(summary).toMatchObject({ failed: 1, succeeded: 0 });
    expect(summary.failures[0]?.errorType).toBe('Cancelled');
    expect(rig.standin.caches.caches().find((c) => c.name === made)).toMatchObject({ deleted: true });
  });
});
