/**
 * Test support for the POP3 tests (not used by the server): a raw POP3 client over real TCP and
 * TLS sockets, and a fixture that runs frontend + backend in process on 127.0.0.1:0 with a real
 * SQLite store in a temp dir.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { createAuthenticator } from '../auth/authenticator.js';
import { hashPassword } from '../auth/passwords.js';
import type { LoginType } from '../auth/types.js';
import { testPopSettings, type PopSettings } from '../config/config.js';
import { silentLogger } from '../core/log.js';
import { createMailboxService } from '../mailbox/service.js';
import type { MailboxService } from '../mailbox/types.js';
import type { RunningService } from '../net/listener.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { Account, MailStore } from '../store/store.js';
import { createTestTlsProvider } from '../tls/provider.js';
import { createPop3Backend, startPop3Frontend } from './service.js';

export class PopClient {
  private buf = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;

  private constructor(private socket: net.Socket, private readonly ca: string) {
    this.attach(socket);
  }

  static async connect(port: number, opts: { tls: boolean; ca: string }): Promise<PopClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = opts.tls
        ? tls.connect({ host: '127.0.0.1', port, ca: opts.ca, servername: 'localhost' }, () => resolve(s))
        : net.connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    return new PopClient(socket, opts.ca);
  }

  private attach(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    s.on('end', () => { this.ended = true; this.wake?.(); });
    s.on('close', () => { this.ended = true; this.wake?.(); });
    s.on('error', () => { this.ended = true; this.wake?.(); });
  }

  get isTls(): boolean {
    return this.socket instanceof tls.TLSSocket;
  }

  /** Waits until `take` finds a complete item in the buffer; rejects if the server closed first. */
  private async take<T>(find: (b: Buffer) => { value: T; used: number } | null): Promise<T> {
    for (;;) {
      const hit = find(this.buf);
      if (hit) {
        this.buf = this.buf.subarray(hit.used);
        return hit.value;
      }
      if (this.ended) throw new Error(`connection closed; unread: ${JSON.stringify(this.buf.toString('latin1'))}`);
      await new Promise<void>((resolve) => { this.wake = resolve; });
      this.wake = null;
    }
  }

  readLine(): Promise<string> {
    return this.take((b) => {
      const i = b.indexOf('\r\n');
      return i < 0 ? null : { value: b.subarray(0, i).toString('latin1'), used: i + 2 };
    });
  }

  /** The body of a multi-line reply after its first line: raw bytes up to the ".\r\n" line, still dot-stuffed. */
  readMultiRaw(): Promise<Buffer> {
    return this.take((b) => {
      if (b.length >= 3 && b.subarray(0, 3).toString('latin1') === '.\r\n') return { value: Buffer.alloc(0), used: 3 };
      const i = b.indexOf('\r\n.\r\n');
      return i < 0 ? null : { value: b.subarray(0, i + 2), used: i + 5 };
    });
  }

  /** The lines of a multi-line reply, un-stuffed. */
  async readMultiLines(): Promise<string[]> {
    const raw = (await this.readMultiRaw()).toString('latin1');
    if (raw === '') return [];
    return raw.slice(0, -2).split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l));
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  async cmd(line: string): Promise<string> {
    this.send(line + '\r\n');
    return this.readLine();
  }

  /** A command with a multi-line answer: [first line, lines] (lines empty on -ERR). */
  async multi(line: string): Promise<[string, string[]]> {
    const first = await this.cmd(line);
    return [first, first.startsWith('+OK') ? await this.readMultiLines() : []];
  }

  /** Resolves true once the server has closed the connection. */
  async closedByServer(): Promise<boolean> {
    while (!this.ended) {
      await new Promise<void>((resolve) => { this.wake = resolve; });
      this.wake = null;
    }
    return true;
  }

  /** Bytes received and not read yet. */
  unread(): string {
    return this.buf.toString('latin1');
  }

  /** Upgrades to TLS after the server's +OK to STLS. */
  async upgrade(): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    this.socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const s = tls.connect({ socket: raw, ca: this.ca, servername: 'localhost' }, () => resolve(s));
      s.once('error', reject);
    });
    this.attach(this.socket);
  }

  async login(user: string, password: string): Promise<string> {
    const r = await this.cmd(`USER ${user}`);
    if (!r.startsWith('+OK')) return r;
    return this.cmd(`PASS ${password}`);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface PopFixture {
  /** The data dir of the store (mail.sqlite, blobs/). */
  dir: string;
  store: MailStore;
  mailboxes: MailboxService;
  service: RunningService;
  settings: PopSettings;
  ca: string;
  tlsPort: number;
  plainPort: number;
  setLoginType(t: LoginType): void;
  setBackendRunning(on: boolean): void;
  addUser(address: string, password: string): Promise<Account>;
  deliver(address: string, raw: string | Buffer): Promise<number>;
  connect(kind: 'tls' | 'plain'): Promise<PopClient>;
  /** Connects over TLS and reads the greeting. */
  ready(kind?: 'tls' | 'plain'): Promise<PopClient>;
}

type After = (fn: () => Promise<void> | void) => void;

export async function startPopFixture(after: After, opts: { loginType?: LoginType; settings?: Partial<PopSettings> } = {}): Promise<PopFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-pop3-'));
  const clients: PopClient[] = [];
  let service: RunningService | null = null;
  let store: MailStore | null = null;
  after(async () => {
    for (const c of clients) c.close();
    await service?.stop();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });
  store = await openSqliteStore(dir);
  const theStore = store;
  const mailboxes = createMailboxService(store);
  let loginType: LoginType = opts.loginType ?? 'SecureLogin';
  const auth = createAuthenticator({ store, loginTypes: () => ({ imap4: loginType, pop3: loginType, smtp: loginType }), logger: silentLogger, delay: () => Promise.resolve() });
  const tlsProvider = await createTestTlsProvider('localhost');
  const settings = testPopSettings({
    sslBindings: [{ host: '127.0.0.1', port: 0 }],
    unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }],
    ...opts.settings,
  });
  const backend = createPop3Backend({ mailboxes, locks: store, settings: () => settings, logger: silentLogger });
  let backendOn = true;
  service = await startPop3Frontend({ settings: () => settings, tls: tlsProvider, auth, backend: () => (backendOn ? backend : null), logger: silentLogger });
  const addrs = service.listeners.addresses();
  const tlsPort = addrs.find((a) => a.kind === 'implicit')?.port ?? 0;
  const plainPort = addrs.find((a) => a.kind === 'starttls')?.port ?? 0;
  const connect = async (kind: 'tls' | 'plain'): Promise<PopClient> => {
    const c = await PopClient.connect(kind === 'tls' ? tlsPort : plainPort, { tls: kind === 'tls', ca: tlsProvider.certPem });
    clients.push(c);
    return c;
  };
  return {
    dir, store: theStore, mailboxes, service, settings, ca: tlsProvider.certPem, tlsPort, plainPort,
    setLoginType: (t) => { loginType = t; },
    setBackendRunning: (on) => { backendOn = on; },
    addUser: async (address, password) => theStore.createAccount(address, await hashPassword(password)),
    deliver: async (address, raw) => (await mailboxes.deliver(address, Buffer.isBuffer(raw) ? raw : Buffer.from(raw, 'latin1'))).uid,
    connect,
    ready: async (kind = 'tls') => {
      const c = await connect(kind);
      const greeting = await c.readLine();
      if (!greeting.startsWith('+OK ')) throw new Error(`bad greeting: ${greeting}`);
      return c;
    },
  };
}
