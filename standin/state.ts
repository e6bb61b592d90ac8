/** The stand-in's mutable state and the small contract between the server and its handlers. */
import type { IncomingMessage } from 'node:http';
import { faultError, type HttpError } from './errors';
import { FaultEngine, type FaultContext } from './faults';
import { FileStore } from './files-store';
import { KeyRegistry, limitFor, type ResolvedKey } from './keys';
import { RateLimiter } from './limits';
import { StatsCollector } from './stats';
import type { FaultAction, FaultRoute, LatencyOption, LatencySpec, RouteName, StandinOptions } from './types';
import { UploadSessions } from './upload';
import { DurationRegistry } from './videos';

export const defaultModels = [
  'gemini-3.8-flash',
  'gemini-3.5-flash',
  'gemini-3.5-flash-lite',
  'gemini-2.5-flash-lite',
  'gemini-3.1-pro-preview',
  'gemini-2.5-flash',
  'gemini-2.5-pro',
];

export type ResolvedOptions = Required<
  Omit<StandinOptions, 'latencyMs' | 'defaultLimits' | 'projectLimits' | 'logger' | 'keys'>
> &
  Pick<StandinOptions, 'latencyMs' | 'defaultLimits' | 'projectLimits' | 'logger'>;

export function resolveOptions(o: StandinOptions = {}): ResolvedOptions {
  return {
    port: o.port ?? 0,
    host: o.host ?? '127.0.0.1',
    acceptUnknownKeys: o.acceptUnknownKeys ?? true,
    defaultLimits: o.defaultLimits,
    projectLimits: o.projectLimits,
    models: o.models ?? defaultModels,
    latencyMs: o.latencyMs,
    processingMs: o.processingMs ?? 300,
    minuteMs: o.minuteMs ?? 60_000,
    maxFileBytes: o.maxFileBytes ?? 2 * 1024 ** 3,
    youtubeDefaultSeconds: o.youtubeDefaultSeconds ?? 600,
    bytesPerVideoSecond: o.bytesPerVideoSecond ?? 50_000,
    clipTimestamps: o.clipTimestamps ?? 'absolute',
    logLimit: o.logLimit ?? 20_000,
    logger: o.logger,
  };
}

/** What a handler answers; the server adds latency, writes it and records it. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Server-sent events (streamGenerateContent): each is sent as `data: <json>`. */
  events?: unknown[];
  /** Bytes sent as they are (file downloads); give the content-type in `headers`. */
  raw?: Buffer;
}

/** Per-request facts the handlers fill in for stats and logs. */
export interface RequestCtx {
  req: IncomingMessage;
  url: URL;
  route: RouteName;
  apiVersion: string;
  keyLabel: string;
  key?: ResolvedKey;
  model?: string;
  video?: string;
  finishReason?: string;
  finalized?: boolean;
  bytes?: number;
  usage?: { prompt: number; candidates: number; thoughts: number; total: number };
  /** generate: how many video (fileData) parts the request carried. */
  mediaParts?: number;
  /** generate: when the request was judged against its project's limits. */
  admittedAt?: number;
}

/** Thrown to make the server destroy the socket without answering. */
export class ResetSignal extends Error {
  constructor() {
    super('standin: connection reset by fault');
  }
}

function pickLatency(spec: LatencySpec | undefined): number {
  if (spec === undefined) return 0;
  if (typeof spec === 'number') return spec;
  return spec.min + Math.random() * Math.max(0, spec.max - spec.min);
}

function isSpec(value: LatencyOption): value is LatencySpec {
  return typeof value === 'number' || 'min' in value || 'max' in value;
}

export class StandinState {
  options: ResolvedOptions;
  readonly keys: KeyRegistry;
  readonly limiter = new RateLimiter();
  readonly faults = new FaultEngine();
  readonly stats: StatsCollector;
  readonly durations = new DurationRegistry();
  readonly files = new FileStore();
  readonly uploads = new UploadSessions();
  url = '';
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  /** A sleep that `cancelTimers()` ends early (so close() leaves no timers behind). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  cancelTimers(): void {
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }

  constructor(options: StandinOptions = {}) {
    this.options = resolveOptions(options);
    this.keys = new KeyRegistry(
      options.keys ?? [],
      this.options.acceptUnknownKeys,
      this.options.defaultLimits,
      this.options.projectLimits,
    );
    this.stats = new StatsCollector(this.options.logLimit);
  }

  configure(patch: Partial<StandinOptions>): void {
    const { keys, port: _port, host: _host, ...rest } = patch;
    const defined = Object.fromEntries(
      Object.entries(rest).filter(([, v]) => v !== undefined),
    ) as Partial<StandinOptions>;
    this.options = { ...this.options, ...defined };
    if ('defaultLimits' in patch) this.options.defaultLimits = patch.defaultLimits;
    if ('latencyMs' in patch) this.options.latencyMs = patch.latencyMs;
    if (keys) this.keys.setKeys(keys);
    this.keys.setAcceptUnknown(this.options.acceptUnknownKeys);
    this.keys.setDefaultLimits(this.options.defaultLimits);
    if ('projectLimits' in patch) this.options.projectLimits = patch.projectLimits;
    this.keys.setProjectLimits(this.options.projectLimits);
    if (patch.logLimit !== undefined) this.stats.setLogLimit(patch.logLimit);
  }

  latencyFor(route: RouteName): number {
    const option = this.options.latencyMs;
    if (option === undefined) return 0;
    if (isSpec(option)) return pickLatency(option);
    return pickLatency(option[route] ?? option.default);
  }

  isKnownModel(model: string): boolean {
    return this.options.models.includes(model);
  }

  /**
   * Runs the fault rules for a request: performs delays, then returns the terminal action the
   * handler must apply, throws the error of an `http` action, or a ResetSignal.
   */
  async runFaults(
    route: Exclude<FaultRoute, 'any'>,
    ctx: RequestCtx,
    accepts: (action: FaultAction) => boolean,
    extra: { fileId?: string } = {},
  ): Promise<FaultAction | undefined> {
    const fctx: FaultContext = { video: ctx.video, model: ctx.model, key: ctx.keyLabel, mediaParts: ctx.mediaParts };
    const actions = this.faults.select(route, fctx, accepts);
    for (const action of actions) {
      if (action.type === 'delay') {
        await this.sleep(action.ms);
        continue;
      }
      if (action.type === 'reset') throw new ResetSignal();
      if (action.type === 'http') throw this.faultHttpError(action, ctx, extra.fileId);
      return action;
    }
    return undefined;
  }

  private faultHttpError(action: Extract<FaultAction, { type: 'http' }>, ctx: RequestCtx, fileId?: string): HttpError {
    const key = ctx.key ?? this.keys.byLabel(ctx.keyLabel);
    const limit = ctx.model ? limitFor(key?.limits, ctx.model) : undefined;
    return faultError(action, {
      model: ctx.model,
      fileId,
      tier: key?.tier ?? 'free',
      limits: limit,
      defaultRetryMs: this.options.minuteMs,
    });
  }
}

/** Whose files, batches and caches a request may see: its key's label. */
export function ownerOf(ctx: RequestCtx): string {
  return ctx.key?.label ?? ctx.keyLabel;
}

/**
 * Data a feature keeps beside a stand-in's state, so that StandinState need not know of it: one
 * per state, made on first use.
 */
export function keptBeside<T>(make: () => T): (state: StandinState) => T {
  const kept = new WeakMap<StandinState, T>();
  return (state) => {
    let value = kept.get(state);
    if (value === undefined) {
      value = make();
      kept.set(state, value);
    }
    return value;
  };
}
