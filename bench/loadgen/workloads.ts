/**
 * The workloads of issue 11, each fixed-seed and fixed-duration (or fixed-count) against a
 * target's endpoints. Every workload returns its headline metric plus detail.
 */
import { BIG_USER, PASSWORD, RARE_SENDER, RARE_WORD, idleName, makeMessage, popName, userName, type DatasetSpec } from './dataset.js';
import { ImapClient, appendUid, quote, searchUids } from './imap.js';
import { LmtpClient, Pop3Client } from './pop3-lmtp.js';
import { CpuMeter, Latencies, pick, rng, round, weighted } from './stats.js';
import type { Endpoint } from './wire.js';

export interface WorkloadTarget {
  imaps: Endpoint;
  pop3s: Endpoint;
  lmtp: Endpoint;
  /** Server memory (KiB, PSS of all its processes) and CPU seconds so far. */
  memoryKiB(): number;
  cpuSeconds(): number;
}

export interface WorkloadResult {
  value: number;
  unit: string;
  higherIsBetter: boolean;
  detail: Record<string, unknown>;
}

const login = (user: string): string => `LOGIN ${quote(user)} ${quote(PASSWORD)}`;

/** Runs `clients` loops until `ms` elapses; a failing client reconnects (errors are counted). */
async function forDuration(clients: number, ms: number, loop: (i: number, until: number) => Promise<void>, lat: Latencies): Promise<number> {
  const t = performance.now();
  const until = t + ms;
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    while (performance.now() < until) {
      try {
        await loop(i, until);
      } catch {
        lat.errors++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }));
  return (performance.now() - t) / 1000;
}

function measured<T extends Record<string, unknown>>(t: WorkloadTarget, run: () => Promise<T>): Promise<T & { loadgenCpu: ReturnType<CpuMeter['stop']>; serverCpuSeconds: number }> {
  const cpu = new CpuMeter();
  const s0 = t.cpuSeconds();
  cpu.start();
  return run().then((r) => ({ ...r, loadgenCpu: cpu.stop(), serverCpuSeconds: round(t.cpuSeconds() - s0) }));
}

/** login: implicit TLS connect, LOGIN, LOGOUT; logins per second. */
export async function loginWorkload(t: WorkloadTarget, spec: DatasetSpec, o: { clients: number; ms: number; seed: number }): Promise<WorkloadResult> {
  const lat = new Latencies();
  const r = rng(o.seed);
  const d = await measured(t, async () => {
    const secs = await forDuration(o.clients, o.ms, async () => {
      const user = userName(Math.floor(r() * spec.users));
      const start = performance.now();
      const c = await ImapClient.connect(t.imaps);
      try {
        const res = await c.command(login(user));
        if (!res.ok) throw new Error(res.status);
        await c.command('LOGOUT');
      } finally {
        c.destroy();
      }
      lat.add('login', performance.now() - start);
    }, lat);
    return { seconds: round(secs), latency: lat.summary('login'), errors: lat.errors, clients: o.clients };
  });
  return { value: round(lat.count() / d.seconds, 1), unit: 'logins/s', higherIsBetter: true, detail: d };
}

const MIX = { 'fetch-headers': 20, 'fetch-body': 25, store: 20, 'sync-flags': 10, append: 6, expunge: 6, idle: 5, select: 5, noop: 3 } as const;

/** imap-mixed: a mail-client-like mix per logged-in client; commands per second and latency per command. */
export async function imapMixedWorkload(t: WorkloadTarget, spec: DatasetSpec, o: { clients: number; ms: number; seed: number }): Promise<WorkloadResult> {
  const lat = new Latencies();
  const conns = await connectAll(t, o.clients, (i) => userName(i % spec.users));
  const d = await measured(t, async () => {
    const secs = await forDuration(o.clients, o.ms, async (i, until) => {
      if (!conns[i] || conns[i].isClosed) conns[i] = await connectOne(t, userName(i % spec.users));
      const c = conns[i];
      const r = rng(o.seed * 7919 + i + lat.errors);
      let uids = await selectInbox(c, lat);
      let appended = 0;
      while (performance.now() < until) {
        const op = weighted(r, MIX);
        const uid = uids.length ? pick(r, uids) : 1;
        switch (op) {
          case 'fetch-headers': {
            const from = uids.length > 20 ? uids[uids.length - 20] : 1;
            await lat.time(op, () => ok(c.command(`UID FETCH ${from}:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)`)));
            break;
          }
          case 'fetch-body':
            await lat.time(op, () => ok(c.command(`UID FETCH ${uid} (UID BODY.PEEK[])`)));
            break;
          case 'store':
            await lat.time(op, () => ok(c.command(`UID STORE ${uid} ${r() < 0.5 ? '+' : '-'}FLAGS.SILENT (\\Seen \\Flagged)`)));
            break;
          case 'sync-flags':
            await lat.time(op, () => ok(c.command('UID FETCH 1:* (FLAGS)')));
            break;
          case 'append': {
            const msg = makeMessage(77_000 + i, appended++, userName(i % spec.users), 400);
            const res = await lat.time(op, () => ok(c.append('INBOX', '\\Seen', msg)));
            const u = appendUid(res);
            if (u) uids.push(u);
            break;
          }
          case 'expunge': {
            if (uids.length < 20) break;
            const victim = uids[Math.floor(r() * uids.length)];
            await lat.time('store', () => ok(c.command(`UID STORE ${victim} +FLAGS.SILENT (\\Deleted)`)));
            await lat.time(op, () => ok(c.command('EXPUNGE')));
            uids = uids.filter((x) => x !== victim);
            break;
          }
          case 'idle':
            await lat.time(op, () => ok(c.idle(20)));
            break;
          case 'select':
            uids = await selectInbox(c, lat);
            break;
          case 'noop':
            await lat.time(op, () => ok(c.command('NOOP')));
            break;
        }
      }
    }, lat);
    return { seconds: round(secs), clients: o.clients, errors: lat.errors, latency: lat.summary(), perCommand: lat.perName() };
  });
  await Promise.all(conns.map((c) => c.logout()));
  return { value: round(lat.count() / d.seconds, 1), unit: 'commands/s', higherIsBetter: true, detail: d };
}

async function ok<T extends { ok: boolean; status: string }>(p: Promise<T>): Promise<T> {
  const r = await p;
  if (!r.ok) throw new Error(r.status);
  return r;
}

async function selectInbox(c: ImapClient, lat: Latencies): Promise<number[]> {
  await lat.time('select', () => ok(c.command('SELECT INBOX')));
  return searchUids(await lat.time('search-all', () => ok(c.command('UID SEARCH ALL', true))));
}

async function connectOne(t: WorkloadTarget, user: string): Promise<ImapClient> {
  const c = await ImapClient.connect(t.imaps);
  try {
    await ok(c.command(login(user)));
  } catch (err) {
    c.destroy();
    throw err;
  }
  return c;
}

/** Logs in `n` connections, at most 32 at a time. */
async function connectAll(t: WorkloadTarget, n: number, user: (i: number) => string): Promise<ImapClient[]> {
  const out: ImapClient[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(32, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await connectOne(t, user(i));
    }
  }));
  return out;
}

/** big-mailbox: SELECT, UID FETCH 1:* (FLAGS), SEARCH FROM, SEARCH TEXT on the big INBOX; ms each. */
export async function bigMailboxWorkload(t: WorkloadTarget, _spec: DatasetSpec, o: { repeats: number }): Promise<Record<string, WorkloadResult>> {
  const lat = new Latencies();
  const c = await ImapClient.connect(t.imaps);
  await ok(c.command(login(BIG_USER)));
  const counts: Record<string, number> = {};
  const d = await measured(t, async () => {
    for (let k = 0; k < o.repeats; k++) {
      await lat.time('select', () => ok(c.command('SELECT INBOX')));
      await lat.time('fetch-flags', () => ok(c.command('UID FETCH 1:* (FLAGS)')));
      counts.from = searchUids(await lat.time('search-from', () => ok(c.command(`UID SEARCH FROM ${quote(RARE_SENDER)}`, true)))).length;
      counts.text = searchUids(await lat.time('search-text', () => ok(c.command(`UID SEARCH TEXT ${quote(RARE_WORD)}`, true)))).length;
    }
    return { repeats: o.repeats, matches: counts, perCommand: lat.perName() };
  });
  await c.logout();
  const out: Record<string, WorkloadResult> = {};
  for (const op of ['select', 'fetch-flags', 'search-from', 'search-text']) {
    out[op] = { value: lat.summary(op).p50, unit: 'ms (median)', higherIsBetter: false, detail: { ...d, op } };
  }
  return out;
}

/** pop3-download: USER/PASS, STAT, RETR every message, QUIT over implicit TLS; MB/s. */
export async function pop3Workload(t: WorkloadTarget, spec: DatasetSpec, o: { clients: number; ms: number }): Promise<WorkloadResult> {
  const lat = new Latencies();
  let bytes = 0;
  const d = await measured(t, async () => {
    const secs = await forDuration(Math.min(o.clients, spec.popUsers), o.ms, async (i) => {
      const start = performance.now();
      const c = await Pop3Client.connect(t.pop3s);
      try {
        await c.command(`USER ${popName(i)}`);
        await c.command(`PASS ${PASSWORD}`);
        const stat = await c.command('STAT');
        const n = Number(stat.split(' ')[1]);
        for (let m = 1; m <= n; m++) bytes += await c.multiline(`RETR ${m}`);
        await c.quit();
      } finally {
        c.destroy();
      }
      lat.add('session', performance.now() - start);
    }, lat);
    return { seconds: round(secs), clients: Math.min(o.clients, spec.popUsers), sessions: lat.count(), errors: lat.errors, bytes, latency: lat.summary('session') };
  });
  return { value: round(bytes / 1e6 / d.seconds, 2), unit: 'MB/s', higherIsBetter: true, detail: d };
}

/** deliver: LMTP, one recipient per message, spread over the users' INBOXes; messages per second. */
export async function deliverWorkload(t: WorkloadTarget, spec: DatasetSpec, o: { clients: number; ms: number; seed: number }): Promise<WorkloadResult> {
  const lat = new Latencies();
  const d = await measured(t, async () => {
    const secs = await forDuration(o.clients, o.ms, async (i, until) => {
      const r = rng(o.seed * 31 + i);
      const c = await LmtpClient.connect(t.lmtp);
      let n = 0;
      while (performance.now() < until) {
        const to = userName(Math.floor(r() * spec.users));
        const msg = makeMessage(88_000 + i, n++, to, 400);
        const replies = await lat.time('deliver', () => c.deliver('sender@example.net', [to], msg));
        if (!replies.every((x) => x.startsWith('250'))) throw new Error(`LMTP: ${replies.join(' | ')}`);
      }
      await c.quit();
    }, lat);
    return { seconds: round(secs), clients: o.clients, errors: lat.errors, latency: lat.summary('deliver') };
  });
  return { value: round(lat.count() / d.seconds, 1), unit: 'messages/s', higherIsBetter: true, detail: d };
}

/**
 * idle-memory: N logged-in IMAP connections in IDLE; server memory per connection, as the slope
 * between N/5 and N connections: (PSS at N − PSS at N/5) / (0.8 N), what each further connection
 * costs. The average from the idle server, (PSS at N − PSS before) / N, is in the detail too: it
 * also counts memory the login burst grows once (heap headroom, caches), which may be more or
 * less than the slope (measured: 17.8 average against 21.4 slope KiB in one run). The value is
 * the slope, the stricter of the two in that run.
 */
export async function idleMemoryWorkload(t: WorkloadTarget, spec: DatasetSpec, o: { connections: number; perUser: number }): Promise<WorkloadResult> {
  const before = t.memoryKiB();
  const conns: ImapClient[] = [];
  const users = Math.max(1, Math.min(spec.idleUsers, Math.ceil(o.connections / o.perUser)));
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const openUpTo = (n: number): Promise<unknown> => Promise.all(Array.from({ length: 50 }, async () => {
    while (next < n) {
      const i = next++;
      try {
        const c = await ImapClient.connect(t.imaps);
        await ok(c.command(login(idleName(i % users))));
        await ok(c.command('SELECT INBOX'));
        c.command('IDLE').catch(() => undefined); // stays in IDLE until we close
        conns.push(c);
      } catch {
        errors++;
      }
    }
  }));
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 2000)); // timers, GC
  const first = Math.max(1, Math.floor(o.connections / 5));
  await openUpTo(first);
  await settle();
  const atFirst = t.memoryKiB();
  const countAtFirst = conns.length;
  await openUpTo(o.connections);
  const setupSeconds = (performance.now() - started) / 1000;
  await settle();
  const after = t.memoryKiB();
  for (const c of conns) c.destroy();
  const added = conns.length - countAtFirst;
  const slope = added > 0 ? (after - atFirst) / added : NaN;
  const average = conns.length ? (after - before) / conns.length : NaN;
  return {
    value: round(slope, 1),
    unit: 'KiB/connection',
    higherIsBetter: false,
    detail: {
      connections: conns.length, errors, beforeKiB: before, atFifthKiB: atFirst, connectionsAtFifth: countAtFirst, afterKiB: after,
      averageKiBPerConnection: round(average, 1), setupSeconds: round(setupSeconds), usersSharing: users,
    },
  };
}
