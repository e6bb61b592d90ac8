import { ApplicationFailure, getExternalWorkflowHandle, log, sleep, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../failures';
import type { UploadedFile, VideoInput } from '../../types';
import { housekeeping, keyPool } from '../activity-proxies';
import { keyPoolWorkflowId } from '../ids';
import { keyEventSignal, type KeyEvent } from '../key-pool-workflow';
import { clockText, summary } from '../labels';
import type { VideoProgress } from './progress';

/**
 * The Gemini key a video uses, and the upload that belongs to it: a file uploaded with one key is
 * of no use to another key's project, so upload and analysis share the key, and dropping the key
 * drops its upload. With several keys the shared key pool chooses; with one (or one forced) there
 * is nothing to choose.
 */
export class KeyLease {
  readonly usePool: boolean;
  alias: string | undefined;
  uploaded: UploadedFile | undefined;
  private readonly pool = getExternalWorkflowHandle(keyPoolWorkflowId(workflowInfo().taskQueue));

  constructor(
    input: VideoInput,
    private readonly progress: VideoProgress,
    private readonly quotaRecheckSeconds: number,
  ) {
    this.usePool = !input.options.keyAlias && input.keyAliases.length > 1;
    this.alias = input.options.keyAlias ?? (this.usePool ? undefined : input.keyAliases[0]);
  }

  label(): string {
    return this.alias ?? '(choosing)';
  }

  /**
   * The key to use now. The pool hands out a key with quota left; when every key waits for its
   * daily reset, this waits too, durably, asking again now and then.
   */
  async ensure(model: string): Promise<string> {
    while (!this.alias) {
      const got = await keyPool.chooseKey.executeWithOptions({ summary: `choose a key with quota for ${model}` }, [
        { model },
      ]);
      if ('alias' in got) {
        this.alias = got.alias;
        break;
      }
      if ('error' in got)
        throw ApplicationFailure.create({ type: FailureType.InvalidApiKey, nonRetryable: true, message: got.error });
      this.progress.waitingForQuota(`Waiting: ${got.reason}; quotas reset at ${got.waitUntil}.`);
      const untilMs = Date.parse(got.waitUntil) - Date.now();
      const wait = Math.max(1000, Math.min(untilMs, this.quotaRecheckSeconds * 1000));
      const label = `every key waits for its quota (reset ${clockText(Date.parse(got.waitUntil), Date.now())}); asking again at ${clockText(Date.now() + wait, Date.now())}`;
      await sleep(wait, { summary: summary(label) });
    }
    this.progress.running();
    return this.alias;
  }

  /** A key that cannot serve this video any more: tell the pool, free its upload, and take another next time. */
  async drop(event: Extract<KeyEvent, { type: 'park' | 'disable' }>): Promise<void> {
    await this.tell(event);
    const stale = this.uploaded;
    if (stale && event.type === 'park') {
      try {
        await housekeeping.deleteUpload.executeWithOptions(
          { summary: summary(`delete ${stale.name}, uploaded with parked key ${event.alias}`) },
          [{ file: stale }],
        );
      } catch (err) {
        log.warn('could not delete an upload left on a parked key', { file: stale.name, error: String(err) });
      }
    }
    this.alias = undefined;
    this.uploaded = undefined;
  }

  private async tell(event: KeyEvent): Promise<void> {
    try {
      await this.pool.signal(keyEventSignal, event);
    } catch (err) {
      log.warn('could not report to the key pool', { error: String(err) });
    }
  }
}
