import type { CliContext } from './errors.js';
import { parse } from './args.js';
import { runServer } from '../../main.js';

export async function serveCommand(ctx: CliContext): Promise<number> {
  parse(ctx.args, {}, 'portcullis serve');
  const server = await runServer(ctx.dataDir);
  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`${signal}: stopping (no new connections; finishing sessions)\n`);
      server.stop().then(resolve, (err) => {
        process.stderr.write(`stop failed: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      server.reload().catch((err) => process.stderr.write(`reload failed: ${(err as Error).message}\n`));
    });
  });
  return 0;
}
