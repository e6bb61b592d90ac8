import YAML from 'yaml';
import type { DocumentMeta } from '../templates/types';
import { clockLabel } from '../templates/links';

/**
 * Obsidian properties for a generated note. Built as data and serialised by the YAML library, so
 * a title such as `---\ntitle: hacked` becomes a quoted scalar instead of ending the block early.
 */
export function frontmatterFields(meta: DocumentMeta, templateTags: string[]): Record<string, unknown> {
  const fields: Record<string, unknown> = { title: meta.title };
  if (meta.subject) fields.subject = meta.subject;
  fields.source = meta.source;
  fields.source_kind = meta.sourceKind;
  if (meta.durationSeconds !== undefined && Number.isFinite(meta.durationSeconds)) {
    fields.duration = Math.round(meta.durationSeconds);
    fields.duration_label = clockLabel(meta.durationSeconds);
  }
  fields.created = meta.created;
  fields.template = meta.templateName;
  fields.template_version = meta.templateVersion;
  fields.model = meta.model;
  fields.media_resolution = meta.mediaResolution;
  if (meta.analysisStrategy === 'clips') fields.analysed_in = 'clips';
  fields.tags = [...new Set([...templateTags, 'lesson-forge'])];
  fields.tokens = {
    prompt: meta.usage.promptTokens,
    output: meta.usage.outputTokens,
    ...(meta.usage.thoughtsTokens > 0 ? { thoughts: meta.usage.thoughtsTokens } : {}),
    total: meta.usage.totalTokens,
  };
  // Six decimals: a short video costs fractions of a cent, and float noise is not information.
  fields.cost_usd = Number(meta.costUsd.toFixed(6));
  if (meta.truncated) fields.truncated = true;
  if (meta.repairs) fields.repairs = meta.repairs;
  fields.content_sha256 = meta.contentSha256;
  return fields;
}

/** The `---` … `---` block, ending with a newline. */
export function frontmatterBlock(fields: Record<string, unknown>): string {
  // lineWidth 0: never fold long titles or paths over several lines. version 1.1: also quote what
  // an older YAML reader would misread (`12:34` as 754, `yes` as true); YAML 1.2 reads it the same.
  const yaml = YAML.stringify(fields, { lineWidth: 0, minContentWidth: 0, version: '1.1' });
  return `---\n${yaml}---\n`;
}
