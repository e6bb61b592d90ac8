import { z } from 'zod';
import { ConfigurationError } from './errors';

/** Settings read from the environment; validated once at start-up so a bad value is named early. */
const envSchema = z.object({
  TEMPORAL_ADDRESS: z
    .string()
    .trim()
    .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, for example localhost:7233 or my-ns.tmprl.cloud:7233')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().trim().min(1, 'must not be empty').default('default'),
  TEMPORAL_TASK_QUEUE: z.string().trim().min(1, 'must not be empty').default('lesson-forge'),
  TEMPORAL_API_KEY_ENV: z.string().trim().optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  GEMINI_API_KEY: z.string().trim().min(1, 'is set but empty').optional(),
  GEMINI_BASE_URL: z.string().trim().url('must be a URL such as https://generativelanguage.googleapis.com').optional(),
  LESSON_FORGE_CONFIG: z.string().trim().optional(),
  LESSON_FORGE_HOME: z.string().trim().optional(),
});

export type EnvSettings = z.infer<typeof envSchema>;

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvSettings {
  // Treat empty strings as unset, as shells and .env files often leave them so.
  const present = Object.fromEntries(
    Object.keys(envSchema.shape).flatMap((k) => (env[k] === undefined || env[k] === '' ? [] : [[k, env[k]]])),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message}`);
    throw new ConfigurationError(`Invalid environment settings:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
