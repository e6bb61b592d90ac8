import { CancellationScope, log } from '@temporalio/workflow';
import { cacheRefreshBelowSeconds } from '../../gemini/cache-ttl';
import { emptyUsage, type CachedVideo, type NoteOutcome, type VideoFacts, type VideoOutcome } from '../../types';
import { caching } from '../activity-proxies';
import { summary, videoName } from '../labels';
import { Analysis, Spend } from './analysis';
import { deleteUpload, formatAndWrite, type Finished, type VideoParts } from './lesson-plan';

/** New runs of a batch with several templates make every note from one upload (and a cache where it pays). */
export const severalTemplatesPatch = 'several-templates-from-one-upload';

/** The templates of a batch that asks for several; undefined for one (that batch runs as it always did). */
export function severalTemplates(parts: Pick<VideoParts, 'input'>): string[] | undefined {
  const templates = parts.input.options.templates;
  return templates && templates.length > 1 ? templates : undefined;
}

/** A note's own spend, which also counts towards its video's. */
class NoteSpend extends Spend {
  constructor(private readonly video: Spend) {
    super();
  }

  override add(usage: VideoOutcome['usage'], costUsd: number): void {
    super.add(usage, costUsd);
    this.video.add(usage, costUsd);
  }
}

/**
 * The video's context cache: made once after the upload when it pays, refreshed before a note
 * that starts late, deleted when the video is done (whatever the ending). Its creation and storage
 * count in the video's cost.
 */
export class VideoCache {
  current: CachedVideo | undefined;
  storageUsd = 0;
  private tokens = 0;

  constructor(
    private readonly parts: VideoParts,
    private readonly facts: VideoFacts,
    private readonly templates: string[],
  ) {}

  private args(model: string, alias: string) {
    const { input, lease } = this.parts;
    return {
      item: input.item,
      facts: this.facts,
      file: lease.uploaded!,
      options: input.options,
      model,
      keyAlias: alias,
      templates: this.templates,
    };
  }

  async make(): Promise<void> {
    const { input, lease, spend, progress } = this.parts;
    const model = this.parts.analysis.models[0];
    if (this.templates.length < 2 || !lease.uploaded || !lease.alias || !model) return;
    // Economy mode (the Batch API) answers within hours: a cache kept that long costs more in storage than it saves.
    if ((input.options as { economy?: unknown }).economy) return;
    const label = summary(`put ${videoName(input.item)} in a context cache for ${this.templates.join(', ')}`);
    try {
      const made = await caching.createVideoCache.executeWithOptions({ summary: label }, [
        this.args(model, lease.alias),
      ]);
      spend.add(emptyUsage(), made.costUsd);
      this.current = made.cache;
      if (made.cache) this.tokens = made.cache.tokens;
      progress.note(
        made.cache ? `Context cache: ${made.cache.tokens} video tokens.` : `No context cache: ${made.reason}.`,
      );
    } catch (err) {
      log.warn('could not make a context cache; each note sends the video', { error: String(err) });
    }
  }

  /** Before a note: a cache near its end gets a fresh ttl (or is made again). */
  async refresh(): Promise<void> {
    const cache = this.current;
    const { input, lease, spend } = this.parts;
    if (!cache || !lease.uploaded) return;
    // A cache of another key or model serves nothing: the analysis sends the video instead.
    if (lease.alias !== cache.keyAlias) return;
    const leftMs = Date.parse(cache.expireTime) - Date.now();
    if (leftMs > cacheRefreshBelowSeconds * 1000) return;
    try {
      const again = await caching.refreshVideoCache.executeWithOptions(
        { summary: summary(`refresh the context cache of ${videoName(input.item)}`) },
        [{ ...this.args(cache.model, cache.keyAlias), cache }],
      );
      spend.add(emptyUsage(), again.costUsd);
      this.current = again.cache;
      if (again.cache) this.tokens = again.cache.tokens;
    } catch (err) {
      log.warn('could not refresh the context cache', { error: String(err) });
    }
  }

  /** Deletes the cache and counts what keeping it cost. Never cancelled: a cache must not outlive its video. */
  async release(): Promise<void> {
    const cache = this.current;
    if (!cache) return;
    this.current = undefined;
    const { input, spend, progress } = this.parts;
    progress.at('cleanup');
    await CancellationScope.nonCancellable(async () => {
      try {
        const done = await caching.deleteVideoCache.executeWithOptions(
          { summary: summary(`delete the context cache ${cache.name} of ${videoName(input.item)}`) },
          [{ cache }],
        );
        this.storageUsd += done.storageUsd;
        spend.add(emptyUsage(), done.storageUsd);
      } catch (err) {
        // It expires by itself within its ttl; a failed clean-up is not a failed video.
        log.warn('could not delete the context cache', { cache: cache.name, error: String(err) });
      }
    });
  }

  get summary(): VideoOutcome['cache'] {
    return this.tokens > 0 ? { tokens: this.tokens, storageUsd: this.storageUsd } : undefined;
  }
}

/**
 * Several notes from one upload: the video is uploaded once (and cached where it pays), then each
 * template that needs work runs the same analyze → format → write as a single template does, with
 * its own options and a fresh Analysis. Notes already up to date are kept.
 */
export async function makeNotes(parts: VideoParts, facts: VideoFacts, templates: string[]): Promise<Finished> {
  const { input, gate, spend, progress } = parts;
  const { item } = input;
  const notes: NoteOutcome[] = templates.map((template) => {
    const outputPath = facts.notesUpToDate?.[template];
    return outputPath ? { template, status: 'up-to-date', outputPath } : { template, status: 'not-started' };
  });
  parts.notes = notes;
  const todo = notes.filter((n) => n.status === 'not-started');
  await parts.upload();
  const cache = new VideoCache(
    parts,
    facts,
    todo.map((n) => n.template),
  );
  parts.cache = cache;
  await cache.make();
  let models = [...input.options.models];
  let lastModel: string | undefined;
  let truncated = false;
  let repairs = 0;
  const remarks: string[] = [];
  for (const [i, note] of todo.entries()) {
    progress.forTemplate(note.template, i + 1, todo.length);
    await cache.refresh();
    const options = {
      ...input.options,
      template: note.template,
      models,
      ...(cache.current ? { cachedContent: cache.current } : {}),
    };
    const own = new NoteSpend(spend);
    const analysis = new Analysis({ ...input, options }, progress, parts.lease, own, parts.upload);
    parts.analysis = analysis;
    note.status = 'failed';
    const result = await gate.attempt('analyze', () => analysis.run(facts));
    models = analysis.models;
    lastModel = result.model;
    progress.modelChosen(result.model);
    const written = await formatAndWrite(gate, `${note.template} note of ${videoName(item)}`, {
      input,
      facts,
      result,
      options,
      spend: own,
    });
    Object.assign(note, { status: 'written', outputPath: written.outputPath, costUsd: own.costUsd });
    if (written.note) remarks.push(`${note.template}: ${written.note}`);
    truncated ||= result.truncated;
    repairs += result.repairs ?? 0;
  }
  progress.forTemplate(undefined);
  await cache.release();
  await deleteUpload(parts);
  return {
    status: 'succeeded',
    outputPath: notes[0]?.outputPath,
    model: lastModel,
    truncated,
    ...(repairs ? { repairs } : {}),
    reason: remarks.length > 0 ? remarks.join('; ') : undefined,
    notes,
    ...(cache.summary ? { cache: cache.summary } : {}),
  };
}

/** A video with several templates that ends without all its notes: its cache is deleted too, even when cancelled. */
export async function releaseCacheOfUnfinished(parts: VideoParts, outcome: VideoOutcome): Promise<VideoOutcome> {
  const notes = parts.notes;
  if (!notes) return outcome;
  // The failure names the template whose note it stopped.
  const failed = notes.find((n) => n.status === 'failed');
  if (failed) failed.reason = outcome.reason;
  const named = failed && outcome.reason ? { reason: `${failed.template} note: ${outcome.reason}` } : {};
  const cache = parts.cache;
  if (cache?.current) await cache.release();
  return {
    ...outcome,
    ...named,
    usage: parts.spend.usage,
    costUsd: parts.spend.costUsd,
    notes,
    ...(cache?.summary ? { cache: cache.summary } : {}),
  };
}
