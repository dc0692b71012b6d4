/** Seeded randomness, latency recording and the load generator's own CPU use. */

/** mulberry32: a small, fast, fixed-seed PRNG (same seed, same run). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)];
}

/** Picks a key by weight. */
export function weighted<K extends string>(r: () => number, weights: Readonly<Record<K, number>>): K {
  const entries = Object.entries(weights) as Array<[K, number]>;
  const total = entries.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [k, w] of entries) {
    x -= w;
    if (x < 0) return k;
  }
  return entries[entries.length - 1][0];
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  mean: number;
}

/** Latencies in ms per operation name. */
export class Latencies {
  private readonly byName = new Map<string, number[]>();
  errors = 0;

  add(name: string, ms: number): void {
    let a = this.byName.get(name);
    if (!a) this.byName.set(name, (a = []));
    a.push(ms);
  }

  /** Times an async operation under `name` (failures count as errors, not latencies). */
  async time<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const t = performance.now();
    try {
      const v = await fn();
      this.add(name, performance.now() - t);
      return v;
    } catch (err) {
      this.errors++;
      throw err;
    }
  }

  count(): number {
    let n = 0;
    for (const a of this.byName.values()) n += a.length;
    return n;
  }

  summary(name?: string): LatencySummary {
    const all = name ? [...(this.byName.get(name) ?? [])] : [...this.byName.values()].flat();
    all.sort((a, b) => a - b);
    const mean = all.length ? all.reduce((s, x) => s + x, 0) / all.length : NaN;
    return { count: all.length, p50: round(percentile(all, 50)), p99: round(percentile(all, 99)), mean: round(mean) };
  }

  perName(): Record<string, LatencySummary> {
    const out: Record<string, LatencySummary> = {};
    for (const k of [...this.byName.keys()].sort()) out[k] = this.summary(k);
    return out;
  }
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** CPU use of this process between start() and stop(), as a share of one core. */
export class CpuMeter {
  private cpu = process.cpuUsage();
  private t = performance.now();
  start(): void {
    this.cpu = process.cpuUsage();
    this.t = performance.now();
  }
  stop(): { cpuSeconds: number; coreShare: number } {
    const d = process.cpuUsage(this.cpu);
    const wall = (performance.now() - this.t) / 1000;
    const cpuSeconds = (d.user + d.system) / 1e6;
    return { cpuSeconds: round(cpuSeconds), coreShare: round(wall > 0 ? cpuSeconds / wall : 0) };
  }
}
