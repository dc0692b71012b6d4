/**
 * Benchmark results: latest.json (one entry per workload), a Markdown table and an SVG chart
 * drawn here (no packages). Ratios are Portcullis / Dovecot; the chart shows the advantage
 * (how many times better Portcullis is, whichever direction is better) on a log scale.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Entry {
  name: string;
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  /** Median over the repeated runs (null when that server was not measured). */
  portcullis: number | null;
  dovecot: number | null;
  /** portcullis / dovecot of the medians. */
  ratio: number | null;
  /** Every run's value, in order, and the min–max of the per-round ratios. */
  runs: { portcullis: number[]; dovecot: number[] };
  ratioSpread: [number, number] | null;
  target?: string;
  met?: boolean | null;
  note?: string;
  /** imap-mixed: p99 latency (ms), medians over the runs. */
  p99?: { portcullis: number | null; dovecot: number | null };
}

export interface Report {
  generatedAt: string;
  mode: 'full' | 'quick';
  machine: Record<string, unknown>;
  dataset: Record<string, unknown>;
  entries: Entry[];
  extra: Record<string, unknown>;
}

export function median(xs: number[]): number | null {
  const a = xs.filter((x) => Number.isFinite(x)).sort((x, y) => x - y);
  if (!a.length) return null;
  const m = Math.floor(a.length / 2);
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Fills median, ratio and spread from the runs. */
export function finishEntry(e: Omit<Entry, 'portcullis' | 'dovecot' | 'ratio' | 'ratioSpread'>): Entry {
  const p = median(e.runs.portcullis);
  const d = median(e.runs.dovecot);
  const ratio = p !== null && d !== null && d !== 0 ? r3(p / d) : null;
  const pairs: number[] = [];
  for (let i = 0; i < Math.min(e.runs.portcullis.length, e.runs.dovecot.length); i++) {
    if (e.runs.dovecot[i]) pairs.push(e.runs.portcullis[i] / e.runs.dovecot[i]);
  }
  const ratioSpread: [number, number] | null = pairs.length ? [r3(Math.min(...pairs)), r3(Math.max(...pairs))] : null;
  return { ...e, portcullis: p, dovecot: d, ratio, ratioSpread };
}

/** How many times better Portcullis is (>1 better, <1 worse), whichever direction is better. */
export function advantage(e: Entry): number | null {
  if (e.ratio === null || e.ratio <= 0) return null;
  return e.higherIsBetter ? e.ratio : 1 / e.ratio;
}

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

export function markdown(rep: Report): string {
  const m = rep.machine;
  const lines = [
    `# Portcullis vs Dovecot — ${rep.mode} run, ${rep.generatedAt}`,
    '',
    `Machine: ${m.cpu} × ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}; Node.js ${m.node}; ${m.dovecot ?? 'Dovecot not run'}; data on ${m.dataFs}.`,
    `Portcullis: \`serve --workers ${m.workers}\`; Dovecot: ${m.dovecotMode}. Load generator in the same machine (its CPU use is in latest.json).`,
    '',
    '| workload | metric | Portcullis | Dovecot | ratio P/D | spread | better | target | met |',
    '|---|---|---:|---:|---:|---|---|---|---|',
  ];
  for (const e of rep.entries) {
    const spread = e.ratioSpread ? `${fmt(e.ratioSpread[0])}–${fmt(e.ratioSpread[1])}` : '–';
    lines.push(`| ${e.name} | ${e.metric} (${e.unit}) | ${fmt(e.portcullis)} | ${fmt(e.dovecot)} | ${fmt(e.ratio)} | ${spread} | ${e.higherIsBetter ? 'higher' : 'lower'} | ${e.target ?? ''} | ${e.met === undefined || e.met === null ? '' : e.met ? 'yes' : '**no**'} |`);
  }
  const notes = rep.entries.filter((e) => e.note);
  if (notes.length) {
    lines.push('', '## Notes', '');
    for (const e of notes) lines.push(`- **${e.name}**: ${e.note}`);
  }
  const scaling = (rep.extra as { scaling?: Record<string, { workers?: number; taskset?: string; loginsPerSecond?: number; imapMixed50CommandsPerSecond?: number; login?: number; imapMixed50?: number }> } | undefined)?.scaling;
  if (scaling && Object.keys(scaling).length) {
    lines.push('', '## Scaling: Portcullis on 1 core and on every core (`--scaling`)', '',
      'Server and load generator confined to the cores measured (taskset), one worker per core.', '',
      '| cores | workers | logins/s | imap-mixed-50 commands/s |', '|---|---:|---:|---:|');
    for (const [label, v] of Object.entries(scaling)) {
      if (label === 'ratio') continue;
      lines.push(`| ${label} (${v.taskset ?? ''}) | ${v.workers ?? ''} | ${fmt(v.loginsPerSecond ?? null)} | ${fmt(v.imapMixed50CommandsPerSecond ?? null)} |`);
    }
    if (scaling.ratio) lines.push(`| **ratio** (target ≥ 1.8) | | ${fmt(scaling.ratio.login ?? null)} | ${fmt(scaling.ratio.imapMixed50 ?? null)} |`);
  }
  lines.push('', `![chart](${rep.mode === 'quick' ? 'quick' : 'latest'}.svg)`, '', 'Profiles, fixes and what would close each miss: [profile.md](profile.md).', '');
  return lines.join('\n');
}

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** Horizontal bars of the advantage on a log2 scale around 1×. */
export function svg(rep: Report): string {
  const rows = rep.entries.filter((e) => advantage(e) !== null);
  const W = 860;
  const left = 250;
  const right = 120;
  const rowH = 26;
  const top = 60;
  const H = top + rows.length * rowH + 50;
  const span = Math.max(2, ...rows.map((e) => Math.ceil(Math.abs(Math.log2(advantage(e)!)))));
  const plotW = W - left - right;
  const x = (adv: number): number => left + plotW / 2 + (Math.log2(adv) / span) * (plotW / 2);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Portcullis vs Dovecot (${esc(String(rep.machine.dovecot ?? ''))}) — times better, log scale</text>`);
  out.push(`<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">${esc(`${rep.machine.cpu} × ${rep.machine.cores}, ${rep.mode} run, ${rep.generatedAt.slice(0, 16)}Z; right of 1× = Portcullis better`)}</text>`);
  for (let k = -span; k <= span; k++) {
    const gx = x(2 ** k);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${top + rows.length * rowH}" stroke="${k === 0 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${gx}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${k >= 0 ? 2 ** k : '1/' + 2 ** -k}×</text>`);
  }
  rows.forEach((e, i) => {
    const adv = advantage(e)!;
    const y = top + i * rowH;
    const x0 = x(1);
    const x1 = x(adv);
    const color = adv >= 1 ? '#2a7f3f' : '#c0392b';
    out.push(`<text x="${left - 8}" y="${y + 17}" text-anchor="end">${esc(`${e.name} · ${e.metric}`)}</text>`);
    out.push(`<rect x="${Math.min(x0, x1)}" y="${y + 5}" width="${Math.max(1, Math.abs(x1 - x0))}" height="${rowH - 10}" fill="${color}"/>`);
    if (e.ratioSpread) {
      const s = e.ratioSpread.map((r) => (e.higherIsBetter ? r : 1 / r)).map((a) => x(Math.max(a, 2 ** -span)));
      out.push(`<line x1="${Math.min(...s)}" y1="${y + rowH / 2}" x2="${Math.max(...s)}" y2="${y + rowH / 2}" stroke="#000" stroke-width="1.5"/>`);
    }
    out.push(`<text x="${W - right + 8}" y="${y + 17}">${fmt(adv)}× ${adv >= 1 ? 'better' : 'worse'}</text>`);
  });
  out.push(`<text x="${W / 2}" y="${H - 8}" text-anchor="middle" fill="#555">bar: median run; black line: spread of per-round ratios</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export function writeReport(dir: string, rep: Report, prefix = 'latest'): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${prefix}.json`), JSON.stringify(rep, null, 2) + '\n');
  writeFileSync(join(dir, `${prefix}.md`), markdown(rep));
  writeFileSync(join(dir, `${prefix}.svg`), svg(rep));
}
