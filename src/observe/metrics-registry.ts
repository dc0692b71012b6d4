/**
 * A small metrics registry of our own: counters, gauges and histograms with labels, rendered in
 * the OpenMetrics text format (https://github.com/OpenObservability/OpenMetrics, the format
 * Prometheus scrapes). Collectors registered with onCollect() run before each render, for values
 * that are cheaper to read on demand (certificate expiry, throttled addresses).
 */

export type Labels = Readonly<Record<string, string>>;

export type MetricType = 'counter' | 'gauge' | 'histogram';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Default latency buckets in seconds (1 ms .. 10 s). */
export const LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Escapes a label value: backslash, double quote and line feed (OpenMetrics ABNF). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A number as OpenMetrics writes it: integers plainly, +Inf/-Inf/NaN by name. */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

abstract class Family<S extends { labels: Labels } = { labels: Labels }> {
  protected readonly series = new Map<string, S>();

  constructor(readonly name: string, readonly help: string, readonly labelNames: readonly string[], readonly type: MetricType) {
    if (!NAME.test(name)) throw new Error(`metric name ${name} is not valid`);
    for (const l of labelNames) if (!LABEL_NAME.test(l) || l === 'le') throw new Error(`label name ${l} is not valid`);
  }

  /** The series key for a label set; every declared label must be given (missing ones are ""). */
  protected key(labels: Labels): { key: string; labels: Labels } {
    const clean: Record<string, string> = {};
    for (const l of this.labelNames) clean[l] = String(labels[l] ?? '');
    return { key: JSON.stringify(this.labelNames.map((l) => clean[l])), labels: clean };
  }

  protected labelText(labels: Labels, extra?: [string, string]): string {
    const pairs = this.labelNames.filter((l) => labels[l] !== undefined).map((l) => `${l}="${escapeLabelValue(labels[l])}"`);
    if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
    return pairs.length ? `{${pairs.join(',')}}` : '';
  }

  /** Forgets every series (a gauge rebuilt by a collector). */
  reset(): void {
    this.series.clear();
  }

  abstract samples(): string[];

  /** Every series as plain data (what a worker sends its primary under `serve --workers N`). */
  seriesSnapshot(): S[] {
    return [...this.series.values()].map((x) => structuredClone(x));
  }

  render(): string {
    const lines = [`# TYPE ${this.name} ${this.type}`, `# HELP ${this.name} ${escapeHelp(this.help)}`];
    return [...lines, ...this.samples()].join('\n');
  }
}

export class Counter extends Family<{ labels: Labels; value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    if (name.endsWith('_total')) throw new Error(`counter ${name}: give the family name without _total`);
    super(name, help, labelNames, 'counter');
  }

  inc(labels: Labels = {}, by = 1): void {
    if (!(by >= 0)) return; // counters never go down; NaN ignored
    const { key, labels: l } = this.key(labels);
    const s = this.series.get(key);
    if (s) s.value += by;
    else this.series.set(key, { labels: l, value: by });
  }

  get(labels: Labels = {}): number {
    return this.series.get(this.key(labels).key)?.value ?? 0;
  }

  samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}_total${this.labelText(s.labels)} ${formatNumber(s.value)}`);
  }
}

export class Gauge extends Family<{ labels: Labels; value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, 'gauge');
  }

  set(labels: Labels, value: number): void {
    const { key, labels: l } = this.key(labels);
    const s = this.series.get(key);
    if (s) s.value = value;
    else this.series.set(key, { labels: l, value });
  }

  inc(labels: Labels = {}, by = 1): void {
    this.set(labels, this.get(labels) + by);
  }

  dec(labels: Labels = {}, by = 1): void {
    this.set(labels, this.get(labels) - by);
  }

  get(labels: Labels = {}): number {
    return this.series.get(this.key(labels).key)?.value ?? 0;
  }

  samples(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${this.labelText(s.labels)} ${formatNumber(s.value)}`);
  }
}

export class Histogram extends Family<{ labels: Labels; counts: number[]; sum: number; count: number }> {
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = LATENCY_BUCKETS) {
    super(name, help, labelNames, 'histogram');
    const b = [...buckets].filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
    if (!b.length) throw new Error(`histogram ${name}: at least one finite bucket is needed`);
    this.buckets = b;
  }

  observe(labels: Labels, value: number): void {
    if (Number.isNaN(value)) return;
    const { key, labels: l } = this.key(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: l, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    // Non-cumulative per bucket here; cumulated when rendered.
    const i = this.buckets.findIndex((b) => value <= b);
    if (i >= 0) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** Adds a series observed elsewhere (another worker's), bucket by bucket. */
  addSeries(labels: Labels, counts: readonly number[], sum: number, count: number): void {
    if (counts.length !== this.buckets.length) return;
    const { key, labels: l } = this.key(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: l, counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    counts.forEach((c, i) => (s.counts[i] += c));
    s.sum += sum;
    s.count += count;
  }

  /** Count and sum of one series (for tests and reports). */
  get(labels: Labels = {}): { count: number; sum: number } {
    const s = this.series.get(this.key(labels).key);
    return { count: s?.count ?? 0, sum: s?.sum ?? 0 };
  }

  samples(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      let acc = 0;
      this.buckets.forEach((b, i) => {
        acc += s.counts[i];
        out.push(`${this.name}_bucket${this.labelText(s.labels, ['le', formatNumber(b)])} ${acc}`);
      });
      out.push(`${this.name}_bucket${this.labelText(s.labels, ['le', '+Inf'])} ${s.count}`);
      out.push(`${this.name}_count${this.labelText(s.labels)} ${s.count}`);
      out.push(`${this.name}_sum${this.labelText(s.labels)} ${formatNumber(s.sum)}`);
    }
    return out;
  }
}

/** One family of a registry snapshot: plain data, safe to send over IPC. */
export interface FamilySnapshot {
  name: string;
  type: MetricType;
  help: string;
  labelNames: string[];
  buckets?: number[];
  series: Array<{ labels: Labels; value?: number; counts?: number[]; sum?: number; count?: number }>;
}

/** How a gauge of several processes becomes one: summed, or the least or greatest value. */
export type GaugeMerge = 'sum' | 'min' | 'max';

export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export class MetricsRegistry {
  private readonly families = new Map<string, Counter | Gauge | Histogram>();
  private readonly collectors = new Set<() => void | Promise<void>>();

  private add<F extends Counter | Gauge | Histogram>(name: string, type: MetricType, make: () => F): F {
    const existing = this.families.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`metric ${name} is already registered as a ${existing.type}`);
      return existing as F;
    }
    const f = make();
    this.families.set(name, f);
    return f;
  }

  /** A counter family (the name without _total). Registering the same name again returns it. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(name, 'counter', () => new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(name, 'gauge', () => new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(name, 'histogram', () => new Histogram(name, help, labelNames, buckets));
  }

  /** Runs `fn` before each render (to refresh gauges); returns a function that removes it. */
  onCollect(fn: () => void | Promise<void>): () => void {
    this.collectors.add(fn);
    return () => this.collectors.delete(fn);
  }

  private async collect(): Promise<void> {
    for (const c of this.collectors) {
      try {
        await c();
      } catch {
        // a collector that cannot read its source leaves its gauges as they were
      }
    }
  }

  /** Every family and series as plain data, after the collectors ran. */
  async snapshot(): Promise<FamilySnapshot[]> {
    await this.collect();
    return [...this.families.values()].map((f) => ({
      name: f.name, type: f.type, help: f.help, labelNames: [...f.labelNames],
      ...(f instanceof Histogram ? { buckets: [...f.buckets] } : {}),
      series: f.seriesSnapshot(),
    }));
  }

  /**
   * One registry from the snapshots of several processes: counters and histograms summed,
   * gauges summed unless `gaugeMerge` names another rule for the family.
   */
  static merged(snapshots: FamilySnapshot[][], gaugeMerge: Readonly<Record<string, GaugeMerge>> = {}): MetricsRegistry {
    const out = new MetricsRegistry();
    const seen = new Map<string, Set<string>>(); // gauge family -> series keys set once
    for (const snap of snapshots) {
      for (const f of snap) {
        try {
          if (f.type === 'counter') {
            const c = out.counter(f.name, f.help, f.labelNames);
            for (const s of f.series) c.inc(s.labels, s.value ?? 0);
          } else if (f.type === 'histogram') {
            const h = out.histogram(f.name, f.help, f.labelNames, f.buckets);
            for (const s of f.series) h.addSeries(s.labels, s.counts ?? [], s.sum ?? 0, s.count ?? 0);
          } else {
            const g = out.gauge(f.name, f.help, f.labelNames);
            const rule = gaugeMerge[f.name] ?? 'sum';
            const keys = seen.get(f.name) ?? new Set<string>();
            seen.set(f.name, keys);
            for (const s of f.series) {
              const v = s.value ?? 0;
              const key = JSON.stringify(f.labelNames.map((l) => s.labels[l] ?? ''));
              if (!keys.has(key)) g.set(s.labels, v);
              else if (rule === 'sum') g.inc(s.labels, v);
              else g.set(s.labels, rule === 'min' ? Math.min(g.get(s.labels), v) : Math.max(g.get(s.labels), v));
              keys.add(key);
            }
          }
        } catch {
          // a family whose shape differs between processes (mid-upgrade): the first one wins
        }
      }
    }
    return out;
  }

  /** The OpenMetrics text exposition, ending with "# EOF". A failing collector is skipped. */
  async render(): Promise<string> {
    await this.collect();
    const blocks = [...this.families.values()].map((f) => f.render());
    return [...blocks, '# EOF'].join('\n') + '\n';
  }
}
