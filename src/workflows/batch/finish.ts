import { CancellationScope, log } from '@temporalio/workflow';
import type { BatchCarriedState, BatchInput, BatchSummary } from '../../types';
import { housekeeping } from '../activity-proxies';
import { summaryOf } from '../batch-state';
import { summary as label } from '../labels';
import { keyUsageSummary } from './key-usage-summary';

/**
 * The batch's last steps, none of which may fail it or be cancelled: the summary, key quota
 * warnings (with several keys), the batch report on disk, and the webhook.
 */
export async function finishBatch(input: BatchInput, batchId: string, state: BatchCarriedState): Promise<BatchSummary> {
  const summary = summaryOf(batchId, state, new Date().toISOString());
  summary.notStarted = (state.discovered?.total ?? 0) - state.cursor;
  Object.assign(summary, keyUsageSummary(input, state));
  await CancellationScope.nonCancellable(async () => {
    if (input.keyAliases.length > 1) {
      try {
        const warnings = await housekeeping.keyQuotaWarnings.executeWithOptions(
          { summary: 'read key usage for quota warnings' },
          [{ percent: input.quotaWarningPercent ?? 90 }],
        );
        if (warnings.length) summary.warnings = warnings;
      } catch (err) {
        log.warn('could not read key usage', { error: String(err) });
      }
    }
    try {
      summary.reportPath = await housekeeping.writeBatchReport.executeWithOptions(
        { summary: label(`write the batch report of ${input.label}`) },
        [
          {
            batchId,
            label: input.label,
            outputDir: input.options.outputDir,
            summary,
          },
        ],
      );
    } catch (err) {
      log.warn('could not write the batch report', { error: String(err) });
    }
    if (input.webhook || input.webhookUrl) {
      try {
        await housekeeping.notifyWebhook.executeWithOptions({ summary: 'notify the webhook' }, [
          { webhook: input.webhook, url: input.webhookUrl, summary },
        ]);
      } catch (err) {
        // A webhook that is down never fails the batch.
        log.warn('webhook delivery failed', { error: String(err) });
      }
    }
  });
  return summary;
}
