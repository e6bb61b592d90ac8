/**
 * Runs the Gemini stand-in on its own until SIGINT/SIGTERM:
 *   tsx standin/main.ts [--port 8787] [--host 127.0.0.1] [--latency-ms N | --latency-ms MIN-MAX]
 *                           [--processing-ms N] [--minute-ms N] [--quiet]
 * Prints `GEMINI_BASE_URL=http://127.0.0.1:PORT` once listening; drive it with the control API
 * under /__standin/ (see control.ts) or connectGeminiStandin(url).
 */
import { startGeminiStandin } from './server';
import type { LatencySpec, StandinOptions } from './types';

function usage(message?: string): never {
  if (message) process.stderr.write(`${message}\n`);
  process.stderr.write(
    'usage: tsx standin/main.ts [--port N] [--host H] [--latency-ms N|MIN-MAX] [--processing-ms N] [--minute-ms N] [--quiet]\n',
  );
  process.exit(2);
}

export function parseArgs(argv: string[]): StandinOptions & { quiet: boolean } {
  const options: StandinOptions & { quiet: boolean } = { quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) usage(`${flag} needs a value`);
      return v;
    };
    const number = (): number => {
      const v = Number(value());
      if (!Number.isFinite(v) || v < 0) usage(`${flag} needs a non-negative number`);
      return v;
    };
    switch (flag) {
      case '--port':
        options.port = number();
        break;
      case '--host':
        options.host = value();
        break;
      case '--latency-ms': {
        const v = value();
        const m = /^(\d+)-(\d+)$/.exec(v);
        const spec: LatencySpec = m ? { min: Number(m[1]), max: Number(m[2]) } : Number(v);
        if (typeof spec === 'number' && !Number.isFinite(spec)) usage('--latency-ms needs N or MIN-MAX');
        options.latencyMs = spec;
        break;
      }
      case '--processing-ms':
        options.processingMs = number();
        break;
      case '--minute-ms':
        options.minuteMs = number();
        break;
      case '--quiet':
        options.quiet = true;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return options;
}

async function main(): Promise<void> {
  const { quiet, ...options } = parseArgs(process.argv.slice(2));
  const standin = await startGeminiStandin({
    ...options,
    logger: quiet ? undefined : (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`Gemini stand-in listening on ${standin.url}\nGEMINI_BASE_URL=${standin.url}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`received ${signal}, closing\n`);
    standin.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`stand-in failed to start: ${(err as Error)?.message ?? String(err)}\n`);
    process.exit(1);
  });
}
