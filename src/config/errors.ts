/** A setting is missing or wrong; the message names the setting and says how to fix it. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}
