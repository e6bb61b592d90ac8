import { ApplicationFailure, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AnalysisResult, VideoInput } from '../../types';
import type { AnalyzeInput } from '../../activities/analyze';
import { summary, videoName } from '../labels';
import type { VideoProgress } from '../video/progress';
import {
  economyDescriptions,
  economyAnswerSignal,
  economyCollectorId,
  economyJobSignal,
  type EconomyAnswer,
} from './definitions';
import { economyRequests } from './proxies';

/**
 * A video's analysis through the Batch API: the calls are prepared in its work folder, handed to
 * its batch's collector, and the video waits (durably, no worker held) for the collector's answer.
 * Returns the same AnalysisResult an interactive call would, throws the same classified failure
 * (so the video's recovery policy applies unchanged), or says 'interactive' when jobs did not
 * answer after several tries.
 */
export class EconomyCall {
  private readonly answers = new Map<string, EconomyAnswer>();
  private requests = 0;
  /** The upload the video last saw, and when (workflow time): the collector refuses files too old to outlive a job. */
  private seenFile: { name: string; uploadedAtMs: number } | undefined;

  constructor(
    private readonly input: VideoInput,
    private readonly progress: VideoProgress,
  ) {
    setHandler(economyAnswerSignal, (answer) => void this.answers.set(answer.requestId, answer), {
      description: economyDescriptions.answer,
    });
    setHandler(
      economyJobSignal,
      (note) => {
        if (!this.answers.has(note.requestId))
          this.progress.waitingForBatchJob(
            `waiting for Batch API job ${note.jobName} (${note.state}, ${note.answered}/${note.total})`,
          );
      },
      { description: economyDescriptions.job },
    );
  }

  async analyze(args: AnalyzeInput): Promise<AnalysisResult | 'interactive'> {
    const { item } = this.input;
    const workflowId = workflowInfo().workflowId;
    // The run is part of the id: a video reset to before its analysis asks anew, not "already answered".
    const requestId = `${workflowId}#${workflowInfo().runId.slice(0, 8)}-${++this.requests}`;
    if (args.file && args.file.name !== this.seenFile?.name)
      this.seenFile = { name: args.file.name, uploadedAtMs: Date.now() };
    const prepared = await economyRequests.prepareEconomyRequest.executeWithOptions(
      { summary: summary(`prepare the Batch API request for ${videoName(item)} with ${args.model}`) },
      [{ ...args, requestId }],
    );
    if (prepared.stored) return prepared.stored;
    const batchOrVideo = this.input.batchId ?? workflowId;
    await economyRequests.sendEconomyRequest.executeWithOptions(
      { summary: summary(`send the analysis of ${videoName(item)} to the economy collector of ${batchOrVideo}`) },
      [
        {
          collectorId: economyCollectorId(batchOrVideo),
          label: batchOrVideo,
          tuning: this.input.options.economyTuning,
          request: {
            requestId,
            videoWorkflowId: workflowId,
            label: videoName(item),
            keyAlias: args.keyAlias,
            model: args.model,
            requestPath: prepared.requestPath,
            clipCount: prepared.clipCount,
            estimatedTokens: prepared.estimatedTokens,
            ...(prepared.enqueuedTokenLimit ? { enqueuedTokenLimit: prepared.enqueuedTokenLimit } : {}),
            ...(this.seenFile && args.file ? { file: this.seenFile } : {}),
          },
        },
      ],
    );
    this.progress.waitingForBatchJob(
      `waiting for a Batch API job (economy mode, ${args.model}): requests are gathered`,
    );
    await condition(() => this.answers.has(requestId));
    this.progress.running();
    const answer = this.answers.get(requestId)!;
    if (answer.kind === 'result') return answer.result;
    if (answer.kind === 'interactive') {
      this.progress.note(answer.reason);
      return 'interactive';
    }
    throw ApplicationFailure.create({
      type: answer.failureType,
      nonRetryable: true,
      message: `${answer.message}${answer.jobName ? ` (Batch API job ${answer.jobName})` : ''}`,
      details: answer.details ? [answer.details] : undefined,
    });
  }
}
