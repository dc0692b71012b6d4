/**
 * A strict reader of the OpenMetrics text format, written from the specification, used by the
 * tests to check what GET /metrics serves (and usable by any tool that wants to read it back).
 * It enforces: the line grammar (metadata, samples, label escaping), metadata before samples,
 * one contiguous block per family, counter samples ending in _total (or _created), histogram
 * buckets with an `le` label, cumulative and ending in +Inf equal to _count, and `# EOF` last.
 * Throws an Error naming the line on the first violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const META = new RegExp(`^# (TYPE|HELP|UNIT) (${NAME})(?: (.*))?$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'stateset', 'info', 'summary', 'unknown']);
const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', '_created'],
  histogram: ['_bucket', '_count', '_sum', '_created'],
  gaugehistogram: ['_gcount', '_gsum', '_bucket'],
  summary: ['_count', '_sum', '_created', ''],
  info: ['_info'],
};

function parseNumber(text: string, where: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`${where}: "${text}" is not a number`);
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at text[0] === '{'; returns the labels and the rest. */
function parseLabels(text: string, where: string): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
  for (;;) {
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!m) throw new Error(`${where}: bad label name`);
    const name = m[0];
    i += name.length;
    if (text.slice(i, i + 2) !== '="') throw new Error(`${where}: expected =" after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        if (n === 'n') value += '\n';
        else if (n === '"' || n === '\\') value += n;
        else throw new Error(`${where}: bad escape \\${n ?? ''}`);
        i += 2;
        continue;
      }
      if (c === '\n') throw new Error(`${where}: line feed in label value`);
      value += c;
      i++;
    }
    i++;
    if (name in labels) throw new Error(`${where}: label ${name} repeated`);
    labels[name] = value;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    throw new Error(`${where}: expected , or } in labels`);
  }
}

function familyOf(sample: string, families: Map<string, MetricFamily>): MetricFamily | undefined {
  for (const [name, f] of families) {
    if (!sample.startsWith(name)) continue;
    const suffix = sample.slice(name.length);
    const allowed = SUFFIXES[f.type] ?? [''];
    if (allowed.includes(suffix)) return f;
  }
  return undefined;
}

function checkHistogram(f: MetricFamily): void {
  const groups = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(s.name === `${f.name}_bucket` && le === undefined ? { ...s, name: 'missing-le' } : s);
  }
  for (const samples of groups.values()) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    if (samples.some((s) => s.name === 'missing-le')) throw new Error(`${f.name}: bucket without le`);
    if (!buckets.length) throw new Error(`${f.name}: histogram series without buckets`);
    let lastLe = -Infinity;
    let lastCount = 0;
    for (const b of buckets) {
      const le = parseNumber(b.labels.le, `${f.name} le`);
      if (!(le > lastLe)) throw new Error(`${f.name}: buckets not in increasing le order`);
      if (b.value < lastCount) throw new Error(`${f.name}: buckets are not cumulative`);
      lastLe = le;
      lastCount = b.value;
    }
    if (lastLe !== Infinity) throw new Error(`${f.name}: last bucket is not le="+Inf"`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    if (count && count.value !== lastCount) throw new Error(`${f.name}: _count differs from the +Inf bucket`);
  }
}

/** Parses an exposition; returns the families by name. */
export function parseOpenMetrics(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  let current: MetricFamily | null = null;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[lines.length - 1] !== '# EOF') throw new Error('the exposition does not end with "# EOF"');
  lines.forEach((line, idx) => {
    const where = `line ${idx + 1}`;
    if (idx === lines.length - 1) return; // # EOF
    if (line === '# EOF') throw new Error(`${where}: # EOF before the end`);
    if (line.startsWith('#')) {
      const m = META.exec(line);
      if (!m) throw new Error(`${where}: not a valid metadata line: ${line}`);
      const [, kind, name, rest = ''] = m;
      let f = families.get(name);
      if (!f) {
        if (current) closed.add(current.name);
        f = { name, type: 'unknown', help: '', samples: [] };
        families.set(name, f);
        current = f;
      } else if (f !== current || f.samples.length) {
        throw new Error(`${where}: metadata for ${name} after its samples or out of its block`);
      }
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        f.type = rest;
      } else if (kind === 'HELP') f.help = rest;
      return;
    }
    const nm = new RegExp(`^(${NAME})`).exec(line);
    if (!nm) throw new Error(`${where}: not a sample: ${line}`);
    const name = nm[1];
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
    const parts = rest.split(' ');
    if (parts[0] !== '' || parts.length < 2 || parts.length > 3) throw new Error(`${where}: expected " value [timestamp]"`);
    const value = parseNumber(parts[1], where);
    const f = familyOf(name, families);
    if (!f) throw new Error(`${where}: sample ${name} has no # TYPE before it (or a suffix its type does not allow)`);
    if (f !== current || closed.has(f.name)) throw new Error(`${where}: samples of ${f.name} are not contiguous`);
    if (f.type === 'counter' && value < 0) throw new Error(`${where}: negative counter`);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The value of one sample, matching the given labels (others ignored); undefined when absent. */
export function sampleValue(families: Map<string, MetricFamily>, sample: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== sample) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return undefined;
}
