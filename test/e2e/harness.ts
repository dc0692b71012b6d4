/**
 * End-to-end harness: a real `portcullis` process on a throwaway data dir, every listener on
 * 127.0.0.1 with a free port chosen by the kernel (port 0; the server prints the real ports).
 * Everything it starts is stopped and removed by `stop()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

/** The CLI entry: bin/portcullis.js (runs dist/), or PORTCULLIS_CLI (a build in another outDir). */
export const CLI = process.env.PORTCULLIS_CLI ?? join(repoRoot(), 'bin', 'portcullis.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI synchronously against a data dir. */
export function cli(dataDir: string, args: string[], input?: string | Buffer): CliResult {
  const r = spawnSync(process.execPath, [CLI, '--data-dir', dataDir, ...args], { input: typeof input === 'string' ? Buffer.from(input) : input, timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

export function cliOk(dataDir: string, args: string[], input?: string | Buffer): string {
  const r = cli(dataDir, args, input);
  if (r.code !== 0) throw new Error(`portcullis ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export interface Ports {
  imap?: number; // STARTTLS / cleartext
  imaps?: number; // implicit TLS
  pop3?: number;
  pop3s?: number;
  submission?: number; // 587-style, STARTTLS
  submissions?: number; // 465-style, implicit TLS
  lmtp?: number;
  admin?: number;
}

export interface Server {
  dataDir: string;
  ports: Ports;
  proc: ChildProcess;
  output: () => string;
  /** Sends SIGHUP and waits until the server has printed `reloaded` again. */
  reload(): Promise<void>;
  stop(): Promise<number | null>;
}

export interface ServerOptions {
  hostname?: string;
  services?: string[];
  imap?: Record<string, string>;
  pop?: Record<string, string>;
  smtp?: Record<string, string>;
  lmtp?: Record<string, string>;
  /** `portcullis auth set` before the server starts (restart settings such as allow-list). */
  auth?: Record<string, string>;
  users?: Array<{ address: string; password: string }>;
}

export function makeDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
}

/** init + settings + users + serve; resolves once every enabled listener has reported its port. */
export async function startServer(opts: ServerOptions = {}): Promise<Server> {
  const dataDir = join(makeDataDir(), 'data');
  const services = opts.services ?? ['imap4', 'imap4-backend', 'pop3', 'pop3-backend'];
  cliOk(dataDir, ['init', '--hostname', opts.hostname ?? 'localhost']);
  for (const s of services) cliOk(dataDir, ['service', 'enable', s]);
  const loopback = { 'ssl-bindings': '127.0.0.1:0', 'unencrypted-or-tls-bindings': '127.0.0.1:0' };
  const imap = { ...loopback, ...opts.imap };
  const pop = { ...loopback, ...opts.pop };
  cliOk(dataDir, ['imap', 'set', ...Object.entries(imap).flatMap(([k, v]) => [`--${k}`, v])]);
  cliOk(dataDir, ['pop', 'set', ...Object.entries(pop).flatMap(([k, v]) => [`--${k}`, v])]);
  const smtp = { ...loopback, ...opts.smtp };
  cliOk(dataDir, ['smtp', 'set', ...Object.entries(smtp).flatMap(([k, v]) => [`--${k}`, v])]);
  cliOk(dataDir, ['admin', 'set', '--bindings', '127.0.0.1:0']);
  const lmtp = { bindings: '127.0.0.1:0', ...opts.lmtp };
  cliOk(dataDir, ['lmtp', 'set', ...Object.entries(lmtp).flatMap(([k, v]) => [`--${k}`, v])]);
  if (opts.auth) cliOk(dataDir, ['auth', 'set', ...Object.entries(opts.auth).flatMap(([k, v]) => [`--${k}`, v])]);
  for (const u of opts.users ?? []) cliOk(dataDir, ['user', 'add', u.address, '--password-stdin'], u.password + '\n');
  return serve(dataDir);
}

const LISTEN = /^(imap4|pop3|submission|lmtp|admin) listening on ([^ ]+):(\d+) \((implicit TLS|STARTTLS|LMTP|HTTPS?)\)$/;

export async function serve(dataDir: string): Promise<Server> {
  const proc = spawn(process.execPath, [CLI, '--data-dir', dataDir, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const ports: Ports = {};
  const waiters: Array<() => void> = [];
  let reloads = 0;
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    reloads = (out.match(/^reloaded$/gm) ?? []).length;
    waiters.splice(0).forEach((w) => w());
  });
  proc.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => {
    waiters.splice(0).forEach((w) => w());
    resolve(code);
  }));
  const until = (cond: () => boolean, what: string) => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (cond()) return resolve();
      if (proc.exitCode !== null) return reject(new Error(`server exited (${proc.exitCode}) before ${what}:\n${out}\n${err}`));
      waiters.push(check);
    };
    check();
  });
  const parsePorts = () => {
    for (const line of out.split('\n')) {
      const m = LISTEN.exec(line.trim());
      if (!m) continue;
      const port = Number(m[3]);
      const implicit = m[4] === 'implicit TLS';
      if (m[1] === 'imap4') implicit ? (ports.imaps = port) : (ports.imap = port);
      else if (m[1] === 'pop3') implicit ? (ports.pop3s = port) : (ports.pop3 = port);
      else if (m[1] === 'submission') implicit ? (ports.submissions = port) : (ports.submission = port);
      else if (m[1] === 'admin') ports.admin = port;
      else ports.lmtp = port;
    }
  };
  await until(() => /^ready\b/m.test(out), 'ready');
  parsePorts();
  return {
    dataDir,
    ports,
    proc,
    output: () => out + err,
    async reload() {
      const before = reloads;
      proc.kill('SIGHUP');
      await until(() => reloads > before, 'reload');
      parsePorts();
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      const code = await exited;
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
      return code;
    },
  };
}

/** Runs a Python client script from test/e2e/clients with arguments; resolves its exit and output. */
export function python(script: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn('python3', [join(repoRoot(), 'test', 'e2e', 'clients', script), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
