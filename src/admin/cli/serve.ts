import type { CliContext } from './errors.js';
import { CliError } from './errors.js';
import { parse } from './args.js';
import { runServer } from '../../main.js';
import { loadConfig, migrateConfigFile } from '../../config/config.js';
import { defaultWorkerCount, isClusterWorker, runClusterPrimary } from '../../net/cluster.js';
import { IpcChangeFeed } from '../../store/feed/ipc.js';

/**
 * Worker processes from --workers N, else PORTCULLIS_WORKERS, else 1. Several workers use every
 * core, but `service start|stop`, metrics and throttling counters are still per worker process
 * (see README, "Performance"), so one process stays the default.
 */
function workerCount(flag: string | undefined): number {
  const raw = flag ?? process.env.PORTCULLIS_WORKERS;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < 1 || n > 256) {
    throw new CliError(`--workers: "${raw}" is not allowed (allowed: a whole number from 1 to 256, e.g. ${defaultWorkerCount()} for every core; default 1)`);
  }
  return n;
}

export async function serveCommand(ctx: CliContext): Promise<number> {
  const { values } = parse(ctx.args, { workers: { type: 'string' } }, 'portcullis serve [--workers N]');
  const workers = workerCount(values.workers as string | undefined);
  const worker = isClusterWorker();
  // An older config file is migrated and saved (with a .bak) before anything starts; one line per step.
  if (!worker) migrateConfigFile(ctx.dataDir, ctx.stdout);
  if (!worker && workers > 1) {
    loadConfig(ctx.dataDir); // a bad config is one clear error here, not one per worker
    return runClusterPrimary({ workers });
  }
  let server: Awaited<ReturnType<typeof runServer>>;
  try {
    server = await runServer(ctx.dataDir, undefined, worker ? { feed: new IpcChangeFeed() } : {});
  } catch (err) {
    if (!worker) throw err;
    // A worker's shared listeners and IPC channel would keep it alive: report and exit, and the
    // primary stops the start-up (or restarts this worker later on).
    process.stderr.write(`portcullis: worker start-up failed: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  }
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
  // A worker's IPC channel would keep it alive: let go of it once the server has stopped.
  if (worker && process.connected) process.disconnect();
  return 0;
}
