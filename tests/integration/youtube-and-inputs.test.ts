import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { batchInput, makeVideoFolder, tempDir, uniqueId, useWorkerRig } from '../support/harness';

/** Inputs other than a plain folder: YouTube links in every form people paste, a list file, and files refused before upload. */
describe('YouTube links, list files and refused inputs', () => {
  const rig = useWorkerRig('yt-inputs', { processingMs: 50, latencyMs: 5, youtubeDefaultSeconds: 120 });

  const canonical = (id: string) => `https://www.youtube.com/watch?v=${id}`;

  function markdownFiles(output: string): string[] {
    const dir = path.join(output, 'comprehensive_lesson');
    return fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .map((f) => path.join(dir, f));
  }

  test('links in every form go to Gemini as the canonical URL, with no upload, and notes link to timestamps', async () => {
    const output = tempDir('out');
    const links = [
      'https://www.youtube.com/watch?v=aaaaaaaaaa1&feature=share&list=PLx',
      'https://youtu.be/bbbbbbbbbb2?si=abc',
      'https://www.youtube.com/shorts/ccccccccc_3',
      'https://www.youtube.com/embed/ddddddddd-4?start=10',
      'youtube.com/watch?v=aaaaaaaaaa1', // the first video again, pasted another way
    ];
    const batchId = uniqueId('yt');
    const summary = await rig.runBatch(batchInput(batchId, links, output));

    expect(summary).toMatchObject({ total: 4, succeeded: 4, failed: 0 });
    const stats = rig.standin.stats();
    expect(stats.totals['upload.start']).toBe(0);
    const ids = ['aaaaaaaaaa1', 'bbbbbbbbbb2', 'ccccccccc_3', 'ddddddddd-4'];
    expect(Object.keys(stats.byVideo).sort()).toEqual(ids.map(canonical).sort());
    for (const v of Object.values(stats.byVideo))
      expect(v).toMatchObject({ generateCalls: 1, generateSucceeded: 1, deletes: 0 });

    const files = markdownFiles(output);
    expect(files).toHaveLength(4);
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const source = String((parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(text)![1]) as Record<string, unknown>).source);
      expect(ids.map(canonical)).toContain(source);
      // Every timestamp link opens this very video at a whole second.
      const links = [...text.matchAll(/https:\/\/www\.youtube\.com\/watch\?v=[\w-]{11}&t=\d+s/g)].map((m) => m[0]);
      expect(links.length).toBeGreaterThan(0);
      for (const link of links) expect(link.startsWith(`${source}&t=`)).toBe(true);
    }
  });

  test('a list file mixes local videos and links; empty and fake videos are refused before any upload', async () => {
    const output = tempDir('out');
    const videos = makeVideoFolder(1);
    const refused = tempDir('refused');
    fs.writeFileSync(path.join(refused, 'empty.mp4'), '');
    fs.writeFileSync(path.join(refused, 'fake.mp4'), 'these are my lesson notes, not a video\n'.repeat(20));
    const listFile = path.join(tempDir('list'), 'videos.txt');
    fs.writeFileSync(
      listFile,
      [
        '# tonight',
        path.join(videos, 'lesson-01.mp4'),
        'https://youtu.be/eeeeeeeeee5',
        '',
        path.join(refused, 'empty.mp4'),
        path.join(refused, 'fake.mp4'),
      ].join('\n'),
    );
    const batchId = uniqueId('list');
    const input = batchInput(batchId, [], output);
    input.sources.listFiles = [listFile];
    const summary = await rig.runBatch(input);

    expect(summary.succeeded).toBe(2);
    const reasons = [
      ...summary.failures.map((f) => `${f.source} ${f.reason}`),
      ...summary.notVideos.map((n) => `${n.entry} ${n.reason}`),
    ].join('\n');
    expect(reasons).toMatch(/empty\.mp4.*empty file/);
    expect(reasons).toMatch(/fake\.mp4.*not a video/);
    const stats = rig.standin.stats();
    const uploaded = Object.keys(stats.byVideo).filter((k) => !k.startsWith('https://'));
    expect(uploaded).toHaveLength(1);
    expect(uploaded[0]).toMatch(/lesson-01/);
    expect(stats.totals['upload.start']).toBe(1);
    expect(stats.byVideo[canonical('eeeeeeeeee5')]).toMatchObject({ uploadsStarted: 0, generateSucceeded: 1 });
    expect(markdownFiles(output)).toHaveLength(2);
  });
});
