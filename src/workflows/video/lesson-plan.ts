import { CancellationScope, log, patched } from '@temporalio/workflow';
import type { AnalysisResult, ProcessingOptions, VideoFacts, VideoInput, VideoOutcome } from '../../types';
import type { WriteResult } from '../../activities/write';
import { shortSteps } from '../activity-proxies';
import { summary, videoName } from '../labels';
import type { NoteOutcome } from '../../types';
import { workFolder, type Analysis, type Spend } from './analysis';
import type { KeyLease } from './key-lease';
import { makeNotes, severalTemplates, severalTemplatesPatch, type VideoCache } from './notes';
import type { PersonGate } from './person';
import type { VideoProgress } from './progress';

/** The parts of a video's run the steps after inspection use. */
export interface VideoParts {
  input: VideoInput;
  progress: VideoProgress;
  gate: PersonGate;
  lease: KeyLease;
  /** The analysis under way (several templates: the current note's). */
  analysis: Analysis;
  spend: Spend;
  upload: () => Promise<void>;
  /** Several templates: each note's state, and the video's context cache. */
  notes?: NoteOutcome[];
  cache?: VideoCache;
}

export type Finished = Pick<
  VideoOutcome,
  'status' | 'outputPath' | 'model' | 'truncated' | 'reason' | 'repairs' | 'notes' | 'cache'
>;

/** Upload → analyze → format → write, each step a person may retry; then the upload is cleaned up. */
export async function makeLessonPlan(parts: VideoParts, facts: VideoFacts): Promise<Finished> {
  const several = severalTemplates(parts);
  if (several && patched(severalTemplatesPatch)) return makeNotes(parts, facts, several);
  const { input, gate, analysis, spend } = parts;
  const { item, options } = input;
  await parts.upload();
  const result = await gate.attempt('analyze', () => analysis.run(facts));
  parts.progress.modelChosen(result.model);
  const written = await formatAndWrite(gate, `${options.template} note of ${videoName(item)}`, {
    input,
    facts,
    result,
    options,
    spend,
  });
  await deleteUpload(parts);
  return {
    status: 'succeeded',
    outputPath: written.outputPath,
    model: result.model,
    truncated: result.truncated,
    ...(result.repairs ? { repairs: result.repairs } : {}),
    reason: written.note,
  };
}

/** Format then write one note (`note` names it in the Web UI), each a step a person may retry. */
export async function formatAndWrite(
  gate: PersonGate,
  note: string,
  step: { input: VideoInput; facts: VideoFacts; result: AnalysisResult; options: ProcessingOptions; spend: Spend },
): Promise<WriteResult> {
  const { input, facts, result, options, spend } = step;
  const { item } = input;
  const draft = await gate.attempt('format', () =>
    shortSteps().formatting.formatDocument.executeWithOptions({ summary: summary(`format the ${note}`) }, [
      {
        ...workFolder(),
        item,
        facts,
        analysis: result,
        options,
        usage: spend.usage,
        costUsd: spend.costUsd,
      },
    ]),
  );
  return gate.attempt('write', () =>
    shortSteps().writing.writeOutput.executeWithOptions(
      { summary: summary(`write the ${note} into ${options.outputDir}`) },
      [{ item, facts, draftPath: draft.draftPath, options, model: result.model, batchId: input.batchId }],
    ),
  );
}

/** New runs free the upload of a video that ends without its lesson plan too (it no longer waits for anyone). */
const deleteUnfinishedUploadPatch = 'delete-upload-of-unfinished-video';

/** A video that failed or was skipped keeps nothing on Gemini: its upload is deleted, even when cancelled. */
export async function deleteUploadOfUnfinished(
  parts: Pick<VideoParts, 'input' | 'lease' | 'progress'>,
  outcome: VideoOutcome,
): Promise<void> {
  if (outcome.status === 'succeeded' || !parts.lease.uploaded || parts.input.options.keepUploads) return;
  if (!patched(deleteUnfinishedUploadPatch)) return;
  await CancellationScope.nonCancellable(() => deleteUpload(parts));
}

/** Frees the uploaded copy on Gemini once the lesson plan is written (unless asked to keep it). */
export async function deleteUpload(parts: Pick<VideoParts, 'input' | 'lease' | 'progress'>): Promise<void> {
  const uploaded = parts.lease.uploaded;
  if (!uploaded || parts.input.options.keepUploads) return;
  parts.progress.at('cleanup');
  try {
    await shortSteps().housekeeping.deleteUpload.executeWithOptions(
      { summary: summary(`delete the upload ${uploaded.name} of ${videoName(parts.input.item)}`) },
      [{ file: uploaded }],
    );
  } catch (err) {
    // Gemini deletes files after 48 h anyway; a failed clean-up is not a failed video.
    log.warn('could not delete the uploaded file', { file: uploaded.name, error: String(err) });
  }
}
