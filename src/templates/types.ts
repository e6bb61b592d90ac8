import type { TemplateDelegate } from 'handlebars';
import type { z } from 'zod';
import type { MediaResolution, TokenUsage } from '../types';
import type { Manifest } from './manifest';

/** Where a template came from; user folders override built-ins of the same name. */
export type TemplateOrigin = 'built-in' | 'user';

/** Something wrong with a template, phrased for the person who wrote it. */
export interface TemplateProblem {
  template: string;
  /** File inside the template folder (`manifest.json`, `prompt.hbs`…), or `.` for the folder. */
  file: string;
  problem: string;
}

/** Any zod 4 schema; user templates may bring their own copy of zod, so this stays structural. */
export type ZodSchema = z.ZodType;

export interface LoadedTemplate {
  name: string;
  dir: string;
  origin: TemplateOrigin;
  manifest: Manifest;
  /** Validates and normalises the model's JSON answer. */
  schema: ZodSchema;
  /** The schema in the JSON Schema subset Gemini accepts, for `responseJsonSchema`. */
  responseJsonSchema: Record<string, unknown>;
  prompt: TemplateDelegate;
  system?: TemplateDelegate;
  output: TemplateDelegate;
  /** sha256 over every file of the template, so outputs can tell a changed template. */
  contentHash: string;
}

export interface TemplateSummary {
  name: string;
  version: string;
  description: string;
  language: string;
  tags: string[];
  origin: TemplateOrigin;
  dir: string;
  /** Folder of the built-in (or earlier user) template this one replaces. */
  overrides?: string;
  parameters: Array<{ key: string; type: string; required: boolean; default?: unknown; description: string }>;
  /** Empty when the template is usable. */
  problems: TemplateProblem[];
}

export interface PromptVideo {
  title: string;
  source: string;
  sourceKind: 'file' | 'youtube';
  durationSeconds?: number;
}

export interface PromptContext {
  video: PromptVideo;
  /** Already resolved with `resolveParams`. */
  params: Record<string, unknown>;
  /** Set when only part of the video is analysed in this call; `index` counts from 0. */
  clip?: { startSeconds: number; endSeconds: number; index: number; count: number };
}

export interface RenderedPrompt {
  prompt: string;
  systemInstruction?: string;
}

export interface DocumentMeta {
  title: string;
  /** Absolute path of a local file, or the canonical YouTube URL. */
  source: string;
  sourceKind: 'file' | 'youtube';
  youtubeVideoId?: string;
  durationSeconds?: number;
  /** ISO 8601 time the document was made. */
  created: string;
  templateName: string;
  templateVersion: string;
  model: string;
  usage: TokenUsage;
  costUsd: number;
  mediaResolution: MediaResolution;
  /** How a long video was sent: whole, or in clips whose answers were merged. */
  analysisStrategy?: 'whole' | 'clips';
  truncated: boolean;
  /** Answers fixed by a text-only call instead of analysing the video again. */
  repairs?: number;
  contentSha256: string;
  subject?: string;
  /** Resolved template parameters, for output templates that mention them. */
  params?: Record<string, unknown>;
}

export type ParseResult = { ok: true; data: unknown } | { ok: false; error: string };

/** What the Gemini call needs from a template besides the prompt. */
export interface GenerationSettings {
  temperature?: number;
  maxOutputTokens?: number;
  /** The template's preference; a user's explicit choice or a long video may override it. */
  mediaResolution?: MediaResolution;
  responseMimeType: 'application/json';
  responseJsonSchema: Record<string, unknown>;
}
