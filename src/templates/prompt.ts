import { clockLabel } from './links';
import type { LoadedTemplate, PromptContext, RenderedPrompt } from './types';

/** Prompts are plain text for the model, not Markdown: values go in unescaped. */
function promptData(template: LoadedTemplate, ctx: PromptContext): Record<string, unknown> {
  const d = ctx.video.durationSeconds;
  const long = (d ?? 0) >= 3600;
  return {
    video: {
      title: ctx.video.title,
      source: ctx.video.source,
      sourceKind: ctx.video.sourceKind,
      durationSeconds: d === undefined ? undefined : Math.round(d),
      duration: d === undefined ? 'unknown' : clockLabel(d, long),
    },
    params: ctx.params,
    clip: ctx.clip && {
      ...ctx.clip,
      // Humans (and the model) read 1-based part numbers.
      number: ctx.clip.index + 1,
      start: clockLabel(ctx.clip.startSeconds, long),
      end: clockLabel(ctx.clip.endSeconds, long),
    },
    template: { name: template.name, version: template.manifest.version, language: template.manifest.language },
  };
}

/** Drops the blank lines that block helpers leave behind, so the model sees tidy text. */
export function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function renderPrompt(template: LoadedTemplate, ctx: PromptContext): RenderedPrompt {
  const data = promptData(template, ctx);
  const prompt = tidyText(template.prompt(data));
  const system = template.system ? tidyText(template.system(data)) : '';
  return system ? { prompt, systemInstruction: system } : { prompt };
}
