/**
 * Every core: `serve --workers N` runs N worker processes (node:cluster) that each run the full
 * server on the same data dir. The primary holds the listening sockets (cluster shares them:
 * every worker opens its listeners in the same order, so a binding on port 0 gets one port for
 * all) and hands each accepted connection to a worker in turn.
 *
 * The primary:
 * - fans change-feed events out between workers (src/store/feed/ipc.ts);
 * - gathers every worker's metrics for a /metrics scrape (src/observe/metrics-cluster.ts);
 * - forwards SIGTERM/SIGINT (graceful stop) and SIGHUP (reload) to every worker;
 * - restarts a worker that dies unexpectedly (with a growing delay if it keeps dying); a worker
 *   that dies before the first `ready` stops the whole start-up instead, with its error shown;
 * - prints what one server would print, once: listener lines, `ready`, `reloaded` (after every
 *   worker has reloaded), and forwards the workers' logs (stderr) as they are.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { relayFeedEvents } from '../store/feed/ipc.js';
import { relayMetricsRequests } from '../observe/metrics-cluster.js';

/** Environment variable that tells a worker its slot (0 … N-1); slot 0 writes the run status. */
export const WORKER_SLOT_ENV = 'PORTCULLIS_WORKER_SLOT';

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/** True in a worker process started by runClusterPrimary. */
export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[WORKER_SLOT_ENV] !== undefined;
}

/** This worker's slot, or null when not a cluster worker. */
export function workerSlot(): number | null {
  if (!isClusterWorker()) return null;
  const n = Number(process.env[WORKER_SLOT_ENV]);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export interface ClusterPrimaryOptions {
  workers: number;
  /** Where the primary writes its own lines (default process.stdout / process.stderr). */
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** How long a graceful stop may take before a worker is killed (default 30 s). */
  stopTimeoutMs?: number;
}

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  failures: number;
  lastStart: number;
  outBuf: string;
}

/** Runs the primary until every worker has stopped; resolves the exit code. */
export function runClusterPrimary(opts: ClusterPrimaryOptions): Promise<number> {
  const out = opts.out ?? ((t: string) => void process.stdout.write(t));
  const err = opts.err ?? ((t: string) => void process.stderr.write(t));
  const stopTimeoutMs = opts.stopTimeoutMs ?? 30_000;
  const slots: Slot[] = Array.from({ length: opts.workers }, (_, index) => ({ index, worker: null, ready: false, failures: 0, lastStart: 0, outBuf: '' }));
  const printed = new Set<string>();
  let announcedReady = false;
  let stopping = false;
  let startupFailed = false;
  let reloadPending: Set<number> | null = null;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));

  cluster.setupPrimary({ silent: true });
  const relay = relayFeedEvents(() => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w));
  const live = (): Worker[] => slots.map((s) => s.worker).filter((w): w is Worker => !!w && !w.isDead());
  // GET /metrics on any worker: the primary gathers every worker's registry (observe/metrics-cluster.ts).
  const metricsRelay = relayMetricsRequests(live);
  cluster.on('message', (worker, message) => {
    relay(worker, message);
    metricsRelay(worker, message);
  });

  function line(slot: Slot, text: string): void {
    if (text === 'ready') {
      slot.ready = true;
      slot.failures = 0;
      if (!announcedReady && slots.every((s) => s.ready)) {
        announcedReady = true;
        out(`${slots.length} worker processes\nready\n`);
      }
      return;
    }
    if (text === 'reloaded') {
      if (reloadPending && slot.worker) {
        reloadPending.delete(slot.worker.id);
        if (reloadPending.size === 0) {
          reloadPending = null;
          out('reloaded\n');
        }
      }
      return;
    }
    // Every worker prints the same start-up lines: show each once.
    if (printed.has(text)) return;
    printed.add(text);
    out(text + '\n');
  }

  function fork(slot: Slot): void {
    slot.ready = false;
    slot.outBuf = '';
    slot.lastStart = Date.now();
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.index) });
    slot.worker = worker;
    worker.process.stdout?.on('data', (d: Buffer) => {
      slot.outBuf += d.toString('utf8');
      let nl: number;
      while ((nl = slot.outBuf.indexOf('\n')) >= 0) {
        const text = slot.outBuf.slice(0, nl).replace(/\r$/, '');
        slot.outBuf = slot.outBuf.slice(nl + 1);
        line(slot, text);
      }
    });
    worker.process.stderr?.on('data', (d: Buffer) => err(d.toString('utf8')));
    worker.on('exit', (code, signal) => {
      if (slot.worker === worker) slot.worker = null;
      reloadPending?.delete(worker.id);
      if (stopping || startupFailed) {
        if (slots.every((s) => !s.worker)) finish(startupFailed ? 1 : 0);
        return;
      }
      if (!announcedReady) {
        // A worker that cannot start (bad config, port in use): the others would fail alike.
        startupFailed = true;
        err(`portcullis: worker ${slot.index} exited during start-up (${signal ?? `code ${code}`}); stopping\n`);
        for (const w of live()) w.process.kill('SIGTERM');
        if (slots.every((s) => !s.worker)) finish(1);
        return;
      }
      slot.failures = Date.now() - slot.lastStart < 10_000 ? slot.failures + 1 : 1;
      const delay = Math.min(100 * 2 ** (slot.failures - 1), 10_000);
      err(JSON.stringify({ time: new Date().toISOString(), level: 'error', event: 'worker-exited', worker: slot.index, pid: worker.process.pid, code, signal, restartInMs: delay }) + '\n');
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay);
    });
  }

  const onStop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    // each worker prints its "SIGTERM: stopping" line; the first one is shown
    const workers = live();
    if (workers.length === 0) return finish(0);
    for (const w of workers) w.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of live()) w.process.kill('SIGKILL');
    }, stopTimeoutMs).unref();
  };
  const onReload = (): void => {
    if (stopping) return;
    printed.clear();
    const workers = live();
    reloadPending = new Set(workers.map((w) => w.id));
    for (const w of workers) w.process.kill('SIGHUP');
  };
  process.on('SIGTERM', () => onStop('SIGTERM'));
  process.on('SIGINT', () => onStop('SIGINT'));
  process.on('SIGHUP', onReload);

  for (const slot of slots) fork(slot);
  return done;
}
