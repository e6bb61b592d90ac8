import { workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../failures';
import type { VideoFacts, VideoItem } from '../../types';
import { uploading } from '../activity-proxies';
import { failureMessageOf, failureTypeOf } from '../failure-info';
import { sizeText, summary, videoName } from '../labels';
import type { KeyLease } from './key-lease';
import type { PersonGate } from './person';

/**
 * Uploads a file with the lease's key (links are read by Gemini directly). A key found revoked
 * is dropped and another taken when there are several; the upload then belongs to the new key.
 */
export async function uploadWithLease(
  item: VideoItem,
  facts: VideoFacts | undefined,
  lease: KeyLease,
  gate: PersonGate,
  model: () => string,
): Promise<void> {
  if (item.source.kind === 'youtube' || !facts) return;
  lease.uploaded = await gate.attempt('upload', async () => {
    for (;;) {
      const alias = await lease.ensure(model());
      try {
        const size = sizeText(facts.sizeBytes);
        const label = summary(`upload ${videoName(item)}${size ? ` (${size})` : ''} with key ${alias}`);
        return await uploading.uploadVideo.executeWithOptions({ summary: label }, [
          { workflowId: workflowInfo().workflowId, item, facts, keyAlias: alias },
        ]);
      } catch (err) {
        if (failureTypeOf(err) !== FailureType.InvalidApiKey || !lease.usePool) throw err;
        await lease.drop({ type: 'disable', alias, reason: failureMessageOf(err) });
      }
    }
  });
}
