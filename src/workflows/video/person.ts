import { condition, isCancellation, patched, setHandler } from '@temporalio/workflow';
import type { VideoState } from '../../types';
import { failureMessageOf, failureTypeOf } from '../failure-info';
import { clockText, summary } from '../labels';
import { handlerDescriptions, retrySignal, retryUpdate, skipSignal, skipUpdate } from '../definitions';
import type { VideoProgress } from './progress';

/** A person chose to give up on this video; it ends as skipped. */
export class SkipRequested extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export type Decision = { kind: 'retry'; model?: string } | { kind: 'skip'; reason: string };

/** New runs wait for a person once per failure: a failed re-upload inside analysis is not waited on again. */
const waitOncePatch = 'wait-for-a-person-once-per-failure';

/**
 * What a person decides about a step that failed for good. With a grace period, such a step waits
 * for `retry` (optionally with another model) or `skip` instead of failing the video at once.
 * The signals take any decision silently (as they always did); the Updates refuse one that cannot
 * apply, with the reason, and say what they did.
 */
export class PersonGate {
  private decision: Decision | undefined;
  private tellBatch: (waiting: boolean) => Promise<void> = async () => undefined;
  /** Failures a person was already asked about and let pass: an enclosing step does not ask again. */
  private readonly waitedOn = new WeakSet<object>();

  constructor(
    private readonly progress: VideoProgress,
    private readonly graceSeconds: number,
    private readonly preferModel: (model: string) => void,
  ) {}

  /** Registers the signals and Updates; `tellBatch` says when this video starts and stops waiting. */
  register(tellBatch: (waiting: boolean) => Promise<void>): void {
    this.tellBatch = tellBatch;
    setHandler(
      retrySignal,
      (args) => {
        if (this.progress.isWaitingForPerson()) this.decision = { kind: 'retry', model: args?.model };
        // Sent right after a Reset (retry-failed --model), before the rerun reaches a model: steps to come use it.
        else if (args?.model) this.preferModel(args.model);
      },
      { description: handlerDescriptions.retry },
    );
    setHandler(
      skipSignal,
      (args) => {
        this.decision = { kind: 'skip', reason: args?.reason ?? 'skipped by a person' };
      },
      { description: handlerDescriptions.skip },
    );
    setHandler(
      retryUpdate,
      (args) => {
        this.decision = { kind: 'retry', model: args?.model };
        const step = this.progress.state.attention?.step ?? this.progress.state.step;
        return { accepted: true, message: `retrying ${step}${args?.model ? ` with ${args.model}` : ''}` };
      },
      { validator: (_args) => this.mustBeWaiting('retry'), description: handlerDescriptions.retryStep },
    );
    setHandler(
      skipUpdate,
      (args) => {
        const reason = args?.reason ?? 'skipped by a person';
        this.decision = { kind: 'skip', reason };
        return { accepted: true, message: `skipped: ${reason}` };
      },
      { validator: (_args) => this.mustBeWaiting('skip'), description: handlerDescriptions.skipVideo },
    );
  }

  /** Throws (refusing the Update) unless the video waits for a person and nobody has decided yet. */
  private mustBeWaiting(what: string): void {
    const { step, status } = this.progress.state;
    if (status !== 'needs-attention')
      throw new Error(`Cannot ${what}: the video is not waiting for a person (step ${step}, ${status}).`);
    if (this.decision) throw new Error(`Cannot ${what}: a ${this.decision.kind} was already decided.`);
  }

  /** Runs a step; if it fails for good and a grace period is set, a person may retry or skip it. */
  async attempt<T>(step: VideoState['step'], run: () => Promise<T>): Promise<T> {
    const leave = this.progress.enter(step);
    try {
      for (;;) {
        this.progress.at(step);
        try {
          return await run();
        } catch (err) {
          if (isCancellation(err) || err instanceof SkipRequested || this.graceSeconds <= 0) throw err;
          if (this.waitedOn.has(err as object) && patched(waitOncePatch)) throw err;
          await this.waitForPerson(step, err);
        }
      }
    } finally {
      leave();
    }
  }

  /** Waits out the grace period for a decision; rethrows the failure if nobody decided, ends the video if skipped. */
  private async waitForPerson(step: VideoState['step'], err: unknown): Promise<void> {
    const graceMs = this.graceSeconds * 1000;
    this.progress.needsAttention({
      step,
      errorType: failureTypeOf(err),
      message: failureMessageOf(err),
      since: new Date().toISOString(),
      until: new Date(Date.now() + graceMs).toISOString(),
    });
    await this.tellBatch(true);
    this.decision = undefined;
    const until = clockText(Date.now() + graceMs, Date.now());
    const decided = await condition(() => this.decision !== undefined, graceMs, {
      summary: summary(`waiting for retry or skip until ${until} (${step} failed)`),
    });
    this.progress.attended();
    await this.tellBatch(false);
    // Set by a handler while this waited; TypeScript cannot see that.
    const chosen = this.decision as Decision | undefined;
    this.decision = undefined;
    if (!decided || !chosen) {
      if (typeof err === 'object' && err !== null) this.waitedOn.add(err);
      throw err;
    }
    if (chosen.kind === 'skip') throw new SkipRequested(chosen.reason);
    if (chosen.model) this.preferModel(chosen.model);
  }
}
