/**
 * `npm run bench -- [--vs dovecot] [--quick] [--workers N] [--out DIR] [--cpu-prof DIR] [--only a,b]`
 *
 * Loads one fixed-seed data set into Portcullis (and Dovecot with --vs dovecot), starts both on
 * loopback, runs every workload against each in turn (alternating which goes first), repeated,
 * and writes bench/results/latest.{json,md,svg} (or DIR). --quick is a ~30 s smoke run.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, rmSync, mkdtempSync, existsSync } from 'node:fs';
import { cpus, totalmem, release, platform, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { DatasetSpec } from './loadgen/dataset.js';
import * as W from './loadgen/workloads.js';
import { finishEntry, median, writeReport, type Entry, type Report } from './report.js';
import { REPO, cpuSeconds, dovecotVersion, loadDovecot, loadPortcullis, pssKiB, startDovecot, startPortcullis, type Target } from './targets.js';
import { PASSWORD } from './loadgen/dataset.js';

const { values } = parseArgs({
  options: {
    vs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    workers: { type: 'string' },
    out: { type: 'string' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    rounds: { type: 'string' },
    scaling: { type: 'boolean', default: false },
  },
});
const quick = values.quick === true;
const vsDovecot = values.vs === 'dovecot';
if (values.vs !== undefined && !vsDovecot) {
  process.stderr.write(`bench: --vs ${values.vs} is not supported (allowed: dovecot)\n`);
  process.exit(2);
}
const workers = values.workers ? Number(values.workers) : availableParallelism();
const outDir = values.out ?? join(REPO, 'bench', 'results');
const only = values.only ? new Set(values.only.split(',')) : null;
const want = (name: string): boolean => !only || only.has(name) || [...only].some((o) => name.startsWith(o));

const spec: DatasetSpec = quick
  ? { users: 20, messagesPerUser: 30, popUsers: 2, popMessages: 20, bigMessages: 2000, idleUsers: 2 }
  : { users: 200, messagesPerUser: 40, popUsers: 8, popMessages: 60, bigMessages: 100_000, idleUsers: 10 };
const ms = quick ? 1500 : 8000;
const rounds = values.rounds ? Number(values.rounds) : quick ? 1 : 3;
const mixedClients = quick ? [10] : [10, 50, 200];
const idle = quick ? { portcullis: 200, dovecot: 200 } : { portcullis: 10_000, dovecot: 1000 };

function log(s: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
}

function wt(t: Target): W.WorkloadTarget {
  return { imaps: t.imaps, pop3s: t.pop3s, lmtp: t.lmtp, memoryKiB: () => pssKiB(t.pids()), cpuSeconds: () => cpuSeconds(t.pids()) };
}

async function main(): Promise<void> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : undefined;
  const root = mkdtempSync(join(base ?? (process.env.TMPDIR || '/tmp'), 'portcullis-bench-'));
  chmodSync(root, 0o755); // Dovecot's unprivileged processes must reach their files below it
  const dataFs = base ? 'tmpfs (/dev/shm): fsync is free for both servers; this measures CPU, not disks' : 'the temp dir\'s file system';
  const targets: Target[] = [];
  const cleanup = async (): Promise<void> => {
    for (const t of targets) await t.stop().catch(() => undefined);
    if (process.env.BENCH_KEEP) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
  process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const pDir = join(root, 'portcullis');
    log(`loading the data set into Portcullis (${JSON.stringify(spec)})`);
    const loadP = await loadPortcullis(pDir, spec, PASSWORD);
    log(`  ${(loadP / 1000).toFixed(1)} s`);
    let dovecot: Target | null = null;
    const dv = vsDovecot ? dovecotVersion() : null;
    if (vsDovecot && !dv) throw new Error('dovecot is not installed: apt-get install -y dovecot-imapd dovecot-pop3d dovecot-lmtpd');
    if (vsDovecot) {
      const dDir = join(root, 'dovecot');
      log('writing the same data set as Maildir for Dovecot');
      const loadD = await loadDovecot(dDir, pDir, spec, PASSWORD);
      log(`  ${(loadD / 1000).toFixed(1)} s`);
      dovecot = await startDovecot(dDir);
      targets.push(dovecot);
    }
    const portcullis = await startPortcullis(pDir, workers, { cpuProf: values['cpu-prof'] });
    targets.push(portcullis);
    const both: Target[] = dovecot ? [portcullis, dovecot] : [portcullis];
    const runs = new Map<string, { metric: string; unit: string; higherIsBetter: boolean; p: number[]; d: number[]; detail: Record<string, unknown[]> }>();
    const record = (name: string, metric: string, t: Target, r: W.WorkloadResult): void => {
      let e = runs.get(name);
      if (!e) runs.set(name, (e = { metric, unit: r.unit, higherIsBetter: r.higherIsBetter, p: [], d: [], detail: { portcullis: [], dovecot: [] } }));
      (t.name === 'portcullis' ? e.p : e.d).push(r.value);
      e.detail[t.name].push(r.detail);
      log(`  ${name} ${t.name}: ${r.value} ${r.unit}`);
    };

    // Warm-up: every user's INBOX once on both (Dovecot builds its index files here; Portcullis
    // has its metadata from ingest), so no round pays a first-open cost.
    log('warm-up');
    for (const t of both) await W.bigMailboxWorkload(wt(t), spec, { repeats: 1 });
    for (const t of both) await W.imapMixedWorkload(wt(t), spec, { clients: Math.min(spec.users, 50), ms: 500, seed: 1 });

    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? both : [...both].reverse();
      log(`round ${round + 1}/${rounds} (${order.map((t) => t.name).join(' then ')})`);
      for (const t of order) {
        if (want('login')) record('login', 'logins/s', t, await W.loginWorkload(wt(t), spec, { clients: 16, ms, seed: 11 + round }));
      }
      for (const n of mixedClients) {
        for (const t of order) if (want('imap-mixed')) record(`imap-mixed-${n}`, 'commands/s', t, await W.imapMixedWorkload(wt(t), spec, { clients: n, ms, seed: 21 + round }));
      }
      for (const t of order) {
        if (!want('big-mailbox')) break;
        const res = await W.bigMailboxWorkload(wt(t), spec, { repeats: quick ? 1 : 2 });
        for (const [op, r] of Object.entries(res)) record(`big-mailbox ${op}`, op, t, r);
      }
      for (const t of order) if (want('pop3-download')) record('pop3-download', 'MB/s', t, await W.pop3Workload(wt(t), spec, { clients: spec.popUsers, ms }));
      for (const t of order) if (want('deliver')) record('deliver', 'messages/s', t, await W.deliverWorkload(wt(t), spec, { clients: 8, ms, seed: 31 + round }));
    }
    if (want('idle-memory')) {
      log('idle-memory');
      for (const t of both) record('idle-memory', 'KiB/connection', t, await W.idleMemoryWorkload(wt(t), spec, { connections: idle[t.name], perUser: 1000 }));
    }

    // Issue 11 item 1: Portcullis throughput on 2 cores vs 1 (taskset), login and imap-mixed-50.
    // The whole test is confined to the cores measured: the server (taskset at start) and this
    // load generator (its own affinity changed with taskset -a -p), so that on 1 core the client
    // does not get a free core of its own that it has to share on 2.
    const scaling: Record<string, unknown> = {};
    if (values.scaling) {
      await portcullis.stop();
      targets.splice(targets.indexOf(portcullis), 1);
      const all = Array.from({ length: availableParallelism() }, (_, i) => i).join(',');
      for (const [label, w, cpus] of [['1 core', 1, '0'], [`${workers} cores`, workers, all]] as const) {
        pinSelf(cpus);
        const p = await startPortcullis(pDir, w, { taskset: cpus });
        targets.push(p);
        await W.loginWorkload(wt(p), spec, { clients: 16, ms: ms / 4, seed: 90 }); // warm-up
        const l = await W.loginWorkload(wt(p), spec, { clients: 16, ms, seed: 91 });
        await W.imapMixedWorkload(wt(p), spec, { clients: 50, ms: ms / 4, seed: 93 }); // warm-up
        const m = await W.imapMixedWorkload(wt(p), spec, { clients: 50, ms, seed: 92 });
        scaling[label] = { workers: w, taskset: cpus, loginsPerSecond: l.value, imapMixed50CommandsPerSecond: m.value };
        log(`  scaling ${label}: ${l.value} logins/s, ${m.value} commands/s`);
        await p.stop();
        targets.splice(targets.indexOf(p), 1);
      }
      pinSelf(all);
      const [one, many] = Object.values(scaling) as Array<{ loginsPerSecond: number; imapMixed50CommandsPerSecond: number }>;
      scaling.ratio = { login: round2(many!.loginsPerSecond / one!.loginsPerSecond), imapMixed50: round2(many!.imapMixed50CommandsPerSecond / one!.imapMixed50CommandsPerSecond) };
      log(`  scaling ratio: ${JSON.stringify(scaling.ratio)} (target ≥ 1.8)`);
    }

    const entries: Entry[] = [...runs.entries()].map(([name, e]) => {
      const entry = finishEntry({ name, metric: e.metric, unit: e.unit, higherIsBetter: e.higherIsBetter, runs: { portcullis: e.p, dovecot: e.d } });
      return withTarget(withNote(entry, e.detail));
    });
    const rep: Report = {
      generatedAt: new Date().toISOString(),
      mode: quick ? 'quick' : 'full',
      machine: {
        cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGiB: Math.round(totalmem() / 2 ** 30),
        os: `${platform()} ${release()}`, node: process.version, dovecot: dv ? `Dovecot ${dv}` : null, dataFs, workers,
        dovecotMode: 'Debian package, high-performance login mode (service_count=0, process_min_avail=cores), Maildir, same argon2id hashes and certificate',
      },
      dataset: { ...spec, loadSeconds: Math.round(loadP / 100) / 10 },
      entries,
      extra: { scaling, details: Object.fromEntries([...runs.entries()].map(([k, v]) => [k, v.detail])) },
    };
    writeReport(outDir, rep, quick ? 'quick' : 'latest');
    log(`results in ${outDir}`);
    process.stdout.write(entries.map((e) => `${e.name.padEnd(24)} ${String(e.portcullis).padStart(10)} ${String(e.dovecot ?? '–').padStart(10)} ${e.unit.padEnd(15)} ratio ${e.ratio ?? '–'}`).join('\n') + '\n');
  } finally {
    await cleanup();
  }
}

/** The median of a detail field over the runs of one server (null when absent). */
function medianOf(details: unknown[] | undefined, pick: (d: Record<string, unknown>) => unknown): number | null {
  return median((details ?? []).map((d) => pick(d as Record<string, unknown>)).filter((x): x is number => typeof x === 'number'));
}

/** What the table alone would not say: p99 latencies of imap-mixed, idle-memory's average. */
function withNote(e: Entry, detail: Record<string, unknown[]>): Entry {
  if (e.name.startsWith('imap-mixed')) {
    const p99 = (t: string): number | null => medianOf(detail[t], (d) => (d.latency as { p99?: number } | undefined)?.p99);
    const [p, d] = [p99('portcullis'), p99('dovecot')];
    return { ...e, p99: { portcullis: p, dovecot: d }, note: `p99 latency ${p ?? '–'} ms (Dovecot ${d ?? '–'} ms), medians over the runs` };
  }
  if (e.name === 'idle-memory') {
    const avg = (t: string): number | null => medianOf(detail[t], (d) => d.averageKiBPerConnection);
    return { ...e, note: `the value is the slope between N/5 and N connections (what each further connection costs); the average from the idle server is ${avg('portcullis') ?? '–'} KiB (Dovecot ${avg('dovecot') ?? '–'} KiB)` };
  }
  return e;
}

/** Issue 11's targets. */
function withTarget(e: Entry): Entry {
  const targets: Record<string, [string, (e: Entry) => boolean | null]> = {
    login: ['≥ 1.0×', (x) => (x.ratio === null ? null : x.ratio >= 1)],
    'imap-mixed-50': ['≥ 1.0× cmd/s, p99 ≤ Dovecot', (x) => (x.ratio === null || !x.p99 || x.p99.portcullis === null || x.p99.dovecot === null ? null : x.ratio >= 1 && x.p99.portcullis <= x.p99.dovecot)],
    'pop3-download': ['≥ 1.0×', (x) => (x.ratio === null ? null : x.ratio >= 1)],
    deliver: ['≥ 1.0×', (x) => (x.ratio === null ? null : x.ratio >= 1)],
    'idle-memory': ['≤ 20 KiB/conn', (x) => (x.portcullis === null ? null : x.portcullis <= 20)],
  };
  if (e.name.startsWith('big-mailbox')) return { ...e, target: '≤ Dovecot time', met: e.ratio === null ? null : e.ratio <= 1 };
  const t = targets[e.name];
  return t ? { ...e, target: t[0], met: t[1](e) } : e;
}

main().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

/** Moves this process (every thread) to the given CPUs; the load generator runs where the server does. */
function pinSelf(cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -a -p -c ${cpus} failed: ${r.stderr || r.error?.message}`);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
