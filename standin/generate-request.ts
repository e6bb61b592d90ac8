/**
 * Reading a generateContent request the way the API does: unknown field names are refused, the
 * videos it names are resolved (uploaded files of the caller's project, or public YouTube URLs),
 * and the prompt is priced in tokens.
 */
import { apiError, fileNotActive, filePermissionDenied, invalidArgument, typeUrl, type HttpError } from './errors';
import { fileIdOf, fileState } from './files-store';
import { fileDurationSeconds } from './files';
import { ownerOf, type RequestCtx, type StandinState } from './state';
import { isRecord, parseDuration } from './util';
import { youtubeVideoId } from './videos';

export interface VideoRef {
  kind: 'file' | 'youtube';
  uri: string;
  /** File id (kind 'file'). */
  fileId?: string;
  /** Stats label: display name of the upload, or the YouTube URL as given. */
  label: string;
  startOffset?: number;
  endOffset?: number;
  fps?: number;
  mediaResolution?: string;
}

export interface ParsedRequest {
  videos: VideoRef[];
  promptText: string;
  systemText: string;
  inlineParts: number;
  temperature?: number;
  maxOutputTokens?: number;
  mediaResolution?: string;
  responseMimeType?: string;
  schema?: unknown;
  thinkingBudget?: number;
  includeThoughts: boolean;
}

export interface ResolvedVideo extends VideoRef {
  durationSeconds: number;
  clipStart: number;
  clipEnd: number;
}

const topLevelFields = new Set([
  'contents',
  'systemInstruction',
  'generationConfig',
  'safetySettings',
  'tools',
  'toolConfig',
  'cachedContent',
  'labels',
  'serviceTier',
  'store',
  'model',
]);

const generationConfigFields = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  '_responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'mediaResolution',
  'imageConfig',
  'routingConfig',
  'modelSelectionConfig',
  'audioTimestamp',
  'enableAffectiveDialog',
]);

const mediaResolutions = new Set([
  'MEDIA_RESOLUTION_UNSPECIFIED',
  'MEDIA_RESOLUTION_LOW',
  'MEDIA_RESOLUTION_MEDIUM',
  'MEDIA_RESOLUTION_HIGH',
  'MEDIA_RESOLUTION_ULTRA_HIGH',
]);

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function unknownField(name: string, at?: string): HttpError {
  const where = at ? ` at '${snake(at)}'` : '';
  const description = `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`;
  return apiError(400, 'INVALID_ARGUMENT', description, [
    { '@type': typeUrl.badRequest, fieldViolations: [{ field: at ? snake(at) : '', description }] },
  ]);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!isRecord(content) || !Array.isArray(content.parts)) return '';
  return content.parts.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('\n');
}

function videoRef(state: StandinState, part: Record<string, unknown>): VideoRef {
  const fileData = part.fileData as Record<string, unknown>;
  const uri = typeof fileData.fileUri === 'string' ? fileData.fileUri : '';
  if (!uri)
    throw invalidArgument('* GenerateContentRequest.contents.parts.file_data.file_uri: file_uri is not specified.');
  const meta = isRecord(part.videoMetadata) ? part.videoMetadata : {};
  const clip = {
    startOffset: parseDuration(meta.startOffset),
    endOffset: parseDuration(meta.endOffset),
    fps: typeof meta.fps === 'number' ? meta.fps : undefined,
    mediaResolution:
      isRecord(part.mediaResolution) && typeof part.mediaResolution.level === 'string'
        ? part.mediaResolution.level
        : undefined,
  };
  if (meta.startOffset !== undefined && clip.startOffset === undefined)
    throw invalidArgument(`Invalid value for video_metadata.start_offset: ${JSON.stringify(meta.startOffset)}`);
  if (meta.endOffset !== undefined && clip.endOffset === undefined)
    throw invalidArgument(`Invalid value for video_metadata.end_offset: ${JSON.stringify(meta.endOffset)}`);
  if (clip.fps !== undefined && !(clip.fps > 0 && clip.fps <= 24))
    throw invalidArgument('video_metadata.fps must be in (0, 24].');
  if (youtubeVideoId(uri)) return { kind: 'youtube', uri, label: uri, ...clip };
  const fileId = fileIdOf(uri);
  if (fileId)
    return { kind: 'file', uri, fileId, label: state.files.peek(fileId)?.label ?? `files/${fileId}`, ...clip };
  throw invalidArgument(`Unsupported file uri: ${uri}`);
}

export function parseGenerateRequest(state: StandinState, body: unknown): ParsedRequest {
  if (!isRecord(body)) throw invalidArgument('Invalid JSON payload received. Expected an object.');
  for (const key of Object.keys(body)) if (!topLevelFields.has(key)) throw unknownField(key);
  const config = body.generationConfig ?? {};
  if (!isRecord(config)) throw invalidArgument("Invalid value at 'generation_config': expected an object.");
  for (const key of Object.keys(config))
    if (!generationConfigFields.has(key)) throw unknownField(key, 'generationConfig');

  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    throw invalidArgument('* GenerateContentRequest.contents: contents is not specified\n');
  }
  const videos: VideoRef[] = [];
  const texts: string[] = [];
  let inlineParts = 0;
  for (const content of body.contents) {
    if (!isRecord(content) || !Array.isArray(content.parts) || content.parts.length === 0) {
      throw invalidArgument('* GenerateContentRequest.contents.parts: contents.parts must not be empty.\n');
    }
    for (const part of content.parts) {
      if (!isRecord(part)) continue;
      if (typeof part.text === 'string') texts.push(part.text);
      if (isRecord(part.fileData)) videos.push(videoRef(state, part));
      if (isRecord(part.inlineData)) inlineParts++;
    }
  }

  const parsed: ParsedRequest = {
    videos,
    promptText: texts.join('\n'),
    systemText: textOf(body.systemInstruction),
    inlineParts,
    includeThoughts: false,
  };
  if (config.temperature !== undefined) {
    const t = config.temperature;
    if (typeof t !== 'number' || t < 0 || t > 2)
      throw invalidArgument(
        '* GenerateContentRequest.generation_config.temperature: must be in the range [0.0, 2.0]\n',
      );
    parsed.temperature = t;
  }
  if (config.maxOutputTokens !== undefined) {
    const m = config.maxOutputTokens;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1) {
      throw invalidArgument(
        '* GenerateContentRequest.generation_config.max_output_tokens: must be a positive integer\n',
      );
    }
    parsed.maxOutputTokens = m;
  }
  if (config.mediaResolution !== undefined) {
    if (typeof config.mediaResolution !== 'string' || !mediaResolutions.has(config.mediaResolution)) {
      throw invalidArgument(
        `Invalid value at 'generation_config.media_resolution' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.MediaResolution), ${JSON.stringify(config.mediaResolution)}`,
      );
    }
    parsed.mediaResolution = config.mediaResolution;
  }
  if (config.responseMimeType !== undefined) parsed.responseMimeType = String(config.responseMimeType);
  const jsonSchema = config.responseJsonSchema ?? config._responseJsonSchema;
  if (jsonSchema !== undefined && config.responseSchema !== undefined) {
    throw invalidArgument('responseSchema and responseJsonSchema cannot both be set.');
  }
  const schema = jsonSchema ?? config.responseSchema;
  if (schema !== undefined) {
    if (parsed.responseMimeType !== 'application/json' && parsed.responseMimeType !== 'text/x.enum') {
      throw invalidArgument(
        `* GenerateContentRequest.generation_config.response_mime_type: Only application/json and text/x.enum are supported with a response schema, got ${JSON.stringify(parsed.responseMimeType ?? 'text/plain')}.\n`,
      );
    }
    parsed.schema = schema;
  }
  if (isRecord(config.thinkingConfig)) {
    if (typeof config.thinkingConfig.thinkingBudget === 'number')
      parsed.thinkingBudget = config.thinkingConfig.thinkingBudget;
    parsed.includeThoughts = config.thinkingConfig.includeThoughts === true;
  }
  return parsed;
}

/** Checks the caller may use each video now and fixes its clip. Throws the API's 403 / 400. */
export function resolveVideos(
  state: StandinState,
  ctx: RequestCtx,
  videos: VideoRef[],
  requireActive: boolean,
): ResolvedVideo[] {
  const owner = ownerOf(ctx);
  const now = Date.now();
  return videos.map((v) => {
    let duration: number;
    if (v.kind === 'file') {
      const id = v.fileId as string;
      const rec = state.files.accessible(id, owner, now);
      if (!rec) throw filePermissionDenied(id);
      if (requireActive && fileState(rec, now) !== 'ACTIVE') throw fileNotActive(id);
      duration = fileDurationSeconds(state, rec);
    } else {
      duration = state.durations.get(v.uri) ?? state.options.youtubeDefaultSeconds;
    }
    const clipStart = v.startOffset ?? 0;
    const clipEnd = Math.min(duration, v.endOffset ?? duration);
    if (clipStart < 0) throw invalidArgument('video_metadata.start_offset must not be negative.');
    if (clipStart >= clipEnd) {
      throw invalidArgument(
        `The video clip is empty: start_offset ${clipStart}s must be before end_offset ${clipEnd}s (video length ${duration}s).`,
      );
    }
    return { ...v, durationSeconds: duration, clipStart, clipEnd };
  });
}

export interface PromptTokens {
  text: number;
  video: number;
  audio: number;
  image: number;
  total: number;
}

/**
 * Tokens of one video frame, as Google's guides state them for each model family (the stand-in's own
 * table, kept apart from the product's catalog on purpose). Gemini 3 developer guide: 70 per frame at
 * low, medium and the default, 280 at high. Video understanding guide (earlier models): 258 per
 * frame, 66 at low.
 */
export function tokensPerFrame(model: string, resolution: string | undefined): number {
  if (/^(models\/)?gemini-3/.test(model))
    return resolution === 'MEDIA_RESOLUTION_HIGH' || resolution === 'MEDIA_RESOLUTION_ULTRA_HIGH' ? 280 : 70;
  return resolution === 'MEDIA_RESOLUTION_LOW' ? 66 : 258;
}

/** Audio tokens per second of sound, at any resolution. */
export const audioTokensPerSecond = 32;

/**
 * Input tokens of a request: each second of video (the clip, whole seconds) is one frame at 1 fps
 * (or the part's fps) at the model's rate, plus 32 audio tokens; text (prompt, system instruction
 * and the response schema, which counts towards the input) is chars / 4.
 */
export function promptTokens(req: ParsedRequest, videos: ResolvedVideo[], model: string): PromptTokens {
  let video = 0;
  let audio = 0;
  for (const v of videos) {
    const seconds = Math.ceil(v.clipEnd - v.clipStart);
    const perFrame = tokensPerFrame(model, v.mediaResolution ?? req.mediaResolution);
    video += Math.round(seconds * perFrame * (v.fps ?? 1));
    audio += seconds * audioTokensPerSecond;
  }
  const schemaChars = req.schema === undefined ? 0 : JSON.stringify(req.schema).length;
  const text = Math.ceil((req.promptText.length + req.systemText.length + schemaChars) / 4);
  const image = req.inlineParts * 258;
  return { text, video, audio, image, total: text + video + audio + image };
}
