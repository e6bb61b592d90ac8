import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import { FailureType } from '../../failures';
import { ModelAttr, VideoStatusAttr, VideoStatusValue } from '../../search-attributes';
import type { VideoOutcome, VideoState } from '../../types';

type Step = VideoState['step'];

/**
 * The one owner of "which step is this video in, and how is it doing": the status query, the
 * details the Web UI shows and the VideoStatus search attribute all read from here.
 */
export class VideoProgress {
  readonly state: VideoState = { step: 'inspect', status: 'running' };
  /** Lean histories: the model that made the note, written with the final status. */
  private modelToWrite: string | undefined;

  constructor(
    private readonly title: string,
    /** The key in use, or "(choosing)": the lease knows. */
    private readonly keyLabel: () => string,
    /** VideoInput.leanHistory: the search attributes are written at the end only (the batch starts the video as running). */
    private readonly leanHistory = false,
  ) {}

  /** Enters a step; the returned function goes back to the step that was current (a re-upload inside analysis). */
  enter(step: Step): () => void {
    const previous = this.state.step;
    this.state.step = step;
    this.show();
    return () => {
      this.state.step = previous;
    };
  }

  /** Marks the step current again, without changing what enter() will restore. */
  at(step: Step): void {
    this.state.step = step;
    this.show();
  }

  /** Several templates: the note being made now (undefined when done). */
  forTemplate(template: string | undefined, index?: number, of?: number): void {
    this.state.template =
      template && index !== undefined && of !== undefined ? `${template} (${index} of ${of})` : template;
    this.show();
  }

  analyzingWith(model: string): void {
    this.state.model = model;
    this.state.keyAlias = this.keyLabel();
  }

  note(text: string | undefined): void {
    this.state.note = text;
  }

  waitingForQuota(note?: string): void {
    this.state.status = 'waiting-for-quota';
    if (note !== undefined) this.state.note = note;
    this.show();
  }

  running(): void {
    this.state.status = 'running';
  }

  /** Economy mode: the analysis waits for a Batch API job; the note names it and its state. */
  waitingForBatchJob(note: string): void {
    this.state.note = note;
    this.show();
  }

  markRunning(): void {
    if (this.leanHistory) return;
    upsertSearchAttributes([{ key: VideoStatusAttr, value: VideoStatusValue.running }]);
  }

  needsAttention(attention: NonNullable<VideoState['attention']>): void {
    this.state.status = 'needs-attention';
    this.state.attention = attention;
    upsertSearchAttributes([{ key: VideoStatusAttr, value: VideoStatusValue.needsAttention }]);
    this.show();
  }

  attended(): void {
    this.state.status = 'running';
    this.state.attention = undefined;
    upsertSearchAttributes([{ key: VideoStatusAttr, value: VideoStatusValue.running }]);
  }

  isWaitingForPerson(): boolean {
    return this.state.status === 'needs-attention';
  }

  /** The model whose answer makes the note: searchable as Model (at once, or with the final status in lean histories). */
  modelChosen(model: string): void {
    if (this.leanHistory) this.modelToWrite = model;
    else upsertSearchAttributes([{ key: ModelAttr, value: model }]);
  }

  done(outcome: VideoOutcome): void {
    this.state.step = 'done';
    this.state.status = outcome.status;
    this.state.note = outcome.reason;
    this.show();
    upsertSearchAttributes([
      { key: VideoStatusAttr, value: statusValues[outcome.status] },
      ...(this.modelToWrite ? [{ key: ModelAttr, value: this.modelToWrite }] : []),
    ]);
  }

  show(): void {
    setCurrentDetails(detailsText(this.title, this.state, this.keyLabel()));
  }
}

const statusValues = {
  succeeded: VideoStatusValue.succeeded,
  failed: VideoStatusValue.failed,
  skipped: VideoStatusValue.skipped,
} as const;

/** The video's details in the Web UI: step, model and key, a note, and what a person can do when it waits. */
export function detailsText(title: string, state: VideoState, keyLabel: string): string {
  const lines = [`**${title}**`];
  // What a person landing on the page must see first: that the video waits for them, and until when.
  if (state.attention) lines.push(`**Waiting for a person${untilText(state.attention.until)}**: retry or skip.`);
  lines.push(`Step: ${state.step} · ${state.status}`);
  if (state.template) lines.push(`Template: ${state.template}`);
  if (state.model) lines.push(`Model: ${state.model} · key: ${state.keyAlias ?? keyLabel}`);
  if (state.note) lines.push(state.note);
  if (state.attention) {
    lines.push(
      '',
      `**Needs attention** since ${state.attention.since}: ${state.attention.step} failed`,
      `${state.attention.errorType ?? FailureType.Unclassified}: ${state.attention.message}`,
      '',
      'Send the `retryStep` Update (optionally `{"model": "<id>"}`) to run the step again, or `skipVideo` to give up on this video (the `retry` and `skip` signals work too).',
    );
  }
  return lines.join('\n');
}

function untilText(until: string | undefined): string {
  return until ? ` until ${until.slice(0, 16).replace('T', ' ')} UTC` : '';
}
