/**
 * Summarises V8 .cpuprofile files (from `npm run bench -- --cpu-prof DIR`): self time per
 * function and per source file, heaviest first, without any package.
 *   node dist/bench/profile-summary.js DIR|FILE... [--top N]
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: Node[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface Row {
  name: string;
  ms: number;
  share: number;
}

export function summarise(profiles: Profile[], top = 25): { totalMs: number; functions: Row[]; files: Row[] } {
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const p of profiles) {
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const samples = p.samples ?? [];
    const deltas = p.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) {
      const n = byId.get(samples[i]);
      if (!n) continue;
      const us = deltas[i + 1] ?? deltas[i] ?? 0;
      const short = n.callFrame.url.replace(/^file:\/\/.*?\/(dist[^/]*|node_modules)\//, '$1/');
      const key = `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
      fn.set(key, (fn.get(key) ?? 0) + us);
      const f = short || `(${n.callFrame.functionName})`;
      file.set(f, (file.get(f) ?? 0) + us);
      total += us;
    }
  }
  const rows = (m: Map<string, number>): Row[] => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / Math.max(total, 1)) * 1000) / 10 }));
  return { totalMs: Math.round(total / 1000), functions: rows(fn), files: rows(file) };
}

function main(): void {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--top');
  const top = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 25;
  const files = args.flatMap((a) => (statSync(a).isDirectory() ? readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(a, f)) : [a]));
  const s = summarise(files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Profile), top);
  process.stdout.write(`${files.length} profile(s), ${s.totalMs} ms sampled\n\nself time by file:\n`);
  for (const r of s.files) process.stdout.write(`${String(r.share).padStart(5)}%  ${String(r.ms).padStart(8)} ms  ${r.name}\n`);
  process.stdout.write('\nself time by function:\n');
  for (const r of s.functions) process.stdout.write(`${String(r.share).padStart(5)}%  ${String(r.ms).padStart(8)} ms  ${r.name}\n`);
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) main();
