import type { GenerationSettings, LoadedTemplate } from './types';

/** The generationConfig fields a template decides; the caller adds mediaResolution policy and limits. */
export function generationSettings(template: LoadedTemplate): GenerationSettings {
  const { temperature, maxOutputTokens, mediaResolution } = template.manifest.model;
  return {
    ...(temperature !== undefined ? { temperature } : {}),
    ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
    ...(mediaResolution !== undefined ? { mediaResolution } : {}),
    responseMimeType: 'application/json',
    responseJsonSchema: template.responseJsonSchema,
  };
}
