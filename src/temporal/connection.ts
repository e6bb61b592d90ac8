import { Client, Connection } from '@temporalio/client';
import { ConfigurationError, type Settings } from '../config';

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

/** A client, or an error that says what to do when the server does not answer. */
export async function connectClient(
  address: string,
  settings: Settings,
  timeoutMs = 5000,
): Promise<{ client: Client; connection: Connection }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...connectionOptions(address, settings), connectTimeout: timeoutMs });
    await connection.workflowService.getSystemInfo({});
  } catch (err) {
    const fromEnv = settings.env.TEMPORAL_ADDRESS !== undefined;
    throw new ConfigurationError(
      `Cannot reach the Temporal server at ${address}${fromEnv ? ' (TEMPORAL_ADDRESS)' : ''}: ${(err as Error).message}.\n` +
        (fromEnv
          ? 'Check the address and that the server is running, or unset TEMPORAL_ADDRESS to use a local dev server started for you.'
          : 'Start one with `lesson-forge server`, or set TEMPORAL_ADDRESS.'),
    );
  }
  return { client: new Client({ connection, namespace: settings.env.TEMPORAL_NAMESPACE }), connection };
}
