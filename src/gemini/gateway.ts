import {
  GoogleGenAI,
  MediaResolution as SdkMediaResolution,
  type GenerateContentConfig,
  type GenerateContentResponse,
} from '@google/genai';
import type { ApiKey } from '../config';
import type { MediaResolution, TokenUsage } from '../types';
import type { Modality } from './catalog';
import { classifyGeminiError, type GeminiOperation } from './classify';
import { FailureType } from '../failures';
import { ApplicationFailure } from '@temporalio/common';
import { resumableUpload, type UploadProgress } from './resumable-upload';

/** Where uploads go when GEMINI_BASE_URL is not set (the SDK's own default). */
export const defaultGeminiBaseUrl = 'https://generativelanguage.googleapis.com';

export interface UploadControl {
  /** Upload URL of an earlier attempt: resume it if the server still has it. */
  resumeUrl?: string;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export interface RemoteFile {
  name: string;
  uri: string;
  mimeType: string;
  state: 'PROCESSING' | 'ACTIVE' | 'FAILED' | 'STATE_UNSPECIFIED';
  error?: string;
  sizeBytes?: number;
}

export interface GenerateRequest {
  model: string;
  /** Absent for a text-only call (a repair of an answer already paid for: the video is not sent again). */
  video?: { fileUri: string; mimeType?: string; clip?: { startSeconds: number; endSeconds: number } };
  prompt: string;
  systemInstruction?: string;
  temperature?: number;
  maxOutputTokens?: number;
  mediaResolution: MediaResolution;
  responseJsonSchema?: unknown;
  abortSignal?: AbortSignal;
}

export interface GenerateResult {
  text?: string;
  finishReason?: string;
  blockReason?: string;
  usage: TokenUsage;
  /** Prompt tokens by modality (`promptTokensDetails`), so sound is priced at the audio price where it differs. */
  promptTokensByModality?: Partial<Record<Modality, number>>;
  modelVersion?: string;
}

/**
 * The product's only door to Gemini: one SDK client per key alias, errors classified into typed
 * Temporal failures, key values redacted from anything that could be logged.
 */
export class GeminiGateway {
  private readonly clients = new Map<string, GoogleGenAI>();
  /** Key values by alias, for the uploads that do not go through the SDK. */
  private readonly keyValues = new Map<string, string>();
  private readonly secrets: string[];

  constructor(
    keys: ApiKey[],
    private readonly baseUrl?: string,
  ) {
    for (const key of keys) {
      this.keyValues.set(key.alias, key.value);
      this.clients.set(
        key.alias,
        new GoogleGenAI({ apiKey: key.value, apiVersion: 'v1beta', httpOptions: baseUrl ? { baseUrl } : undefined }),
      );
    }
    this.secrets = keys.map((k) => k.value).filter((v) => v.length >= 6);
  }

  get aliases(): string[] {
    return [...this.clients.keys()];
  }

  hasKey(alias: string): boolean {
    return this.clients.has(alias);
  }

  private client(alias: string): GoogleGenAI {
    const client = this.clients.get(alias);
    if (!client) {
      throw ApplicationFailure.create({
        type: FailureType.Configuration,
        nonRetryable: true,
        message: `This worker has no Gemini key named "${alias}" (it has: ${this.aliases.join(', ') || 'none'}). Give every worker the same keys.`,
      });
    }
    return client;
  }

  private async call<T>(
    operation: GeminiOperation,
    alias: string,
    model: string | undefined,
    fn: (c: GoogleGenAI) => Promise<T>,
  ): Promise<T> {
    const client = this.client(alias);
    try {
      return await fn(client);
    } catch (err) {
      const failure = classifyGeminiError(err, { operation, keyAlias: alias, model });
      failure.message = this.redact(failure.message);
      throw failure;
    }
  }

  /** Removes any key value from text that might reach a log, a history or the UI. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join('[redacted key]');
    return out;
  }

  /**
   * Streams the file from disk with the resumable protocol (not the SDK, which buffers each 8 MiB
   * chunk and cannot resume), so memory stays flat for any size and a retry can go on from
   * `control.resumeUrl` instead of byte 0.
   */
  upload(
    alias: string,
    path: string,
    opts: { displayName: string; mimeType: string },
    control: UploadControl = {},
  ): Promise<RemoteFile> {
    return this.call('upload', alias, undefined, async () => {
      const file = await resumableUpload({
        baseUrl: this.baseUrl ?? defaultGeminiBaseUrl,
        apiKey: this.keyValues.get(alias) as string,
        path,
        displayName: opts.displayName,
        mimeType: opts.mimeType,
        resumeUrl: control.resumeUrl,
        onProgress: control.onProgress,
        signal: control.signal,
      });
      return toRemoteFile(file);
    });
  }

  getFile(alias: string, name: string): Promise<RemoteFile> {
    return this.call('files.get', alias, undefined, async (c) => toRemoteFile(await c.files.get({ name })));
  }

  deleteFile(alias: string, name: string): Promise<void> {
    return this.call('files.delete', alias, undefined, async (c) => {
      await c.files.delete({ name });
    });
  }

  generate(alias: string, req: GenerateRequest): Promise<GenerateResult> {
    const params = generateContentParameters(req);
    return this.call('generate', alias, req.model, async (c) =>
      toGenerateResult(
        await c.models.generateContent({ ...params, config: { ...params.config, abortSignal: req.abortSignal } }),
      ),
    );
  }

  /**
   * Any other SDK call (the Batch API, see batch-api.ts) with this gateway's client for the key,
   * its errors classified and key values redacted like every other call.
   */
  withSdk<T>(operation: GeminiOperation, alias: string, model: string | undefined, fn: (c: GoogleGenAI) => Promise<T>) {
    return this.call(operation, alias, model, fn);
  }
}

/**
 * The SDK's request for a generate call, without the abort signal: an interactive call sends it,
 * and an economy (Batch API) request carries the very same contents and config.
 */
export function generateContentParameters(req: GenerateRequest): {
  model: string;
  contents: Array<{ role: string; parts: Array<Record<string, unknown>> }>;
  config: Omit<GenerateContentConfig, 'abortSignal'>;
} {
  const video = req.video;
  const clip = video?.clip;
  const videoPart = video && {
    fileData: { fileUri: video.fileUri, ...(video.mimeType ? { mimeType: video.mimeType } : {}) },
    ...(clip ? { videoMetadata: { startOffset: `${clip.startSeconds}s`, endOffset: `${clip.endSeconds}s` } } : {}),
  };
  return {
    model: req.model,
    contents: [{ role: 'user', parts: [...(videoPart ? [videoPart] : []), { text: req.prompt }] }],
    config: {
      systemInstruction: req.systemInstruction,
      temperature: req.temperature,
      maxOutputTokens: req.maxOutputTokens,
      mediaResolution: req.mediaResolution === 'low' ? SdkMediaResolution.MEDIA_RESOLUTION_LOW : undefined,
      ...(req.responseJsonSchema
        ? { responseMimeType: 'application/json', responseJsonSchema: req.responseJsonSchema }
        : {}),
    },
  };
}

function toRemoteFile(file: {
  name?: string;
  uri?: string;
  mimeType?: string;
  state?: string;
  error?: { message?: string };
  sizeBytes?: string;
}): RemoteFile {
  return {
    name: file.name ?? '',
    uri: file.uri ?? '',
    mimeType: file.mimeType ?? '',
    state: (file.state as RemoteFile['state']) ?? 'STATE_UNSPECIFIED',
    error: file.error?.message,
    sizeBytes: file.sizeBytes ? Number(file.sizeBytes) : undefined,
  };
}

export function toGenerateResult(response: GenerateContentResponse): GenerateResult {
  const usage = response.usageMetadata;
  const candidate = response.candidates?.[0];
  const promptTokens = usage?.promptTokenCount ?? 0;
  const outputTokens = usage?.candidatesTokenCount ?? 0;
  const thoughtsTokens = usage?.thoughtsTokenCount ?? 0;
  const byModality: Partial<Record<Modality, number>> = {};
  for (const d of usage?.promptTokensDetails ?? []) {
    const modality = String(d.modality ?? '').toLowerCase();
    if (modality === 'text' || modality === 'image' || modality === 'video' || modality === 'audio')
      byModality[modality] = (byModality[modality] ?? 0) + (d.tokenCount ?? 0);
  }
  return {
    ...(Object.keys(byModality).length > 0 ? { promptTokensByModality: byModality } : {}),
    // A Batch API answer is a plain object, without the SDK's `text` getter: read its parts.
    text: candidate ? (response.text ?? partsText(candidate)) : undefined,
    finishReason: candidate?.finishReason,
    blockReason: response.promptFeedback?.blockReason,
    usage: {
      promptTokens,
      outputTokens,
      thoughtsTokens,
      totalTokens: usage?.totalTokenCount ?? promptTokens + outputTokens + thoughtsTokens,
    },
    modelVersion: response.modelVersion,
  };
}

function partsText(candidate: {
  content?: { parts?: Array<{ text?: string; thought?: boolean }> };
}): string | undefined {
  const texts = (candidate.content?.parts ?? []).filter((p) => typeof p.text === 'string' && !p.thought);
  return texts.length > 0 ? texts.map((p) => p.text).join('') : undefined;
}
