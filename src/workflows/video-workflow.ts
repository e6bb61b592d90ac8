import { patched, setHandler } from '@temporalio/workflow';
import type { VideoFacts, VideoInput, VideoOutcome } from '../types';
import { shortSteps } from './activity-proxies';
import { handlerDescriptions, videoStatusQuery } from './definitions';
import { summary, videoName } from './labels';
import { Analysis, Spend } from './video/analysis';
import { KeyLease } from './video/key-lease';
import { deleteUploadOfUnfinished, makeLessonPlan, type VideoParts } from './video/lesson-plan';
import { releaseCacheOfUnfinished } from './video/notes';
import { BatchLink, failsWhenItFailsPatch, failureOfVideo, outcomeBase, unfinishedOutcome } from './video/outcome';
import { PersonGate } from './video/person';
import { VideoProgress } from './video/progress';
import { uploadWithLease } from './video/upload';

/**
 * One video, from file or link to Markdown: inspect → upload → analyze → format → write, each an
 * activity with its own retry policy. Recoverable Gemini outcomes are handled in the analysis
 * (next model, upload again, wait for a quota reset); a step that fails for good waits for a
 * person's `retry` or `skip` when a grace period is set. Reports its outcome to its batch.
 */
export async function VideoWorkflow(input: VideoInput): Promise<VideoOutcome> {
  const { item, options } = input;
  const parts = videoParts(input, () => facts);
  const { progress, gate, lease, spend } = parts;
  const batch = new BatchLink(input);
  let facts: VideoFacts | undefined;
  setHandler(videoStatusQuery, () => progress.state, { description: handlerDescriptions.status });
  gate.register((waiting) => batch.attention(waiting));
  progress.show();

  let outcome: VideoOutcome;
  try {
    progress.markRunning();
    const label = summary(`inspect ${videoName(item)}`);
    facts = await gate.attempt('inspect', () =>
      shortSteps().inspection.inspectVideo.executeWithOptions({ summary: label }, [{ item, options }]),
    );
    const finished = facts.upToDate ? upToDate(facts) : await makeLessonPlan(parts, facts);
    outcome = { ...outcomeBase(input, facts, spend, lease.alias), ...finished };
  } catch (err) {
    outcome = unfinishedOutcome(outcomeBase(input, facts, spend, lease.alias), err);
    outcome = await releaseCacheOfUnfinished(parts, outcome);
  }
  await deleteUploadOfUnfinished(parts, outcome);
  progress.done(outcome);
  await batch.finished(outcome);
  // Reported and recorded first: the batch counts it, then the Web UI shows it red, with what to do.
  if (outcome.status === 'failed' && patched(failsWhenItFailsPatch)) throw failureOfVideo(outcome);
  return outcome;
}

const upToDate = (facts: VideoFacts) => ({
  status: 'skipped' as const,
  reason: 'up to date (same content, template and model)',
  outputPath: facts.upToDate?.outputPath,
  // Several templates: every note is up to date, each named.
  ...(facts.notesUpToDate
    ? {
        notes: Object.entries(facts.notesUpToDate).map(([template, outputPath]) => ({
          template,
          status: 'up-to-date' as const,
          outputPath,
        })),
      }
    : {}),
});

/** The units a video's run is made of, wired to each other. */
function videoParts(input: VideoInput, facts: () => VideoFacts | undefined): VideoParts {
  const progress: VideoProgress = new VideoProgress(input.item.title, (): string => lease.label(), input.leanHistory);
  const lease = new KeyLease(input, progress, input.options.quotaRecheckSeconds ?? 300);
  const spend = new Spend();
  // The analysis under way is the parts' (several templates each have their own): uploads and a person's model choice go to it.
  const upload = (): Promise<void> => uploadWithLease(input.item, facts(), lease, gate, () => parts.analysis.models[0]);
  const gate = new PersonGate(progress, input.options.failureGraceSeconds, (model) =>
    parts.analysis.preferModel(model),
  );
  const parts: VideoParts = {
    input,
    progress,
    gate,
    lease,
    analysis: new Analysis(input, progress, lease, spend, upload),
    spend,
    upload,
  };
  return parts;
}
