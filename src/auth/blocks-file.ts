/**
 * Throttling blocks live in the running server's memory. So that `portcullis auth blocks list|clear`
 * can see and clear them, the server persists them and picks up clear requests:
 *   DATA_DIR/run/blocks.json           written (atomically) by the server whenever blocks change
 *                                      and on each poll: { updatedAt, blocks: [{network, until, failures}] }
 *   DATA_DIR/run/blocks-clear/*.json   one file per request from the CLI: { network: string | null };
 *                                      the server applies and deletes it within `pollMs`.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../core/log.js';
import type { FailureThrottle } from './throttle.js';

export interface BlockEntry { network: string; until: string; failures: number }
export interface BlocksSnapshot { updatedAt: string; blocks: BlockEntry[] }

export const blocksFile = (dataDir: string): string => join(dataDir, 'run', 'blocks.json');
export const clearDir = (dataDir: string): string => join(dataDir, 'run', 'blocks-clear');

export function readBlocks(dataDir: string): BlocksSnapshot | null {
  try {
    const v = JSON.parse(readFileSync(blocksFile(dataDir), 'utf8')) as BlocksSnapshot;
    return Array.isArray(v.blocks) ? v : null;
  } catch {
    return null;
  }
}

/** Queues a clear request for the running server (network null = all); returns the request file. */
export function requestClear(dataDir: string, network: string | null): string {
  mkdirSync(clearDir(dataDir), { recursive: true, mode: 0o700 });
  const tmp = join(clearDir(dataDir), `.${randomBytes(8).toString('hex')}.tmp`);
  writeFileSync(tmp, JSON.stringify({ network }), { mode: 0o600 });
  const file = tmp.replace(/\/\.([0-9a-f]+)\.tmp$/, '/$1.json');
  renameSync(tmp, file);
  return file;
}

/**
 * Keeps blocks.json in step with the throttle and applies clear requests. Wire the throttle's
 * onChange to the returned `changed()`; call stop() at shutdown.
 */
export function attachBlocksFile(throttle: FailureThrottle, dataDir: string, logger: Logger, pollMs = 2000): { changed(): void; poll(): Promise<void>; stop(): void } {
  const log = logger.child({ component: 'auth-blocks' });
  let writing = Promise.resolve();
  const write = async (): Promise<void> => {
    const blocks = (await throttle.blocks()).map((b) => ({ network: b.network, until: b.until.toISOString(), failures: b.failures }));
    mkdirSync(join(dataDir, 'run'), { recursive: true, mode: 0o700 });
    const tmp = `${blocksFile(dataDir)}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ updatedAt: new Date().toISOString(), blocks } satisfies BlocksSnapshot), { mode: 0o600 });
    renameSync(tmp, blocksFile(dataDir));
  };
  const changed = (): void => {
    writing = writing.then(write).catch((err: unknown) => log.warn('blocks-write-failed', { err: err instanceof Error ? err : new Error(String(err)) }));
  };
  const poll = async (): Promise<void> => {
    let names: string[] = [];
    try {
      names = readdirSync(clearDir(dataDir)).filter((n) => n.endsWith('.json'));
    } catch {
      names = [];
    }
    for (const name of names) {
      const file = join(clearDir(dataDir), name);
      try {
        const req = JSON.parse(readFileSync(file, 'utf8')) as { network?: unknown };
        const network = typeof req.network === 'string' && req.network.length <= 64 ? req.network : undefined;
        await throttle.clear(network);
        log.info('blocks-cleared', { network: network ?? 'all' });
      } catch (err) {
        log.warn('blocks-clear-request-bad', { file: name, err: err instanceof Error ? err : new Error(String(err)) });
      }
      rmSync(file, { force: true });
    }
    changed();
    await writing;
  };
  const timer = setInterval(() => void poll(), pollMs);
  timer.unref();
  changed();
  return { changed, poll, stop: () => clearInterval(timer) };
}
