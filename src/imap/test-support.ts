/**
 * Test support for the IMAP service tests: an in-process frontend + backend on a real SQLite
 * store in a temp dir, and a raw line client over real TCP/TLS sockets.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite/index.js';
import { createMailboxService } from '../mailbox/service.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { hashPassword } from '../auth/passwords.js';
import { createTestTlsProvider } from '../tls/provider.js';
import { testImapSettings, type ImapSettings } from '../config/config.js';
import { silentLogger } from '../core/log.js';
import type { LoginType } from '../auth/types.js';
import type { MailStore } from '../store/store.js';
import type { MailboxService } from '../mailbox/types.js';
import { createImapBackend, startImapFrontend, type ImapBackend } from './service.js';

export interface Harness {
  store: MailStore;
  mailboxes: MailboxService;
  certPem: string;
  implicitPort: number;
  starttlsPort: number;
  settings: ImapSettings;
  backendOn: boolean;
  backend: ImapBackend;
  close(): Promise<void>;
}

export const USER = 'alice@example.org';
export const PASSWORD = 'correct horse battery';

export async function startHarness(overrides: Partial<ImapSettings> = {}, loginType: LoginType = 'SecureLogin'): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'imap-test-'));
  const store = await openSqliteStore(dir);
  const mailboxes = createMailboxService(store);
  await store.createAccount(USER, await hashPassword(PASSWORD));
  await store.createAccount('bob@example.org', await hashPassword(PASSWORD));
  const settings = testImapSettings({
    sslBindings: [{ host: '127.0.0.1', port: 0 }],
    unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }],
    loginType,
    ...overrides,
  });
  const auth = createAuthenticator({
    store, logger: silentLogger, delay: async () => {},
    loginTypes: () => ({ imap4: settings.loginType, pop3: 'SecureLogin', smtp: 'SecureLogin' }),
  });
  const tlsProvider = await createTestTlsProvider('localhost');
  const backend = createImapBackend({ mailboxes, settings: () => settings, logger: silentLogger });
  const h: Harness = {
    store, mailboxes, certPem: tlsProvider.certPem, implicitPort: 0, starttlsPort: 0, settings, backendOn: true, backend,
    close: async () => {},
  };
  const frontend = await startImapFrontend({ settings: () => settings, tls: tlsProvider, auth, backend: () => (h.backendOn ? backend : null), logger: silentLogger });
  for (const a of frontend.listeners.addresses()) {
    if (a.kind === 'implicit') h.implicitPort = a.port;
    else h.starttlsPort = a.port;
  }
  h.close = async () => {
    await frontend.stop();
    await backend.stop();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  };
  return h;
}

/** A raw IMAP client: writes lines, reads responses up to a tagged reply. */
export class RawClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(private socket: net.Socket) {
    this.attach(socket);
  }

  private attach(s: net.Socket): void {
    s.on('data', (d: Buffer) => {
      this.buf += d.toString('latin1');
      this.wake();
    });
    s.on('close', () => {
      this.closed = true;
      this.wake();
    });
    s.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(h: Harness, mode: 'implicit' | 'plain'): Promise<RawClient> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      if (mode === 'implicit') {
        const s = tls.connect({ host: '127.0.0.1', port: h.implicitPort, ca: h.certPem, servername: 'localhost' }, () => resolve(s));
        s.once('error', reject);
      } else {
        const s = net.connect({ host: '127.0.0.1', port: h.starttlsPort }, () => resolve(s));
        s.once('error', reject);
      }
    });
    const c = new RawClient(socket);
    await c.waitFor(/^\* OK .*\r\n/m);
    return c;
  }

  /** Upgrades to TLS (after the server said OK to STARTTLS). */
  async startTls(h: Harness): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const s = await new Promise<tls.TLSSocket>((resolve, reject) => {
      const t = tls.connect({ socket: raw, ca: h.certPem, servername: 'localhost' }, () => resolve(t));
      t.once('error', reject);
    });
    this.socket = s;
    this.attach(s);
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Everything received so far, consumed. */
  take(): string {
    const b = this.buf;
    this.buf = '';
    return b;
  }

  peek(): string {
    return this.buf;
  }

  /** Waits until the buffer matches; returns and consumes the buffer up to the end of the match. */
  async waitFor(re: RegExp): Promise<string> {
    for (;;) {
      const m = re.exec(this.buf);
      if (m) {
        const end = m.index + m[0].length;
        const out = this.buf.slice(0, end);
        this.buf = this.buf.slice(end);
        return out;
      }
      if (this.closed) throw new Error(`connection closed while waiting for ${re}; got: ${this.buf}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Sends "tag command" and returns all output up to and including the tagged reply. */
  async cmd(tag: string, command: string): Promise<string> {
    this.write(`${tag} ${command}\r\n`);
    return this.waitFor(new RegExp(`(^|\\n)${tag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} (OK|NO|BAD)[^\\r\\n]*\\r\\n`));
  }

  async waitClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function loggedIn(h: Harness): Promise<RawClient> {
  const c = await RawClient.connect(h, 'implicit');
  const r = await c.cmd('L', `LOGIN ${USER} "${PASSWORD}"`);
  if (!/^L OK/m.test(r)) throw new Error('login failed: ' + r);
  return c;
}

export function message(subject: string, body = 'Hello there.\r\n', extra = ''): Buffer {
  return Buffer.from(`From: Bob <bob@example.org>\r\nTo: Alice <alice@example.org>\r\nSubject: ${subject}\r\nDate: Mon, 5 Feb 2024 10:00:00 +0000\r\nMessage-ID: <${subject.replace(/\W/g, '')}@example.org>\r\n${extra}\r\n${body}`);
}
