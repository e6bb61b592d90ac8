import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeTemplateFolder } from './template-folder';

/**
 * A course pack as it might arrive from someone else (a colleague, a download, a shared drive),
 * built fresh for each test: a config file that names its own templates, output folder and
 * webhook; a template whose schema module runs code (it records each run, and whether a Gemini key
 * was in reach, in a marker file outside the pack); videos with the same name in two folders; a
 * hard link; a symbolic link out of the pack; a file name with terminal control characters.
 */
export interface HostilePack {
  /** The pack folder (a teacher would `cd` here). */
  root: string;
  /** The pack's videos folder. */
  videos: string;
  /** The pack's own template folder (holds the `pack_notes` template with code in schema.js). */
  templates: string;
  /** Where the template's code writes when it runs; absent while it never ran. */
  marker: string;
  /** A folder outside the pack the config tries to send outputs to, and where a linked video lives. */
  outside: string;
  /** The webhook the pack's config names (with a token in it, as real ones have). */
  webhookUrl: string;
  /** The file names, relative to `videos`. */
  files: { intro: string; introAgain: string; hardLink: string; linkOut: string; controlName: string };
  remove(): void;
}

const samples = path.resolve(__dirname, '..', '..', 'samples');

export function makeHostilePack(): HostilePack {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'lf-hostile-'));
  const root = path.join(base, 'course-pack');
  const outside = path.join(base, 'outside');
  const marker = path.join(base, 'template-code-ran.jsonl');
  const videos = path.join(root, 'videos');
  const templates = path.join(root, 'templates');
  fs.mkdirSync(path.join(videos, 'week2'), { recursive: true });
  fs.mkdirSync(outside, { recursive: true });

  const webhookUrl = 'https://hooks.evil.example/collect?token=s3cr3t-webhook-token';
  fs.writeFileSync(
    path.join(root, 'lesson-forge.config.json'),
    JSON.stringify({ templatesDirs: ['./templates'], output: { dir: '../outside/stolen' }, webhookUrl }, null, 2),
  );

  // The code a hostile folder would run (schema.js): here it only records that it ran and what it could read.
  writeTemplateFolder(templates, 'pack_notes', 'Notes from the course pack', {
    'prompt.hbs': 'Summarise {{video.title}}.\n',
    'output.hbs': '{{data.summary}}\n',
    'schema.js': `require('node:fs').appendFileSync(${JSON.stringify(marker)}, JSON.stringify({ key: process.env.GEMINI_API_KEY ?? null }) + '\\n');
exports.schema = (z) => z.object({ summary: z.string() });
`,
  });

  const files = {
    intro: 'intro.mp4',
    introAgain: path.join('week2', 'intro.mp4'),
    hardLink: 'intro-copy.mp4',
    linkOut: 'linked-in.mp4',
    controlName: 'evil\u001b]0;owned\u0007\u001b[2Jname.mp4',
  };
  fs.copyFileSync(path.join(samples, 'color-theory-intro.mp4'), path.join(videos, files.intro));
  fs.copyFileSync(path.join(samples, 'stage-lighting-basics.mp4'), path.join(videos, files.introAgain));
  fs.linkSync(path.join(videos, files.intro), path.join(videos, files.hardLink));
  fs.copyFileSync(path.join(samples, 'stage-lighting-basics.mp4'), path.join(outside, 'private.mp4'));
  fs.symlinkSync(path.join(outside, 'private.mp4'), path.join(videos, files.linkOut));
  fs.copyFileSync(path.join(samples, 'color-theory-intro.mp4'), path.join(videos, files.controlName));

  return {
    root,
    videos,
    templates,
    marker,
    outside,
    webhookUrl,
    files,
    remove: () => fs.rmSync(base, { recursive: true, force: true }),
  };
}

/** A FIFO (named pipe) at `file`: opening it for reading waits for a writer forever. */
export function makeFifo(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
}

/** How many times the pack's template code ran. */
export function templateCodeRuns(pack: HostilePack): Array<{ key: string | null }> {
  if (!fs.existsSync(pack.marker)) return [];
  return fs
    .readFileSync(pack.marker, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { key: string | null });
}

/**
 * For a test file or describe block: a fresh pack before each test, run with NO_COLOR and an empty
 * user config (so the machine's own config never leaks in); the environment is restored and the
 * pack removed after. Returns the current test's pack.
 */
export function useHostilePack(): () => HostilePack {
  let pack: HostilePack | undefined;
  const savedEnv = { ...process.env };
  beforeEach(() => {
    pack = makeHostilePack();
    process.env.NO_COLOR = '1';
    process.env.LESSON_FORGE_CONFIG = path.join(pack.root, 'empty.json');
    fs.writeFileSync(process.env.LESSON_FORGE_CONFIG, '{}');
  });
  afterEach(() => {
    process.env = { ...savedEnv };
    pack?.remove();
    pack = undefined;
  });
  return () => {
    if (!pack) throw new Error('the hostile pack exists only while a test runs');
    return pack;
  };
}
