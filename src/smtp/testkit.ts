/**
 * Test support for the smtp/ tests (not a test itself): a real store, mailbox service,
 * authenticator and TLS certificate in a temp dir, and a raw SMTP line client over real sockets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import * as tls from 'node:tls';
import { createAuthenticator } from '../auth/authenticator.js';
import { hashPassword } from '../auth/passwords.js';
import type { Authenticator, LoginType } from '../auth/types.js';
import { silentLogger } from '../core/log.js';
import { createMailboxService } from '../mailbox/service.js';
import type { MailboxService } from '../mailbox/types.js';
import type { MailStore } from '../store/store.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import { createTestTlsProvider, type TestTlsProvider } from '../tls/provider.js';
import type { RunningService } from '../net/listener.js';
import { openOutboundQueue, type OutboundQueue } from './queue.js';
import type { SmtpSettings } from './settings.js';
import { startSubmission, type SubmissionDeps } from './submission.js';

export interface Env {
  dir: string;
  store: MailStore;
  mailboxes: MailboxService;
  auth: Authenticator;
  tls: TestTlsProvider;
  loginType: { smtp: LoginType };
  cleanup(): Promise<void>;
}

export async function makeEnv(users: Array<{ address: string; password: string }>): Promise<Env> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-smtp-'));
  const store = await openSqliteStore(join(dir, 'store'));
  for (const u of users) await store.createAccount(u.address, await hashPassword(u.password));
  const loginType = { smtp: 'SecureLogin' as LoginType };
  const auth = createAuthenticator({
    store, logger: silentLogger,
    loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: loginType.smtp }),
    delay: async () => {},
  });
  return {
    dir, store, mailboxes: createMailboxService(store), auth, tls: await createTestTlsProvider('localhost'), loginType,
    async cleanup(): Promise<void> {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Raw bytes of every message in a user's mailbox, in UID order. */
/**
 * Submission with its outbound queue on the env's store and accounts, listening on the bindings of
 * `settings`; `extra` adds or overrides dependencies (protocol log, trusted proxies, ...).
 */
export async function startTestSubmission(
  env: Env, settings: () => SmtpSettings, extra: Partial<SubmissionDeps> = {},
): Promise<{ svc: RunningService; queue: OutboundQueue; port465: number; port587: number }> {
  const queue = openOutboundQueue({ dataDir: env.dir, settings, mailboxes: env.mailboxes, logger: silentLogger });
  const svc = await startSubmission({ settings, tls: env.tls, auth: env.auth, mailboxes: env.mailboxes, queue, logger: silentLogger, accounts: env.store, ...extra });
  let port465 = 0;
  let port587 = 0;
  for (const a of svc.listeners.addresses()) {
    if (a.kind === 'implicit') port465 = a.port;
    else port587 = a.port;
  }
  return { svc, queue, port465, port587 };
}

export async function messagesIn(env: Env, address: string, mailbox = 'INBOX'): Promise<Buffer[]> {
  const account = await env.store.getAccount(address);
  if (!account) throw new Error(`no account ${address}`);
  const mb = env.mailboxes.forAccount(account);
  const info = await mb.get(mailbox);
  if (!info) throw new Error(`no mailbox ${mailbox}`);
  const out: Buffer[] = [];
  for await (const batch of mb.fetchRecords(info.id, [{ from: 1, to: Infinity }])) {
    for (const r of batch) out.push(await mb.readBlob(r.blobId));
  }
  return out;
}

export interface Reply {
  code: number;
  lines: string[];
  /** All lines joined with "\n", codes included. */
  text: string;
}

/** A line-oriented SMTP/LMTP client over a real socket, for protocol tests. */
export class RawSmtpClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  private closed = false;
  received = '';

  private constructor(public socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.received += d.toString('latin1');
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static connect(target: { port: number; host?: string } | { path: string }, opts: { tls?: { ca: string } } = {}): Promise<RawSmtpClient> {
    return new Promise((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ ...('path' in target ? { path: target.path } : { port: target.port, host: target.host ?? '127.0.0.1' }), ca: opts.tls.ca, servername: 'localhost' }, () => resolve(new RawSmtpClient(s)))
        : net.connect('path' in target ? { path: target.path } : { port: target.port, host: target.host ?? '127.0.0.1' }, () => resolve(new RawSmtpClient(s)));
      s.once('error', reject);
    });
  }

  /** A client over a socket that is already connected (a TLS socket set up by the test). */
  static over(socket: net.Socket | tls.TLSSocket): RawSmtpClient {
    return new RawSmtpClient(socket);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The next complete reply (multi-line replies joined); rejects if the connection closes first. */
  async reply(): Promise<Reply> {
    for (;;) {
      const lines = this.buf.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^\d{3} /.test(lines[i]) || /^\d{3}$/.test(lines[i])) {
          const mine = lines.slice(0, i + 1);
          this.buf = lines.slice(i + 1).join('\r\n');
          return { code: Number(mine[i].slice(0, 3)), lines: mine, text: mine.join('\n') };
        }
      }
      if (this.closed) throw new Error(`connection closed; pending: ${JSON.stringify(this.buf)}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  async cmd(line: string): Promise<Reply> {
    this.write(line + '\r\n');
    return this.reply();
  }

  /** Unread bytes so far (should be empty when nothing more was answered). */
  pending(): string {
    return this.buf;
  }

  /** Upgrades the socket (after a 220 to STARTTLS). Anything received in cleartext stays in `pending()`. */
  startTls(ca: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const raw = this.socket;
      raw.removeAllListeners('data');
      raw.removeAllListeners('close');
      const s = tls.connect({ socket: raw, ca, servername: 'localhost' }, () => resolve());
      s.once('error', reject);
      this.socket = s;
      this.attach(s);
    });
  }

  /** Resolves when the server has closed the connection. */
  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Polls `check` until it returns a truthy value (no fixed sleeps; bounded by `tries`). */
export async function waitFor<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, tries = 400): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/**
 * A stream over `raw` whose first write goes out as one write of `prefix` + those bytes: a PROXY
 * header and the TLS ClientHello in one packet, as a load balancer sends them (tls.connect over
 * a raw net.Socket writes through its handle, so this takes a stream in between).
 */
export function withPrefixOnFirstWrite(raw: net.Socket, prefix: Buffer): Duplex {
  let first = true;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      raw.write(first ? Buffer.concat([prefix, chunk]) : chunk, cb);
      first = false;
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (d: Buffer) => stream.push(d));
  raw.on('end', () => stream.push(null));
  raw.on('close', () => stream.destroy());
  raw.on('error', () => {});
  return stream;
}
