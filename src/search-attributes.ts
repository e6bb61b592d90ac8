import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes, so the Web UI can list a batch's videos and the failed ones, e.g.
 * `BatchId = "art-2026-11-22" AND VideoStatus = "NeedsAttention"`. Registered on the dev server
 * at start; on another cluster, register them once (README).
 */
export const BatchIdAttr = defineSearchAttributeKey('BatchId', SearchAttributeType.KEYWORD);
export const VideoStatusAttr = defineSearchAttributeKey('VideoStatus', SearchAttributeType.KEYWORD);
export const TemplateAttr = defineSearchAttributeKey('Template', SearchAttributeType.KEYWORD);
export const ModelAttr = defineSearchAttributeKey('Model', SearchAttributeType.KEYWORD);

export const customSearchAttributes = [BatchIdAttr, VideoStatusAttr, TemplateAttr, ModelAttr];

/** Values of VideoStatus, as a person filters on them in the UI. */
export const VideoStatusValue = {
  running: 'Running',
  needsAttention: 'NeedsAttention',
  succeeded: 'Succeeded',
  failed: 'Failed',
  skipped: 'Skipped',
} as const;
