import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AnalysisResult, VideoInput } from '../../types';
import type { AnalyzeInput } from '../../activities/analyze';
import { summary, videoName } from '../labels';
import type { VideoProgress } from '../video/progress';
import {
  economyDescriptions,
  economyAnswerSignal,
  economyCollectorId,
  economyJobSignal,
  economyWithdrawSignal,
  type EconomyAnswer,
} from './definitions';
import { economyRequests } from './proxies';
import { defaultEconomyTuning } from './collector-state';

/**
 * A video's analysis through the Batch API: the calls are prepared in its work folder, handed to
 * its batch's collector, and the video waits (durably, no worker held) for the collector's answer.
 * Returns the same AnalysisResult an interactive call would, throws the same classified failure
 * (so the video's recovery policy applies unchanged), or says 'interactive' when jobs did not
 * answer after several tries.
 */
export class EconomyCall {
  private readonly inbox: EconomyInbox;

  constructor(
    private readonly input: VideoInput,
    private readonly progress: VideoProgress,
  ) {
    this.inbox = inboxFor(progress);
  }

  async analyze(args: AnalyzeInput): Promise<AnalysisResult | 'interactive'> {
    const { item } = this.input;
    const workflowId = workflowInfo().workflowId;
    // The run is part of the id: a video reset to before its analysis asks anew, not "already answered".
    const requestId = `${workflowId}#${workflowInfo().runId.slice(0, 8)}-${++this.inbox.requests}`;
    if (args.file && args.file.name !== this.inbox.seenFile?.name)
      this.inbox.seenFile = { name: args.file.name, uploadedAtMs: Date.now() };
    const prepared = await economyRequests.prepareEconomyRequest.executeWithOptions(
      { summary: summary(`prepare the Batch API request for ${videoName(item)} with ${args.model}`) },
      [{ ...args, requestId }],
    );
    if (prepared.stored) return prepared.stored;
    const batchOrVideo = this.input.batchId ?? workflowId;
    const collectorId = economyCollectorId(batchOrVideo);
    const send = () =>
      economyRequests.sendEconomyRequest.executeWithOptions(
        { summary: summary(`send the analysis of ${videoName(item)} to the economy collector of ${batchOrVideo}`) },
        [
          {
            collectorId,
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
              ...(this.inbox.seenFile && args.file ? { file: this.inbox.seenFile } : {}),
            },
          },
        ],
      );
    await send();
    this.progress.waitingForBatchJob(
      `waiting for a Batch API job (economy mode, ${args.model}): requests are gathered`,
    );
    try {
      // A collector terminated by hand would leave its videos waiting for ever: ask again now and then
      // (a live collector already holds the request and ignores it; a new run takes it up).
      const resendSeconds =
        this.input.options.economyTuning?.resendAfterSeconds ?? defaultEconomyTuning.resendAfterSeconds;
      const wait = {
        summary: summary(`wait for the Batch API answer of ${videoName(item)} (asked again after ${resendSeconds} s)`),
      };
      while (!(await condition(() => this.inbox.answers.has(requestId), resendSeconds * 1000, wait))) await send();
    } catch (err) {
      // Cancelled while waiting: the collector drops the request (and cancels a job nobody waits for).
      if (isCancellation(err))
        await CancellationScope.nonCancellable(() =>
          getExternalWorkflowHandle(collectorId)
            .signal(economyWithdrawSignal, { requestId })
            .catch(() => undefined),
        );
      throw err;
    }
    this.progress.running();
    const answer = this.inbox.answers.get(requestId)!;
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

/**
 * The video's one mailbox for the collector's signals, shared by every analysis of the video (one
 * per template): a signal has one handler per workflow, and request ids are unique across them.
 */
interface EconomyInbox {
  answers: Map<string, EconomyAnswer>;
  requests: number;
  /** The upload the video last saw, and when (workflow time): the collector refuses files too old to outlive a job. */
  seenFile?: { name: string; uploadedAtMs: number };
}

const inboxes = new WeakMap<VideoProgress, EconomyInbox>();

function inboxFor(progress: VideoProgress): EconomyInbox {
  let inbox = inboxes.get(progress);
  if (inbox) return inbox;
  const created: EconomyInbox = { answers: new Map(), requests: 0 };
  inboxes.set(progress, (inbox = created));
  setHandler(economyAnswerSignal, (answer) => void created.answers.set(answer.requestId, answer), {
    description: economyDescriptions.answer,
  });
  setHandler(
    economyJobSignal,
    (note) => {
      if (!created.answers.has(note.requestId))
        progress.waitingForBatchJob(
          `waiting for Batch API job ${note.jobName} (${note.state}, ${note.answered}/${note.total})`,
        );
    },
    { description: economyDescriptions.job },
  );
  return inbox;
}
