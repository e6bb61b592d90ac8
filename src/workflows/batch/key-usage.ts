import { getExternalWorkflowHandle, log, workflowInfo } from '@temporalio/workflow';
import type { BatchCarriedState } from '../../types';
import { keyPoolWorkflowId } from '../ids';
import { keyEventSignal } from '../key-pool-workflow';
import { parseUsageKey } from './usage-key';

/** Videos' worth of usage entries gathered before they go to the key pool in one go. */
export const keyUsageReportEvery = 25;

/**
 * Tokens used per key go to the shared key pool in bulk (every 25 videos' worth of entries, and
 * at the end): one message per key and model instead of one per video keeps the pool light. With
 * one key there is no pool to tell.
 */
export class KeyUsageReport {
  constructor(
    private readonly state: BatchCarriedState,
    private readonly keyAliases: string[],
  ) {}

  due(all: boolean): boolean {
    const { state } = this;
    if (this.keyAliases.length < 2 || Object.keys(state.unreportedTokens ?? {}).length === 0) return false;
    return all || state.succeeded + state.failed + state.skipped - (state.reportedAt ?? 0) >= keyUsageReportEvery;
  }

  async send(all: boolean): Promise<void> {
    if (!this.due(all)) return;
    const { state } = this;
    const entries = Object.entries(state.unreportedTokens ?? {});
    state.unreportedTokens = {};
    state.reportedAt = state.succeeded + state.failed + state.skipped;
    const pool = getExternalWorkflowHandle(keyPoolWorkflowId(workflowInfo().taskQueue));
    for (const [k, tokens] of entries) {
      try {
        await pool.signal(keyEventSignal, { type: 'tokens', ...parseUsageKey(k), tokens });
      } catch (err) {
        log.warn('could not report key usage', { error: String(err) });
      }
    }
  }
}
