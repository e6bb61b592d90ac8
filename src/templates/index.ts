/**
 * Templates turn a video into a prompt, a JSON schema for Gemini's answer, and a Markdown note.
 * See docs/templates.md for the folder format.
 */
export { TemplateRegistry, BUILT_IN_TEMPLATES_DIR } from './registry';
export { loadTemplateDir, type LoadOutcome } from './loader';
export { validateTemplateDir, validateParams } from './validate';
export { givenParamsFor, resolveParams } from './params';
export { renderPrompt } from './prompt';
export { parseModelOutput } from './output-parse';
export { renderDocument } from './document';
export { generationSettings } from './settings';
export { toGeminiSchema, zodToGeminiSchema, SchemaConversionError, GEMINI_SCHEMA_KEYWORDS } from './json-schema';
export { escapeMarkdownText } from './escape';
export { clockLabel, timestampUrl, fileUri, youtubeIdOf } from './links';
export type { Manifest, ParamSpec, ParamType } from './manifest';
export type {
  DocumentMeta,
  GenerationSettings,
  LoadedTemplate,
  ParseResult,
  PromptContext,
  PromptVideo,
  RenderedPrompt,
  TemplateOrigin,
  TemplateProblem,
  TemplateSummary,
} from './types';
