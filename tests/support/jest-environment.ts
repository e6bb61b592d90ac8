import NodeEnvironment from 'jest-environment-node';

const undiciDispatcher = Symbol.for('undici.globalDispatcher.1');

/**
 * Jest's sandbox does not share Node's global undici dispatcher, which @google/genai looks up
 * through a global symbol (to lift undici's 300 s timeouts). Hand the real one to the sandbox so
 * the SDK runs in tests exactly as in production.
 */
export default class SdkFriendlyEnvironment extends NodeEnvironment {
  override async setup(): Promise<void> {
    await super.setup();
    const outer = globalThis as Record<symbol, unknown>;
    if (!outer[undiciDispatcher]) {
      // Node creates its dispatcher on first use of fetch.
      await fetch('http://127.0.0.1:9/').catch(() => undefined);
    }
    (this.global as unknown as Record<symbol, unknown>)[undiciDispatcher] = outer[undiciDispatcher];
  }
}
