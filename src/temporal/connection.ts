import { Client, Connection } from '@temporalio/client';
import { ConfigurationError, type Settings } from '../config';
import { explainTemporalError, type TemporalTarget } from './errors';
import { ensureSearchAttributes } from './search-attributes-setup';

/** TLS and API key for Temporal Cloud or a secured cluster; plain for a local dev server. */
export function connectionOptions(
  address: string,
  settings: Settings,
): { address: string; tls?: boolean; apiKey?: string } {
  const apiKeyEnv = settings.env.TEMPORAL_API_KEY_ENV;
  const apiKey = apiKeyEnv ? process.env[apiKeyEnv] : undefined;
  if (apiKeyEnv && !apiKey) throw new ConfigurationError(`TEMPORAL_API_KEY_ENV names ${apiKeyEnv}, which is not set.`);
  const tls = settings.env.TEMPORAL_TLS === 'true' || Boolean(apiKey);
  return { address, ...(tls ? { tls: true } : {}), ...(apiKey ? { apiKey } : {}) };
}

export function targetOf(address: string, settings: Settings): TemporalTarget {
  return { address, namespace: settings.env.TEMPORAL_NAMESPACE, fromEnv: settings.env.TEMPORAL_ADDRESS !== undefined };
}

const usesTls = (settings: Settings) =>
  settings.env.TEMPORAL_TLS === 'true' || Boolean(settings.env.TEMPORAL_API_KEY_ENV);

/**
 * A client whose namespace answers and has the project's search attributes (registered if
 * missing), or an error that says what to do.
 */
export async function connectClient(
  address: string,
  settings: Settings,
  timeoutMs = 5000,
): Promise<{ client: Client; connection: Connection }> {
  const target = targetOf(address, settings);
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connectionOptions(address, settings), connectTimeout: timeoutMs });
    await connection.workflowService.describeNamespace({ namespace: target.namespace });
    await ensureSearchAttributes(connection, target);
  } catch (err) {
    await connection?.close().catch(() => undefined);
    throw explainTemporalError(err, target, usesTls(settings)) ?? err;
  }
  return { client: new Client({ connection, namespace: target.namespace }), connection };
}
