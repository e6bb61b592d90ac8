/** Counters and a bounded request log. Keys appear only by label. */
import {
  routeNames,
  type RequestLogEntry,
  type RouteName,
  type StandinStats,
  type TokenTotals,
  type VideoStats,
} from './types';

/** What a finished request tells the stats, besides its log entry. */
export interface RequestOutcome extends RequestLogEntry {
  /** upload.chunk: this chunk finalized the upload. */
  finalized?: boolean;
  /** generate 2xx: the usage reported. */
  usage?: { prompt: number; candidates: number; thoughts: number; total: number };
  /** upload.chunk: bytes received. */
  bytes?: number;
}

const emptyVideo = (): VideoStats => ({
  uploadsStarted: 0,
  uploadsCompleted: 0,
  generateCalls: 0,
  generateSucceeded: 0,
  deletes: 0,
});

export class StatsCollector {
  private totals = {} as Record<RouteName, number>;
  private byKey: StandinStats['byKey'] = {};
  private byVideo: Record<string, VideoStats> = {};
  private byStatus: Record<string, number> = {};
  private count429 = 0;
  private tokensByModel: Record<string, TokenTotals> = {};
  private bytesUploaded = 0;
  private ring: RequestLogEntry[] = [];
  private ringStart = 0;
  private logDropped = 0;

  constructor(private logLimit = 20_000) {
    this.reset();
  }

  setLogLimit(limit: number): void {
    const entries = this.logEntries();
    this.logLimit = Math.max(1, limit);
    const keep = entries.slice(Math.max(0, entries.length - this.logLimit));
    this.logDropped += entries.length - keep.length;
    this.ring = keep;
    this.ringStart = 0;
  }

  reset(): void {
    this.totals = Object.fromEntries(routeNames.map((r) => [r, 0])) as Record<RouteName, number>;
    this.byKey = {};
    this.byVideo = {};
    this.byStatus = {};
    this.count429 = 0;
    this.tokensByModel = {};
    this.bytesUploaded = 0;
    this.ring = [];
    this.ringStart = 0;
    this.logDropped = 0;
  }

  record(o: RequestOutcome): void {
    this.totals[o.route]++;
    const perKey = (this.byKey[o.key] ??= {});
    perKey[o.route] = (perKey[o.route] ?? 0) + 1;
    this.byStatus[String(o.status)] = (this.byStatus[String(o.status)] ?? 0) + 1;
    if (o.status === 429) this.count429++;
    if (o.bytes) this.bytesUploaded += o.bytes;
    const ok = o.status >= 200 && o.status < 300;
    if (o.video !== undefined) this.recordVideo(o, ok);
    if (o.route === 'generate' && ok && o.usage && o.model) {
      const t = (this.tokensByModel[o.model] ??= { calls: 0, prompt: 0, candidates: 0, thoughts: 0, total: 0 });
      t.calls++;
      t.prompt += o.usage.prompt;
      t.candidates += o.usage.candidates;
      t.thoughts += o.usage.thoughts;
      t.total += o.usage.total;
    }
    const entry: RequestLogEntry = { at: o.at, route: o.route, key: o.key, status: o.status };
    if (o.model !== undefined) entry.model = o.model;
    if (o.video !== undefined) entry.video = o.video;
    if (o.finishReason !== undefined) entry.finishReason = o.finishReason;
    if (o.mediaParts !== undefined) entry.mediaParts = o.mediaParts;
    if (o.project !== undefined) entry.project = o.project;
    if (o.admittedAt !== undefined) entry.admittedAt = o.admittedAt;
    if (o.route === 'generate' && ok && o.usage) entry.promptTokens = o.usage.prompt;
    this.append(entry);
  }

  private recordVideo(o: RequestOutcome, ok: boolean): void {
    const v = (this.byVideo[o.video as string] ??= emptyVideo());
    switch (o.route) {
      case 'upload.start':
        if (ok) v.uploadsStarted++;
        break;
      case 'upload.chunk':
      case 'upload.query':
        if (ok && o.finalized) v.uploadsCompleted++;
        break;
      case 'generate':
        v.generateCalls++;
        if (o.model) v.lastModel = o.model;
        if (ok && o.finishReason === 'STOP') v.generateSucceeded++;
        break;
      case 'files.delete':
        if (ok) v.deletes++;
        break;
      default:
        break;
    }
  }

  private append(entry: RequestLogEntry): void {
    if (this.ring.length < this.logLimit) {
      this.ring.push(entry);
      return;
    }
    this.ring[this.ringStart] = entry;
    this.ringStart = (this.ringStart + 1) % this.ring.length;
    this.logDropped++;
  }

  private logEntries(): RequestLogEntry[] {
    return [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
  }

  /** A deep copy. */
  snapshot(includeLog = true): StandinStats {
    return structuredClone({
      totals: this.totals,
      byKey: this.byKey,
      byVideo: this.byVideo,
      byStatus: this.byStatus,
      count429: this.count429,
      tokensByModel: this.tokensByModel,
      bytesUploaded: this.bytesUploaded,
      log: includeLog ? this.logEntries() : [],
      logDropped: this.logDropped,
    });
  }
}
