import { frontmatterBlock, frontmatterFields } from '../output/frontmatter';
import { escapeDeep, oneLine } from './escape';
import { LINK_DATA_KEY } from './helpers';
import { clockLabel, videoUrl, type LinkTarget } from './links';
import { describeIssues } from './manifest';
import { tidyText } from './prompt';
import type { DocumentMeta, LoadedTemplate } from './types';

const TRUNCATED_NOTICE: Record<string, string> = {
  en: "> [!warning] Incomplete\n> The model's answer was cut off at its output limit, so parts of this note may be missing.",
  zh: '> [!warning] 内容不完整\n> 模型的回答达到了输出上限而被截断，本笔记可能缺少部分内容。',
};

function defaultParams(template: LoadedTemplate): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(template.manifest.parameters)
      .filter(([, p]) => p.default !== undefined)
      .map(([k, p]) => [k, p.default]),
  );
}

/**
 * The whole Markdown file: YAML frontmatter, then the template's body. Everything the model wrote,
 * and the title and source, is escaped before the template sees it, and Handlebars never renders
 * its own output again, so `{{…}}`, HTML and `---` from the model stay inert text.
 */
export function renderDocument(template: LoadedTemplate, data: unknown, meta: DocumentMeta): string {
  const parsed = template.schema.safeParse(data);
  if (!parsed.success) {
    throw new Error(
      `The analysis does not match template "${template.name}": ${describeIssues(parsed.error).join('; ')}`,
    );
  }
  const link: LinkTarget = {
    sourceKind: meta.sourceKind,
    source: meta.source,
    youtubeVideoId: meta.youtubeVideoId,
    durationSeconds: meta.durationSeconds,
  };
  const d = meta.durationSeconds;
  const context = {
    data: escapeDeep(parsed.data),
    video: escapeDeep({
      // A title is one line wherever a template puts it (headings, callouts, links).
      title: oneLine(meta.title),
      source: meta.source,
      sourceKind: meta.sourceKind,
      durationSeconds: d === undefined ? undefined : Math.round(d),
      duration: d === undefined ? undefined : clockLabel(d),
    }) as Record<string, unknown>,
    // Defaults first, so a caller that forgot the parameters still gets a sensible note.
    params: escapeDeep({ ...defaultParams(template), ...meta.params }),
    meta: escapeDeep({
      model: meta.model,
      created: meta.created,
      template: meta.templateName,
      templateVersion: meta.templateVersion,
      subject: meta.subject,
    }),
  };
  // Built here, after escaping: a link we make must not be escaped, and its target is already encoded.
  context.video.url = videoUrl(link);
  let body = tidyText(template.output(context, { data: { [LINK_DATA_KEY]: link } }));
  if (meta.truncated) {
    const notice = TRUNCATED_NOTICE[template.manifest.language.split('-')[0]] ?? TRUNCATED_NOTICE.en;
    body = `${notice}\n\n${body}`;
  }
  return `${frontmatterBlock(frontmatterFields(meta, template.manifest.tags))}\n${body}\n`;
}
