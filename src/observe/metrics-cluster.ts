/**
 * Whole-server metrics under `serve --workers N`. Each worker counts in its own registry, and a
 * scrape of /metrics lands on whichever worker the cluster hands the connection to. So the worker
 * that answers asks the primary, the primary asks every live worker for a registry snapshot
 * (over the cluster IPC channel), and hands the snapshots back; the answering worker merges them
 * (counters and histograms summed, gauges summed except certificate expiry: the least, and
 * throttled networks: the greatest, as every worker reads the same certificates and blocks file).
 * A worker that does not answer in time is left out; a primary that does not answer at all
 * leaves the worker's own numbers.
 */
import { randomUUID } from 'node:crypto';
import { MetricsRegistry, type FamilySnapshot, type GaugeMerge } from './metrics-registry.js';

const REQUEST = 'portcullis:metrics-request';
const COLLECT = 'portcullis:metrics-collect';
const SNAPSHOT = 'portcullis:metrics-snapshot';
const MERGED = 'portcullis:metrics-merged';

export const GAUGE_MERGE: Readonly<Record<string, GaugeMerge>> = {
  portcullis_certificate_expiry_days: 'min',
  portcullis_throttled_addresses: 'max',
};

/** The IPC end of a worker (`process` in a cluster worker). */
export interface MetricsEndpoint {
  send?: (message: unknown) => unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  removeListener(event: 'message', listener: (message: unknown) => void): unknown;
}

/** A worker's end as the primary sees it (a cluster Worker). */
export interface MetricsWorker {
  id: number;
  send(message: unknown): unknown;
  isDead(): boolean;
}

interface Tagged { t?: unknown; id?: unknown; snapshots?: unknown; snapshot?: unknown }

const tagged = (m: unknown): Tagged => (m && typeof m === 'object' ? (m as Tagged) : {});

/**
 * Worker side: answers the primary's snapshot requests, and returns the text /metrics serves
 * (the merged whole-server registry). `stop` removes the listener.
 */
export function clusterMetrics(registry: MetricsRegistry, endpoint: MetricsEndpoint = process as unknown as MetricsEndpoint, timeoutMs = 5000): {
  render(): Promise<string>;
  stop(): void;
} {
  const waiting = new Map<string, (snapshots: FamilySnapshot[][] | null) => void>();
  const onMessage = (message: unknown): void => {
    const m = tagged(message);
    if (m.t === COLLECT && typeof m.id === 'string') {
      const id = m.id;
      void registry.snapshot().then((snapshot) => {
        try {
          endpoint.send?.({ t: SNAPSHOT, id, snapshot });
        } catch {
          // channel closed: the primary leaves this worker out
        }
      });
    } else if (m.t === MERGED && typeof m.id === 'string' && Array.isArray(m.snapshots)) {
      waiting.get(m.id)?.(m.snapshots as FamilySnapshot[][]);
    }
  };
  endpoint.on('message', onMessage);
  return {
    async render(): Promise<string> {
      const id = randomUUID();
      const snapshots = await new Promise<FamilySnapshot[][] | null>((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        waiting.set(id, (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        try {
          if (!endpoint.send) throw new Error('no IPC channel');
          endpoint.send({ t: REQUEST, id });
        } catch {
          clearTimeout(timer);
          resolve(null);
        }
      });
      waiting.delete(id);
      if (!snapshots || snapshots.length === 0) return registry.render();
      return MetricsRegistry.merged(snapshots, GAUGE_MERGE).render();
    },
    stop(): void {
      endpoint.removeListener('message', onMessage);
    },
  };
}

/**
 * Primary side: returns the handler for worker messages. On a worker's request it asks every
 * live worker for a snapshot and sends the ones that arrive within `timeoutMs` back.
 */
export function relayMetricsRequests(workers: () => MetricsWorker[], timeoutMs = 3000): (from: MetricsWorker, message: unknown) => void {
  const rounds = new Map<string, { from: MetricsWorker; expected: Set<number>; got: FamilySnapshot[][]; timer: NodeJS.Timeout }>();
  const finish = (id: string): void => {
    const round = rounds.get(id);
    if (!round) return;
    rounds.delete(id);
    clearTimeout(round.timer);
    if (round.from.isDead()) return;
    try {
      round.from.send({ t: MERGED, id, snapshots: round.got });
    } catch {
      // the asking worker went away
    }
  };
  return (from, message) => {
    const m = tagged(message);
    if (m.t === REQUEST && typeof m.id === 'string' && !rounds.has(m.id)) {
      const id = m.id;
      const live = workers().filter((w) => !w.isDead());
      const round = { from, expected: new Set(live.map((w) => w.id)), got: [] as FamilySnapshot[][], timer: setTimeout(() => finish(id), timeoutMs) };
      rounds.set(id, round);
      for (const w of live) {
        try {
          w.send({ t: COLLECT, id });
        } catch {
          round.expected.delete(w.id);
        }
      }
      if (round.expected.size === 0) finish(id);
    } else if (m.t === SNAPSHOT && typeof m.id === 'string' && Array.isArray(m.snapshot)) {
      const round = rounds.get(m.id);
      if (!round || !round.expected.delete(from.id)) return;
      round.got.push(m.snapshot as FamilySnapshot[]);
      if (round.expected.size === 0) finish(m.id);
    }
  };
}
