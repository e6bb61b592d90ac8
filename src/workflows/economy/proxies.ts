import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import { nonRetryableFailureTypes } from '../../failures';

/** Preparing a request and handing it over: local work and one signal, quick, worth a few tries. */
export const economyRequests = proxyActivities<Pick<Activities, 'prepareEconomyRequest' | 'sendEconomyRequest'>>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2s',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});

/**
 * Batch API calls: creating a job (which lists jobs first, so a retry never creates a second),
 * looking at one, collecting its answers (which may repair answers with text-only calls).
 * Transient trouble is retried for long: a job's answers stay on Gemini for days.
 */
export const batchJobs = proxyActivities<
  Pick<Activities, 'submitEconomyJob' | 'checkEconomyJob' | 'collectEconomyJob' | 'cancelEconomyJob'>
>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '10 minutes',
    maximumAttempts: 30,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});
