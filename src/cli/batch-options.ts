import { Option, type Command } from 'commander';
import { collect } from './batch-request';

/** Options that describe a batch, shared by `start-batch` and `schedule create`. */
export function addBatchOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '-t, --template <name>',
        'template to use (see `templates list`); repeat it for one note per template from one upload',
      )
        .argParser(collect)
        .default([], 'comprehensive_lesson'),
    )
    .option('-m, --model <id>', 'Gemini model to try first; the fallback chain follows (see catalog/models.json)')
    .option('-o, --output <dir>', 'output folder (default: ./lesson-plans)')
    .option('--output-pattern <pattern>', 'file name pattern under the output folder, e.g. "{template}/{name}.md"')
    .option('-c, --concurrency <n>', 'videos processed at once (default 4)')
    .option('-r, --recursive', 'also scan subfolders')
    .option('--no-follow-symlinks', 'skip symbolic links while scanning folders, so a scan stays inside its folder')
    .option('--include <glob>', 'only files matching this glob (repeatable)', collect, [])
    .option('--exclude <glob>', 'leave out files matching this glob (repeatable)', collect, [])
    .option(
      '-l, --list <file>',
      'a file with one path or YouTube link per line, # for comments (repeatable)',
      collect,
      [],
    )
    .option('-p, --param <key=value>', 'template parameter (repeatable)', collect, [])
    .option('--templates-dir <dir>', 'folder with your own templates (repeatable)', collect, [])
    .option('-f, --force', 're-process videos whose output is already up to date')
    .option('--keep-uploads', 'keep uploaded videos on Gemini (they expire after 48 h)')
    .addOption(
      new Option('--media-resolution <level>', 'force a media resolution (default: chosen from the length)').choices([
        'default',
        'low',
      ]),
    )
    .option(
      '--max-cost <usd>',
      "stop starting videos once spent + expected cost in flight would pass this amount (never more than one video's ceiling over)",
    )
    .option(
      '--failure-grace <duration>',
      'when a step fails for good, wait this long (e.g. 30m, 12h) for `retry`/`skip` before recording it failed',
    )
    .option('--no-wait-on-failure', 'record failed videos at once (same as --failure-grace 0)')
    .option(
      '--webhook <url>',
      'POST a JSON summary here when the batch ends (only with a worker in this process: the URL never leaves it)',
    )
    .option(
      '--webhook-env <name>',
      'POST the summary to the URL in this environment variable of the workers (the URL stays out of Temporal)',
    )
    .option('--batch-id <id>', 'use this batch id instead of one derived from the inputs and the date')
    .option(
      '--economy',
      "economy mode: analyses go through Gemini's Batch API at half price, answered within 24 h (usually sooner)",
    )
    .option(
      '--economy-poll <duration>',
      'economy mode: gather requests this long, and first look at a job after it (default 60s / 30s); later looks wait twice as long, up to 10m',
    );
}
