import type { Client } from '@temporalio/client';
import type { ApiKey } from '../config';
import type { GeminiGateway } from '../gemini/gateway';
import type { ModelCatalog } from '../gemini/catalog';
import type { WorkerPolicy } from './input-policy';
import { ManifestStore } from '../output/manifest';
import { TemplateRegistry } from '../templates';

/** What activities need from the outside world; tests pass their own. */
export interface ActivityDeps {
  gemini: GeminiGateway;
  catalog: ModelCatalog;
  /** Used by activities that talk to other workflows (the key pool, reconciling children). */
  temporal?: Client;
  /** The keys this worker holds (names and limits go to the key pool; values never leave). */
  keys?: ApiKey[];
  now?: () => Date;
  /** How often to poll Gemini for an uploaded file to become ACTIVE. */
  filePollMs?: number;
  /** The webhook URL of the worker's own config file (`webhookUrl`), for batches that name it. */
  webhookUrl?: string;
  /** fetch for webhooks (tests may inject). */
  fetch?: typeof fetch;
  /** What workflow inputs may name (folders, webhooks); every activity checks its input against it. */
  policy?: WorkerPolicy;
  /** Length of the quota minute the token ledger keeps (60 s, as Gemini's; tests shorten it with the stand-in's). */
  quotaMinuteMs?: number;
}

/** Per-worker caches shared by all activities: template folders and the output manifests. */
export class ActivityContext {
  readonly manifests = new ManifestStore();
  private readonly registries = new Map<string, TemplateRegistry>();

  constructor(readonly deps: ActivityDeps) {}

  now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  templates(extraDirs: string[]): TemplateRegistry {
    const key = extraDirs.join('\0');
    let registry = this.registries.get(key);
    if (!registry) {
      registry = TemplateRegistry.load(extraDirs);
      this.registries.set(key, registry);
    }
    return registry;
  }
}
