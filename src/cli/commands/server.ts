import path from 'node:path';
import type { Command } from 'commander';
import { userDataDir } from '../../config';
import { startDevServer } from '../../temporal/dev-server';
import { cyan, dim } from '../output';

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('Run the local Temporal dev server (SQLite, Web UI) in the foreground until Ctrl-C')
    .option('--port <n>', 'gRPC port', '7233')
    .option('--ui-port <n>', 'Web UI port', '8233')
    .option('--db <file>', 'SQLite file', path.join(userDataDir(), 'temporal', 'dev-server.db'))
    .action(async (opts: { port: string; uiPort: string; db: string }) => {
      const server = await startDevServer({
        port: Number(opts.port),
        uiPort: Number(opts.uiPort),
        dbFile: path.resolve(opts.db),
      });
      process.stderr.write(
        `Temporal dev server at ${server.address}; Web UI ${cyan(server.uiUrl ?? '')}; state in ${opts.db}. ${dim('Ctrl-C to stop.')}\n`,
      );
      await new Promise<void>((resolve) => {
        const stop = () => void server.stop().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        server.process.once('exit', () => resolve());
      });
    });
}
