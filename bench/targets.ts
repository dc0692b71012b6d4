/**
 * The servers under test: Portcullis (its own CLI, `serve --workers N`, on a data dir loaded
 * through its store) and Dovecot (bench/dovecot/setup.sh, Maildir with the same messages, the
 * same certificate and the same argon2id password hashes). Both listen on 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashPassword } from '../src/auth/passwords.js';
import { parseForStore } from '../src/mailbox/service.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { allUsers, mailboxes, writeMaildir, type DatasetSpec } from './loadgen/dataset.js';
import type { Endpoint } from './loadgen/wire.js';

export type TargetName = 'portcullis' | 'dovecot';

export interface Target {
  name: TargetName;
  imaps: Endpoint;
  pop3s: Endpoint;
  lmtp: Endpoint;
  /** Every process of the server (for memory and CPU accounting). */
  pids(): number[];
  stop(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The compiled CLI next to this compiled file (dist/bench → dist/src/admin/cli/main.js). */
const CLI = join(here, '..', 'src', 'admin', 'cli', 'main.js');
/** The repository root (dist/bench → ../..). */
export const REPO = join(here, '..', '..');

function cli(dataDir: string, args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...args], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`portcullis ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

let sharedHash: Promise<string> | null = null;
/** One argon2id hash (the server's own parameters) used for every user of both servers. */
export function passwordHash(password: string): Promise<string> {
  return (sharedHash ??= hashPassword(password));
}

/** init + settings + users and messages through the store; returns the time the load took. */
export async function loadPortcullis(dataDir: string, spec: DatasetSpec, password: string): Promise<number> {
  const t = performance.now();
  cli(dataDir, ['init', '--hostname', 'localhost']);
  for (const s of ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'lmtp']) cli(dataDir, ['service', 'enable', s]);
  const limits = ['--max-connections', '20000', '--max-connection-from-single-ip', '20000', '--max-connections-per-user', '20000'];
  cli(dataDir, ['imap', 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0', '--login-type', 'SecureLogin', ...limits]);
  cli(dataDir, ['pop', 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0', ...limits]);
  cli(dataDir, ['lmtp', 'set', '--bindings', '127.0.0.1:0', '--max-connections', '1000']);
  const hash = await passwordHash(password);
  const store = await openSqliteStore(dataDir);
  try {
    const ids = new Map<string, number>();
    for (const u of allUsers(spec)) ids.set(u, (await store.createAccount(u, hash)).id);
    for (const mb of mailboxes(spec)) {
      const inbox = await store.getMailbox(ids.get(mb.user)!, 'INBOX');
      if (!inbox) throw new Error(`no INBOX for ${mb.user}`);
      for (const m of mb.messages()) await store.append(inbox.id, { raw: m.raw, parsed: parseForStore(m.raw), flags: m.seen ? ['\\Seen'] : [] });
    }
  } finally {
    await store.close();
  }
  return performance.now() - t;
}

const LISTEN = /^(imap4|pop3|lmtp) listening on ([^ ]+):(\d+) \((implicit TLS|STARTTLS|LMTP)\)$/;

export async function startPortcullis(dataDir: string, workers: number, opts: { cpuProf?: string; taskset?: string } = {}): Promise<Target> {
  const nodeArgs = opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf] : [];
  const argv = [...nodeArgs, CLI, '--data-dir', dataDir, 'serve', '--workers', String(workers)];
  const proc: ChildProcess = opts.taskset
    ? spawn('taskset', ['-c', opts.taskset, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'warn' } })
    : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORTCULLIS_LOG_LEVEL: 'warn' } });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 100_000) err = err.slice(-50_000);
  });
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^ready\b/m.test(out)) resolve();
    });
    proc.on('exit', (code) => reject(new Error(`portcullis exited (${code}) before ready:\n${out}\n${err.slice(-3000)}`)));
  });
  const ports: Record<string, number> = {};
  for (const line of out.split('\n')) {
    const m = LISTEN.exec(line.trim());
    if (m && (m[4] !== 'STARTTLS')) ports[m[1]] = Number(m[3]);
  }
  const ep = (port: number, tls: boolean): Endpoint => ({ host: '127.0.0.1', port, tls });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return {
    name: 'portcullis',
    imaps: ep(ports.imap4, true),
    pop3s: ep(ports.pop3, true),
    lmtp: ep(ports.lmtp, false),
    pids: () => [proc.pid!, ...descendants(proc.pid!)],
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Writes users, Maildirs and the certificate Portcullis serves into DIR for setup.sh. */
export async function loadDovecot(dir: string, portcullisDataDir: string, spec: DatasetSpec, password: string): Promise<number> {
  const t = performance.now();
  mkdirSync(join(dir, 'home'), { recursive: true });
  const cert = JSON.parse(readFileSync(join(portcullisDataDir, 'certs', 'localhost.json'), 'utf8')) as { certPem: string; keyPem: string };
  writeFileSync(join(dir, 'cert.pem'), cert.certPem);
  writeFileSync(join(dir, 'key.pem'), cert.keyPem, { mode: 0o600 });
  // The stored value may carry more than one scheme ("{ARGON2ID}… {SCRAM-SHA-256}…"): Dovecot gets the argon2id one.
  const hash = (await passwordHash(password)).split(' ')[0].replace(/^\{ARGON2ID\}/, '');
  writeFileSync(join(dir, 'users'), allUsers(spec).map((u) => `${u}:{ARGON2ID}${hash}::::::\n`).join(''));
  for (const mb of mailboxes(spec)) writeMaildir(join(dir, 'home', mb.user), mb);
  return performance.now() - t;
}

/** A free loopback port (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startDovecot(dir: string): Promise<Target> {
  const [imaps, pop3s, lmtp] = [await freePort(), await freePort(), await freePort()];
  const script = join(REPO, 'bench', 'dovecot', 'setup.sh');
  const r = spawnSync('bash', [script, 'start', dir, String(imaps), String(pop3s), String(lmtp)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dovecot setup failed (${r.status}): ${r.stderr}${r.stdout}`);
  const master = Number(readFileSync(join(dir, 'run', 'master.pid'), 'utf8').trim());
  const ep = (port: number, tls: boolean): Endpoint => ({ host: '127.0.0.1', port, tls });
  return {
    name: 'dovecot',
    imaps: ep(imaps, true),
    pop3s: ep(pop3s, true),
    lmtp: ep(lmtp, false),
    pids: () => [master, ...descendants(master)],
    async stop() {
      spawnSync('bash', [script, 'stop', dir]);
      for (let i = 0; i < 100 && alive(master); i++) await new Promise((res) => setTimeout(res, 100));
    },
  };
}

export function dovecotVersion(): string | null {
  const r = spawnSync('dovecot', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every descendant of a process, from /proc. */
export function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      /* gone */
    }
  }
  const out: number[] = [];
  const frontier = [root];
  while (frontier.length) {
    const p = frontier.pop()!;
    for (const [pid, pp] of parent) if (pp === p) {
      out.push(pid);
      frontier.push(pid);
    }
  }
  return out;
}

/** Proportional set size (KiB) of the processes: shared pages split between their users. */
export function pssKiB(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (m) total += Number(m[1]);
    } catch {
      /* exited */
    }
  }
  return total;
}

/** CPU seconds (user + system) used so far by the processes. */
export function cpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      /* exited */
    }
  }
  return ticks / 100;
}
