import { log, sleep, workflowInfo } from '@temporalio/workflow';
import { analysisQueueFor } from '../../keys/queues';
import {
  addUsage,
  emptyUsage,
  type AnalysisResult,
  type TokenUsage,
  type VideoFacts,
  type VideoInput,
} from '../../types';
import { analysis, analysisTimeoutMs } from '../activity-proxies';
import { EconomyCall } from '../economy/economy-call';
import { failureDetailsOf, failureMessageOf, failureTypeOf } from '../failure-info';
import { clockText, summary, videoName } from '../labels';
import type { KeyLease } from './key-lease';
import { TokenBudget } from './token-budget';
import type { VideoProgress } from './progress';
import { longerAnswerLimit, quotaWaitMs, recoveryFor } from './recovery-policy';

/** Tokens and dollars a video has spent, failed attempts included. */
export class Spend {
  usage: TokenUsage = emptyUsage();
  costUsd = 0;

  add(usage: TokenUsage, costUsd: number): void {
    this.usage = addUsage(this.usage, usage);
    this.costUsd += costUsd;
  }
}

/**
 * Whose work folder a step uses: this workflow and its run chain (AnalyzeInput.chain), so answers
 * kept there serve its retries and resets but never a later start of the same workflow id.
 */
export function workFolder(): { workflowId: string; chain: string } {
  return { workflowId: workflowInfo().workflowId, chain: workflowInfo().originalExecutionRunId };
}

/**
 * Analysis with every recoverable outcome handled in place (see recovery-policy.ts for the rules).
 * Owns the model chain: a person's retry may put another model first.
 */
export class Analysis {
  models: string[];
  private reuploads = 0;
  private invalidOutputs = 0;
  private maxOutputTokens: number | undefined;
  private askedLonger = false;
  private readonly tokens: TokenBudget;
  private economy: EconomyCall | undefined;

  constructor(
    private readonly input: VideoInput,
    private readonly progress: VideoProgress,
    private readonly lease: KeyLease,
    private readonly spend: Spend,
    /** Uploads the file (again) with the lease's key. */
    private readonly upload: () => Promise<void>,
  ) {
    this.models = [...input.options.models];
    this.tokens = new TokenBudget(input, progress);
  }

  preferModel(model: string): void {
    this.models = [model, ...this.models.filter((m) => m !== model)];
  }

  async run(facts: VideoFacts): Promise<AnalysisResult> {
    for (;;) {
      const model = this.models[0];
      this.progress.analyzingWith(model);
      try {
        const result = await this.callOnce(model, facts);
        const longer = longerAnswerLimit(result, this.askedLonger);
        if (longer !== undefined) {
          // Once with a larger limit; if still cut short, keep it and mark it truncated.
          this.askedLonger = true;
          this.maxOutputTokens = longer;
          this.progress.note(`Answer was cut short at ${result.maxOutputTokens} tokens; asking again with ${longer}.`);
          continue;
        }
        this.progress.note(undefined);
        return result;
      } catch (err) {
        await this.recover(err);
      }
    }
  }

  private async callOnce(model: string, facts: VideoFacts): Promise<AnalysisResult> {
    const { item, options } = this.input;
    const alias = await this.lease.ensure(model);
    if (item.source.kind === 'file' && !this.lease.uploaded) await this.upload();
    // Economy mode: through the Batch API (its own quota, its price); the same result or classified
    // failure comes back, or 'interactive' when jobs did not answer it and it is asked as below.
    const economy = options.economy
      ? await (this.economy ??= new EconomyCall(this.input, this.progress)).analyze({
          ...workFolder(),
          item,
          facts,
          file: this.lease.uploaded,
          options,
          model,
          keyAlias: alias,
          maxOutputTokens: this.maxOutputTokens,
        })
      : 'interactive';
    if (economy !== 'interactive') {
      this.spend.add(economy.usage, economy.costUsd);
      return economy;
    }
    // Where the key's project keeps tokens per minute, the call waits for its booked moment first.
    const booked = await this.tokens.reserve(alias, model, facts);
    const queue = analysisQueueFor(
      workflowInfo().taskQueue,
      options.keyProjects?.[alias] ?? alias,
      model,
      options.rateLimitedModels,
      alias,
    );
    const args = {
      ...workFolder(),
      item,
      facts,
      file: this.lease.uploaded,
      options: booked?.options ?? options,
      model,
      keyAlias: alias,
      maxOutputTokens: this.maxOutputTokens,
      ...(booked ? { notBefore: booked.notBefore } : {}),
      ...(booked?.clips ? { bookedClips: booked.clips } : {}),
    };
    // A project with per-minute request limits is called only through its own queue, whose rate the server enforces.
    const limit = this.maxOutputTokens ? `, up to ${this.maxOutputTokens} output tokens` : '';
    // Several templates: the summary names the note (one template keeps its summary as it was).
    const what = (options.templates?.length ?? 0) > 1 ? `the ${options.template} note of ` : '';
    const clips = booked?.clips;
    const inClips = clips ? `, in ${clips.length} clips booked one by one in the project's minute` : '';
    const label = summary(`analyze ${what}${videoName(item)} with ${model}, key ${alias}${limit}${inClips}`);
    // Clips wait for their moments inside the activity: its time limit grows by the span they are booked over.
    const span = clips ? clips[clips.length - 1].notBefore - clips[0].notBefore : 0;
    const timeout = clips ? { startToCloseTimeout: analysisTimeoutMs + span } : {};
    let result: AnalysisResult;
    try {
      result = await analysis.analyzeVideo.executeWithOptions(
        queue ? { taskQueue: queue, summary: label, ...timeout } : { summary: label, ...timeout },
        [args],
      );
    } catch (err) {
      const details = failureDetailsOf(err);
      const spent = details?.usage as TokenUsage | undefined;
      await booked?.settle(spent?.promptTokens ?? 0, details?.clipPromptTokens as number[] | undefined);
      throw err;
    }
    await booked?.settle(result.usage.promptTokens, result.clipPromptTokens);
    this.spend.add(result.usage, result.costUsd);
    return result;
  }

  /** Carries out the recovery the policy chooses; rethrows the failure when there is none. */
  private async recover(err: unknown): Promise<void> {
    const details = failureDetailsOf(err);
    if (details && typeof details.usage === 'object' && details.usage)
      this.spend.add(details.usage as TokenUsage, typeof details.costUsd === 'number' ? details.costUsd : 0);
    const recovery = recoveryFor({
      failureType: failureTypeOf(err),
      details,
      models: this.models,
      reuploads: this.reuploads,
      invalidOutputs: this.invalidOutputs,
      isFile: this.input.item.source.kind === 'file',
      keyAlias: this.lease.alias,
      usePool: this.lease.usePool,
      now: Date.now(),
    });
    if (recovery.kind === 'give-up') throw err;
    if (recovery.kind === 'drop-key') {
      await this.lease.drop({ type: 'disable', alias: this.lease.alias!, reason: failureMessageOf(err) });
      return;
    }
    this.progress.note(recovery.note);
    if (recovery.kind === 'next-model') {
      log.warn('model unavailable, falling back', { model: this.models[0], next: this.models[1] });
      this.models = this.models.slice(1);
    } else if (recovery.kind === 'upload-again') {
      this.reuploads++;
      await this.upload();
    } else if (recovery.kind === 'ask-again') {
      this.invalidOutputs++;
    } else if (this.lease.usePool) {
      await this.lease.drop({
        type: 'park',
        alias: this.lease.alias!,
        until: recovery.resetAt,
        reason: 'daily quota used up',
      });
    } else {
      // The only key: a durable wait (no worker is busy meanwhile), then the same key again.
      this.progress.waitingForQuota();
      const wait = quotaWaitMs(recovery.resetAt, Date.now());
      const until = clockText(Date.now() + wait, Date.now());
      await sleep(wait, {
        summary: summary(`waiting for the daily quota of key ${this.lease.alias} to reset (${until})`),
      });
      this.progress.running();
    }
  }
}
