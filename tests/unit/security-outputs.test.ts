import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities';
import { ActivityContext } from '../../src/activities/context';
import { inspectActivities } from '../../src/activities/inspect';
import { writeActivities, type WriteInput } from '../../src/activities/write';
import { ExitCode } from '../../src/cli/exit-codes';
import { FailureType } from '../../src/failures';
import type { ModelCatalog } from '../../src/gemini/catalog';
import type { GeminiGateway } from '../../src/gemini/gateway';
import { manifestPath } from '../../src/output/manifest';
import type { ProcessingOptions, VideoFacts, VideoItem } from '../../src/types';
import { makeFifo, makeHostilePack, type HostilePack } from '../support/hostile-pack';
import { processingOptions } from '../support/processing-options';
import { failureOf } from '../support/application-failure';
import { runCli } from '../support/run-cli';

/**
 * Issue points 4 and 5, on a hostile course pack: two videos named `intro.mp4` written at the same
 * moment, a FIFO and symbolic links planted in the output folder, a name at the 255-byte limit, and
 * an output pattern that leaves the output folder. The real write and inspect activities, each
 * ActivityContext standing for a separate worker.
 */

const newWorker = () => new ActivityContext({ gemini: {} as GeminiGateway, catalog: {} as ModelCatalog });
const sha = (text: string) => crypto.createHash('sha256').update(text).digest('hex');

let pack: HostilePack;
let out: string;
let drafts: string;
beforeEach(() => {
  pack = makeHostilePack();
  out = path.join(path.dirname(pack.root), 'out');
  drafts = path.join(out, '.lesson-forge', 'work', 'drafts-0000');
  fs.mkdirSync(drafts, { recursive: true });
});
afterEach(() => pack.remove());

function options(over: Partial<ProcessingOptions> = {}): ProcessingOptions {
  return processingOptions(out, { template: 'summary_report', models: ['gemini-3.5-flash'], ...over });
}

const itemFor = (rel: string): VideoItem => {
  const file = path.join(pack.videos, rel);
  return { key: `k-${sha(file).slice(0, 6)}`, title: path.parse(file).name, source: { kind: 'file', path: file } };
};

let n = 0;
/** inspectVideo as a worker runs it (it heartbeats while hashing). */
const inspect = (item: VideoItem, opts: ProcessingOptions): Promise<VideoFacts> =>
  new MockActivityEnvironment().run(inspectActivities(newWorker()).inspectVideo, { item, options: opts });

async function writeRequest(rel: string, text: string, over: Partial<ProcessingOptions> = {}): Promise<WriteInput> {
  const item = itemFor(rel);
  const facts = await inspect(item, options(over));
  const draftPath = path.join(drafts, `draft-${n++}.md`);
  fs.writeFileSync(draftPath, text);
  return { item, facts, draftPath, options: options(over), model: 'gemini-3.5-flash' };
}

/** Fails the test instead of hanging it forever (a FIFO opened for reading waits for a writer). */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not finish in ${ms} ms`)), ms).unref(),
    ),
  ]);
}

describe('point 4: two outputs never land on one name', () => {
  test('two videos named intro.mp4, written at the same moment by two workers, get two files', async () => {
    const a = await writeRequest(pack.files.intro, '# intro from the main folder\n');
    const b = await writeRequest(pack.files.introAgain, '# intro from week 2\n');
    const [ra, rb] = await Promise.all([
      writeActivities(newWorker()).writeOutput(a),
      writeActivities(newWorker()).writeOutput(b),
    ]);
    expect(ra.outputPath).not.toBe(rb.outputPath);
    expect(fs.readFileSync(ra.outputPath, 'utf8')).toBe('# intro from the main folder\n');
    expect(fs.readFileSync(rb.outputPath, 'utf8')).toBe('# intro from week 2\n');
    // The second one's summary line says why its name differs.
    expect([ra.note, rb.note].filter(Boolean).join(' ')).toMatch(
      /summary_report\/intro\.md belongs to another video; wrote summary_report\/intro_1\.md/,
    );
  });

  test('"up to date" compares the recorded content hash: a file that holds another video\'s note is made again', async () => {
    const a = await writeRequest(pack.files.intro, '# intro from the main folder\n');
    const written = await writeActivities(newWorker()).writeOutput(a);
    // What a lost race left behind before names were claimed: the other video's note under the
    // same name, and its manifest line.
    const other = '# intro from week 2\n';
    fs.writeFileSync(written.outputPath, other);
    fs.appendFileSync(
      manifestPath(out),
      `${JSON.stringify({ outputPath: 'summary_report/intro.md', source: path.join(pack.videos, pack.files.introAgain), contentHash: 'x', template: 'summary_report', templateVersion: '1.0.0', model: 'gemini-3.5-flash', writtenSha256: sha(other), writtenAt: new Date().toISOString() })}\n`,
    );
    const again = await inspect(a.item, options());
    expect(again.upToDate).toBeUndefined();
  });
});

describe('point 5: what the tool writes and reads at an output path is a regular file in the output folder', () => {
  test('a FIFO at the output path is passed over, never opened: the note goes to intro_1.md', async () => {
    makeFifo(path.join(out, 'summary_report', 'intro.md'));
    const result = await within(
      10_000,
      writeActivities(newWorker()).writeOutput(await writeRequest(pack.files.intro, '# note\n')),
      'the write',
    );
    expect(result.outputPath).toBe(path.join(out, 'summary_report', 'intro_1.md'));
    expect(fs.lstatSync(path.join(out, 'summary_report', 'intro.md')).isFIFO()).toBe(true);
  });

  test('a symbolic link in place of the {template} folder is refused; nothing is written where it points', async () => {
    fs.mkdirSync(out, { recursive: true });
    fs.symlinkSync(pack.outside, path.join(out, 'summary_report'));
    const before = fs.readdirSync(pack.outside).sort();
    const failure = await failureOf(
      writeActivities(newWorker()).writeOutput(await writeRequest(pack.files.intro, '# note\n')),
    );
    expect(failure.type).toBe(FailureType.OutputWriteFailed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`${path.join(out, 'summary_report')} is a symbolic link`);
    expect(fs.readdirSync(pack.outside).sort()).toEqual(before);
  });

  test('a name at the 255-byte limit is written (its temporary name fits too), and so is its .regenerated twin', async () => {
    const pattern = '{template}/{name}{name}{name}.md'; // three 120-byte names: cut to 255 bytes
    const longName = `${'long lesson name '.repeat(7)}x.mp4`;
    fs.copyFileSync(path.join(pack.videos, pack.files.intro), path.join(pack.videos, longName));
    const first = await writeActivities(newWorker()).writeOutput(
      await writeRequest(longName, '# v1\n', { outputPattern: pattern }),
    );
    // At the limit (a trailing space cut off may leave it a byte or two short).
    expect(Buffer.byteLength(path.basename(first.outputPath))).toBeGreaterThanOrEqual(250);
    expect(Buffer.byteLength(path.basename(first.outputPath))).toBeLessThanOrEqual(255);
    expect(fs.readFileSync(first.outputPath, 'utf8')).toBe('# v1\n');
    fs.writeFileSync(first.outputPath, '# v1 with my edits\n');
    const second = await writeActivities(newWorker()).writeOutput(
      await writeRequest(longName, '# v2\n', { outputPattern: pattern }),
    );
    expect(second.outputPath).toMatch(/\.regenerated\.md$/);
    expect(Buffer.byteLength(path.basename(second.outputPath))).toBeLessThanOrEqual(255);
    expect(fs.readFileSync(second.outputPath, 'utf8')).toBe('# v2\n');
  });

  test('--dry-run --output-pattern ../{name}.md is refused at the command line (exit 2), before anything is spent', async () => {
    const saved = { ...process.env };
    process.env.LESSON_FORGE_CONFIG = path.join(pack.root, 'no-config.json');
    fs.writeFileSync(process.env.LESSON_FORGE_CONFIG, '{}');
    try {
      const { code, stderr } = await runCli(
        'start-batch',
        pack.videos,
        '--dry-run',
        '--output-pattern',
        '../{name}.md',
      );
      expect(code).toBe(ExitCode.usage);
      expect(stderr).toContain('--output-pattern: Output pattern "../{name}.md" must not contain "." or ".." folders');
    } finally {
      process.env = saved;
    }
  });
});

describe('point 2, worker side: a draft path outside the output folder is refused', () => {
  test('writeOutput through a worker policy: a draft elsewhere is InputNotAllowed, non-retryable', async () => {
    const request = await writeRequest(pack.files.intro, '# note\n');
    const secret = path.join(pack.outside, 'private.md');
    fs.writeFileSync(secret, 'not for the output folder');
    const activities = createActivities({
      gemini: {} as GeminiGateway,
      catalog: {} as ModelCatalog,
      policy: { outputRoots: [os.tmpdir()], templateDirs: [] },
    });
    const failure = await failureOf(activities.writeOutput({ ...request, draftPath: secret }));
    expect(failure.type).toBe(FailureType.InputNotAllowed);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(`does not read draftPath ${secret}`);
    expect(fs.existsSync(path.join(out, 'summary_report', 'intro.md'))).toBe(false);
  });
});

describe('point 5, worker side: records never go through a linked .lesson-forge', () => {
  test('a symbolic link at .lesson-forge refuses every activity on that output folder; nothing lands behind it', async () => {
    const linked = path.join(path.dirname(pack.root), 'linked-out');
    fs.mkdirSync(linked);
    fs.symlinkSync(pack.outside, path.join(linked, '.lesson-forge'));
    const activities = createActivities({
      gemini: {} as GeminiGateway,
      catalog: {} as ModelCatalog,
      policy: { outputRoots: [os.tmpdir()], templateDirs: [] },
    });
    const before = fs.readdirSync(pack.outside).sort();
    const failure = await failureOf(
      activities.recordOutcome({
        batchId: 'b-1',
        outputDir: linked,
        outcome: {
          key: 'k',
          title: 't',
          source: 's',
          status: 'succeeded',
          usage: { promptTokens: 0, outputTokens: 0, thoughtsTokens: 0, totalTokens: 0 },
          costUsd: 0,
        },
      }),
    );
    expect(failure.type).toBe(FailureType.InputNotAllowed);
    expect(failure.message).toContain(`${path.join(linked, '.lesson-forge')} is a symbolic link`);
    expect(fs.readdirSync(pack.outside).sort()).toEqual(before);
  });
});
