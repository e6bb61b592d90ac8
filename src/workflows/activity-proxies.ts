import {
  patched,
  proxyActivities,
  proxyLocalActivities,
  type ActivityInterfaceFor,
  type LocalActivityInterfaceFor,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { nonRetryableFailureTypes } from '../failures';

/**
 * One proxy per retry policy, all in one place. Each step fails differently: discovery and disk
 * work are quick and local; uploads are long and must heartbeat; analysis is slow, costs money
 * and meets quotas (its maximum interval lets a 429's retryDelay be honoured); writing is local
 * and idempotent.
 */

/**
 * Retry policies and timeouts of a video's short steps, shared by their activity-task proxies (old
 * histories) and their local-activity proxies (new runs, see shortSteps below).
 */
const inspectPolicy = {
  startToCloseTimeout: '30 minutes',
  retry: {
    initialInterval: '2s',
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
} as const;

const formatPolicy = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
} as const;

const writePolicy = {
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '1 minute',
    maximumAttempts: 10,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
} as const;

/** Clean-up and notifications: worth a few tries, never worth holding anything up. */
const housekeepingPolicy = {
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '2s',
    maximumInterval: '1 minute',
    maximumAttempts: 4,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
} as const;

export const discovery = proxyActivities<Pick<Activities, 'discoverBatch' | 'loadBatchPage'>>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2s',
    maximumInterval: '1 minute',
    maximumAttempts: 5,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});

export const inspection = proxyActivities<Pick<Activities, 'inspectVideo'>>({
  ...inspectPolicy,
  heartbeatTimeout: '30 seconds',
});

export const uploading = proxyActivities<Pick<Activities, 'uploadVideo'>>({
  startToCloseTimeout: '3 hours',
  // Heartbeats come every few seconds; a dead worker's upload is retried within half a minute.
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '5s',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 8,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});

/** One analysis attempt's time limit; a video in clips booked over several minutes gets that span on top. */
export const analysisTimeoutMs = 45 * 60_000;

export const analysis = proxyActivities<Pick<Activities, 'analyzeVideo'>>({
  startToCloseTimeout: analysisTimeoutMs,
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '10s',
    backoffCoefficient: 2,
    // Long enough for a per-minute quota's retryDelay; nextRetryDelay is capped by this.
    maximumInterval: '10 minutes',
    maximumAttempts: 10,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});

export const formatting = proxyActivities<Pick<Activities, 'formatDocument'>>(formatPolicy);

export const writing = proxyActivities<Pick<Activities, 'writeOutput'>>(writePolicy);

export const housekeeping =
  proxyActivities<
    Pick<
      Activities,
      'deleteUpload' | 'recordOutcome' | 'keyQuotaWarnings' | 'writeBatchReport' | 'notifyWebhook' | 'reconcileChildren'
    >
  >(housekeepingPolicy);

/** Asking the key pool for a key: quick, and worth retrying while the pool starts. */
export const keyPool = proxyActivities<Pick<Activities, 'chooseKey' | 'reserveTokens'>>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1s',
    maximumInterval: '30s',
    maximumAttempts: 10,
    nonRetryableErrorTypes: nonRetryableFailureTypes,
  },
});

/** A video's context cache (several templates): quick calls; caching only saves money, so a few tries are enough. */
export const caching = proxyActivities<Pick<Activities, 'createVideoCache' | 'refreshVideoCache' | 'deleteVideoCache'>>(
  {
    startToCloseTimeout: '2 minutes',
    retry: {
      initialInterval: '2s',
      maximumInterval: '30s',
      maximumAttempts: 4,
      nonRetryableErrorTypes: nonRetryableFailureTypes,
    },
  },
);

/**
 * The short local steps of one video (inspect, format, write, delete the upload, record the
 * outcome) as local activities: each runs inside the workflow task that asked for it, so it costs
 * no activity task and no workflow task round trip through the server (several tenths of a second
 * per step on a loaded machine; see bench/overhead.ts). Same timeouts and retries as the
 * server-side proxies above, less the heartbeat timeout: a local activity does not heartbeat, its
 * workflow task stays alive while it runs, and a dead worker's task is retried elsewhere.
 */
const localShortSteps = {
  inspection: proxyLocalActivities<Pick<Activities, 'inspectVideo'>>(inspectPolicy),
  formatting: proxyLocalActivities<Pick<Activities, 'formatDocument'>>(formatPolicy),
  writing: proxyLocalActivities<Pick<Activities, 'writeOutput'>>(writePolicy),
  housekeeping: proxyLocalActivities<Pick<Activities, 'deleteUpload' | 'recordOutcome'>>(housekeepingPolicy),
};

/** Histories from before the short steps ran locally replay with their activity tasks. */
export const shortStepsLocalPatch = 'short-steps-local';

/**
 * The proxies for a video's short steps: local activities in new runs, activity tasks in runs that
 * began before (their histories hold those). Called at each step, inside the workflow.
 */
export function shortSteps(): ShortSteps {
  return patched(shortStepsLocalPatch) ? localShortSteps : { inspection, formatting, writing, housekeeping };
}

/** Either kind of proxy: both take the same arguments and a summary for the Web UI's timeline. */
type Either<A> = ActivityInterfaceFor<A> | LocalActivityInterfaceFor<A>;
interface ShortSteps {
  inspection: Either<Pick<Activities, 'inspectVideo'>>;
  formatting: Either<Pick<Activities, 'formatDocument'>>;
  writing: Either<Pick<Activities, 'writeOutput'>>;
  housekeeping: Either<Pick<Activities, 'deleteUpload' | 'recordOutcome'>>;
}
