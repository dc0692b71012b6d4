/**
 * `portcullis test imap|pop`: the connectivity self-test, like Exchange's Test-ImapConnectivity
 * and Test-PopConnectivity. Logs in as a dedicated test account (created on first use, its
 * random password kept in DATA_DIR/connectivity-test-account.json, 0600) against --server, else
 * the running server's listener of that kind, else the connection settings; without
 * --light-mode also delivers a message through the mailbox layer, retrieves it over the
 * protocol and deletes it. One line per step: step, Success/Failure, latency, the server's
 * reply on failure (never the password). Exit 0 when every step succeeded, 1 otherwise,
 * 2 for bad flags.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CliError, type CliContext } from './errors.js';
import { parse } from './args.js';
import { checkAddress } from './user.js';
import { imapSettings, loadConfig, popSettings, type ConfigFile } from '../../config/config.js';
import { readRunStatus } from '../runstate.js';
import { openStore } from '../../store/open.js';
import { createMailboxService } from '../../mailbox/service.js';
import { hashPassword } from '../../auth/passwords.js';
import { CertStore } from '../../tls/certstore.js';
import { splitPemCertificates } from '../../tls/certinfo.js';
import { connectionSettingFacts } from '../../observe/analyzer-gather.js';
import {
  WireError, certificateProblem, imapCommand, imapQuote, openConnection, popCommand, popMultiline, type LineConnection,
} from './test-connectivity-wire.js';

const USAGE = 'portcullis test imap|pop [--connection-type Plaintext|Tls|Ssl] [--light-mode] [--trust-any-certificate] [--server HOST:PORT] [--json]';
const CONNECTION_TYPES = ['Plaintext', 'Tls', 'Ssl'] as const;
type ConnectionType = (typeof CONNECTION_TYPES)[number];
const ACCOUNT_FILE = 'connectivity-test-account.json';
const STEP_TIMEOUT_MS = 15_000;

interface Target { host: string; port: number; certHost: string; source: string }
interface StepResult { step: string; result: 'Success' | 'Failure'; latencyMs: number; detail: string; reply?: string }
interface TestAccount { address: string; password: string; created: boolean }

/** The step failed: what went wrong, and the server's reply when there was one. */
class StepFailure extends Error {
  constructor(message: string, readonly reply = '') {
    super(message);
  }
}

function parseServer(text: string): { host: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(text) ?? /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) throw new CliError(`--server: "${text}" is not allowed (allowed: HOST:PORT such as mail.example.org:993 or [::1]:993)`);
  return { host: m[1], port };
}

/** Where to connect: --server, else the running server's listener of that kind, else the connection settings. */
function findTarget(cfg: ConfigFile, dataDir: string, protocol: 'imap4' | 'pop3', type: ConnectionType, server: string | undefined): Target {
  const settings = protocol === 'imap4' ? imapSettings(cfg) : popSettings(cfg);
  const entries = connectionSettingFacts(settings);
  const fits = (enc: string): boolean => (type === 'Ssl' ? enc === 'SSL' : type === 'Tls' ? enc === 'TLS' : enc === '' || enc === 'TLS');
  const named = entries.find((e) => fits(e.encryption));
  if (server) {
    const s = parseServer(server);
    return { ...s, certHost: s.host, source: '--server' };
  }
  const kind = type === 'Ssl' ? 'implicit' : 'starttls';
  const listener = readRunStatus(dataDir)?.listeners.find((l) => l.service === protocol && l.kind === kind);
  if (listener) {
    const host = listener.address === '0.0.0.0' ? '127.0.0.1' : listener.address === '::' ? '::1' : listener.address;
    // The name clients are told to use (connection settings), else the certificate's or the server's name.
    const certHost = named?.host ?? (settings.x509CertificateName && !settings.x509CertificateName.startsWith('*') ? settings.x509CertificateName : cfg.hostname);
    return { host, port: listener.port, certHost, source: 'the running server' };
  }
  if (named) return { host: named.host, port: named.port, certHost: named.host, source: named.setting };
  throw new CliError(`no ${protocol} server to test: no running server has a ${type === 'Ssl' ? 'implicit TLS' : 'cleartext/STARTTLS'} ${protocol} listener, and no ${protocol === 'imap4' ? 'imap' : 'pop'} internal- or external-connection-settings entry fits --connection-type ${type} (use --server HOST:PORT)`, 1);
}

/** The fingerprints of the certificate this service is configured with (x509-certificate-name). */
function configuredFingerprints(dataDir: string, name: string): string[] {
  const store = CertStore.forDataDir(dataDir);
  const cert = store.select(name) ?? store.get(name);
  if (!cert) return [];
  try {
    return [splitPemCertificates(cert.certPem)[0].fingerprint256];
  } catch {
    return [];
  }
}

/** The dedicated test account: created on first use, its password kept in the data dir (0600). */
async function testAccount(dataDir: string, cfg: ConfigFile): Promise<TestAccount> {
  const path = join(dataDir, ACCOUNT_FILE);
  const address = checkAddress(`portcullis-test@${cfg.hostname}`, USAGE);
  let saved: { address?: string; password?: string } = {};
  if (existsSync(path)) {
    try {
      saved = JSON.parse(readFileSync(path, 'utf8')) as typeof saved;
    } catch {
      saved = {};
    }
  }
  const store = await openStore(dataDir, cfg);
  try {
    const account = await store.getAccount(address);
    if (account && saved.address === address && typeof saved.password === 'string') return { address, password: saved.password, created: false };
    const password = randomBytes(24).toString('base64url');
    const hash = await hashPassword(password);
    if (account) await store.updateAccount(account.id, { passwordHash: hash });
    else await store.createAccount(address, hash);
    writeFileSync(path, JSON.stringify({ address, password }, null, 2) + '\n', { mode: 0o600 });
    return { address, password, created: true };
  } finally {
    await store.close();
  }
}

function testMessage(address: string, token: string): Buffer {
  return Buffer.from([
    `From: Portcullis connectivity test <${address}>`,
    `To: <${address}>`,
    `Subject: Portcullis connectivity test ${token}`,
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${token}@${address.split('@')[1]}>`,
    `X-Portcullis-Connectivity-Test: ${token}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
    '',
    'Delivered, retrieved and deleted by `portcullis test`.',
    '',
  ].join('\r\n'));
}

async function deliver(dataDir: string, cfg: ConfigFile, address: string, token: string): Promise<number> {
  const store = await openStore(dataDir, cfg);
  try {
    return (await createMailboxService(store).deliver(address, testMessage(address, token), { mailbox: 'INBOX' })).uid;
  } finally {
    await store.close();
  }
}

const policyText = (loginType: string): string =>
  `refused by the server's login policy: no credentials before TLS on this connection (configured login-type: ${loginType}). This is correct behaviour for SecureLogin; use --connection-type Tls or Ssl`;

export async function testConnectivityCommand(ctx: CliContext, protocol: 'imap4' | 'pop3'): Promise<number> {
  const { values } = parse(ctx.args, {
    'connection-type': { type: 'string' }, 'light-mode': { type: 'boolean' }, 'trust-any-certificate': { type: 'boolean' },
    server: { type: 'string' }, json: { type: 'boolean' },
  }, USAGE);
  const typeText = (values['connection-type'] as string | undefined) ?? 'Ssl';
  const type = CONNECTION_TYPES.find((t) => t.toLowerCase() === typeText.toLowerCase());
  if (!type) throw new CliError(`--connection-type: "${typeText}" is not allowed (allowed: ${CONNECTION_TYPES.join(', ')})`);
  const light = values['light-mode'] === true;
  const trustAny = values['trust-any-certificate'] === true;
  const cfg = loadConfig(ctx.dataDir);
  const target = findTarget(cfg, ctx.dataDir, protocol, type, values.server as string | undefined);
  const settings = protocol === 'imap4' ? imapSettings(cfg) : popSettings(cfg);
  const account = await testAccount(ctx.dataDir, cfg);
  const pins = configuredFingerprints(ctx.dataDir, settings.x509CertificateName);

  const steps: StepResult[] = [];
  const hide = (s: string): string => s.split(account.password).join('***');
  async function step(name: string, fn: () => Promise<string>): Promise<boolean> {
    const t0 = performance.now();
    try {
      const detail = await fn();
      steps.push({ step: name, result: 'Success', latencyMs: Math.round(performance.now() - t0), detail: hide(detail) });
      return true;
    } catch (err) {
      if (!(err instanceof StepFailure || err instanceof WireError)) throw err;
      steps.push({ step: name, result: 'Failure', latencyMs: Math.round(performance.now() - t0), detail: hide(err.message), reply: hide(err.reply) });
      return false;
    }
  }

  const where = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const intro = [
    `Testing ${protocol} at ${where} (${type}${light ? ', light mode' : ''}; from ${target.source}) as ${account.address}`,
    ...(account.created ? [`Created the test account ${account.address}; its password is kept in ${join(ctx.dataDir, ACCOUNT_FILE)} (0600).`] : []),
    ...(trustAny ? ['Certificate verification skipped (--trust-any-certificate).'] : []),
  ];
  const run = protocol === 'imap4' ? runImap : runPop;
  await run({ target, type, light, trustAny, pins, account, cfg, dataDir: ctx.dataDir, loginType: settings.loginType, step });

  const ok = steps.every((s) => s.result === 'Success');
  if (values.json) {
    ctx.stdout(JSON.stringify({
      protocol, connectionType: type, lightMode: light, server: { host: target.host, port: target.port, source: target.source },
      account: account.address, accountCreated: account.created, result: ok ? 'Success' : 'Failure', steps,
    }, null, 2));
  } else {
    for (const line of intro) ctx.stdout(line);
    const w = Math.max(...steps.map((s) => s.step.length)) + 2;
    for (const s of steps) {
      const extra = s.result === 'Failure' ? `${s.detail}${s.reply ? ` (server: ${s.reply})` : ''}` : s.detail;
      ctx.stdout(`${s.step.padEnd(w)}${s.result.padEnd(9)}${`${s.latencyMs} ms`.padStart(8)}  ${extra}`);
    }
    ctx.stdout(`Result: ${ok ? 'Success' : 'Failure'}`);
  }
  return ok ? 0 : 1;
}

interface RunOptions {
  target: Target;
  type: ConnectionType;
  light: boolean;
  trustAny: boolean;
  pins: string[];
  account: TestAccount;
  cfg: ConfigFile;
  dataDir: string;
  loginType: string;
  step: (name: string, fn: () => Promise<string>) => Promise<boolean>;
}

/** Connect, STARTTLS/STLS (Tls), the certificate check; the connection, or null after a failure. */
async function connectSteps(o: RunOptions, upgrade: (c: LineConnection) => Promise<void>): Promise<LineConnection | null> {
  let conn: LineConnection | null = null;
  if (!await o.step('Connect', async () => {
    conn = await openConnection(o.target.host, o.target.port, o.type === 'Ssl', STEP_TIMEOUT_MS);
    return o.type === 'Ssl' ? `implicit TLS (${conn.tls?.getProtocol() ?? '?'})` : 'cleartext';
  })) return null;
  const c = conn as unknown as LineConnection;
  const ok = (o.type !== 'Tls' || await o.step('StartTls', async () => { await upgrade(c); return c.tls?.getProtocol() ?? ''; }))
    && (o.type === 'Plaintext' || o.trustAny || await o.step('Certificate', async () => {
      const problem = certificateProblem(c, o.target.certHost, o.pins);
      if (problem) throw new StepFailure(problem);
      return `${o.pins.length ? 'the configured certificate or a trusted one' : 'trusted'}, names ${o.target.certHost}`;
    }));
  if (!ok) c.close();
  return ok ? c : null;
}

async function runImap(o: RunOptions): Promise<void> {
  let n = 0;
  const tag = () => `t${++n}`;
  const cmd = async (c: LineConnection, command: string, shown = command) => {
    const r = await imapCommand(c, tag(), command, shown);
    if (!r.ok) throw new StepFailure(`${shown.split(' ')[0]} refused`, r.tagged);
    return r;
  };
  let greeting = '';
  const conn = await connectSteps(o, async (c) => {
    greeting = await c.readLine('greeting');
    await cmd(c, 'STARTTLS');
    await c.upgrade(o.target.certHost);
  });
  if (!conn) return;
  try {
    let uid = 0;
    const token = randomBytes(8).toString('hex');
    const loggedIn = await o.step('Login', async () => {
      if (!greeting) greeting = await conn.readLine('greeting');
      if (!/^\* OK\b/i.test(greeting)) throw new StepFailure('no OK greeting', greeting);
      const caps = (await cmd(conn, 'CAPABILITY')).lines.join(' ');
      if (o.type === 'Plaintext' && /\bLOGINDISABLED\b/i.test(caps)) throw new StepFailure(policyText(o.loginType), caps);
      await cmd(conn, `LOGIN ${imapQuote(o.account.address)} ${imapQuote(o.account.password)}`, 'LOGIN');
      return o.type === 'Plaintext' ? 'logged in without TLS (the password crossed the network in clear)' : 'logged in';
    });
    if (!loggedIn) return;
    if (!o.light) {
      const ok = await o.step('Deliver', async () => { uid = await deliver(o.dataDir, o.cfg, o.account.address, token); return `uid ${uid} in INBOX (mailbox layer)`; })
        && await o.step('Select', async () => {
          const r = await cmd(conn, 'SELECT INBOX');
          return r.lines.find((l) => /^\* \d+ EXISTS/i.test(l))?.slice(2) ?? 'INBOX';
        })
        && await o.step('Fetch', async () => {
          const r = await cmd(conn, `UID FETCH ${uid} (BODY.PEEK[HEADER])`);
          if (!r.lines.join('\n').includes(token)) throw new StepFailure(`the delivered message (uid ${uid}) was not returned`, r.tagged);
          return `uid ${uid}`;
        })
        && await o.step('Delete', async () => {
          await cmd(conn, `UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`);
          await cmd(conn, 'EXPUNGE');
          return 'STORE \\Deleted, EXPUNGE';
        });
      if (!ok) return;
    }
    await o.step('Logout', async () => { await imapCommand(conn, tag(), 'LOGOUT'); return 'LOGOUT'; });
  } finally {
    conn.close();
  }
}

async function runPop(o: RunOptions): Promise<void> {
  const expect = async (c: LineConnection, command: string, shown = command) => {
    const r = await popCommand(c, command, shown);
    if (!r.ok) throw new StepFailure(`${shown.split(' ')[0]} refused`, r.line);
    return r.line;
  };
  let greeting = '';
  const conn = await connectSteps(o, async (c) => {
    greeting = (await popCommand(c, null)).line;
    await expect(c, 'STLS');
    await c.upgrade(o.target.certHost);
  });
  if (!conn) return;
  try {
    const token = randomBytes(8).toString('hex');
    // The maildrop is fixed at login: deliver first.
    if (!o.light && !await o.step('Deliver', async () => `uid ${await deliver(o.dataDir, o.cfg, o.account.address, token)} in INBOX (mailbox layer)`)) return;
    const loggedIn = await o.step('Login', async () => {
      if (!greeting) greeting = (await popCommand(conn, null)).line;
      if (!greeting.startsWith('+OK')) throw new StepFailure('no +OK greeting', greeting);
      const capa = await popMultiline(conn, 'CAPA');
      const user = await popCommand(conn, `USER ${o.account.address}`);
      if (!user.ok) throw new StepFailure(o.type === 'Plaintext' && !capa.body.includes('USER') ? policyText(o.loginType) : 'USER refused', user.line);
      await expect(conn, `PASS ${o.account.password}`, 'PASS');
      return o.type === 'Plaintext' ? 'logged in without TLS (the password crossed the network in clear)' : 'logged in';
    });
    if (!loggedIn) return;
    if (!o.light) {
      let count = 0;
      let found = 0;
      const leftovers: number[] = [];
      const ok = await o.step('Stat', async () => {
        const line = await expect(conn, 'STAT');
        count = Number(/^\+OK (\d+)/.exec(line)?.[1] ?? 0);
        return line.slice(4);
      })
        && await o.step('Retrieve', async () => {
          // Headers first (TOP): ours, and test messages an earlier failed run left behind.
          for (let i = count; i >= 1; i--) {
            const top = await popMultiline(conn, `TOP ${i} 0`);
            if (top.body.some((l) => l.includes(token))) found = i;
            else if (top.body.some((l) => /^X-Portcullis-Connectivity-Test:/i.test(l))) leftovers.push(i);
          }
          if (!found) throw new StepFailure(`the delivered message is not among the ${count} messages of the maildrop`);
          const r = await popMultiline(conn, `RETR ${found}`);
          if (!r.ok || !r.body.some((l) => l.includes(token))) throw new StepFailure(`RETR ${found} did not return the delivered message`, r.line);
          return `message ${found}`;
        })
        && await o.step('Delete', async () => {
          for (const i of [found, ...leftovers]) await expect(conn, `DELE ${i}`);
          return `DELE ${found}${leftovers.length ? ` (and ${leftovers.length} left by earlier runs)` : ''}`;
        });
      if (!ok) return;
    }
    await o.step('Quit', async () => { await expect(conn, 'QUIT'); return o.light ? 'QUIT' : 'QUIT (deletion applied)'; });
  } finally {
    conn.close();
  }
}

export const testCommands = {
  imap: (ctx: CliContext) => testConnectivityCommand(ctx, 'imap4'),
  pop: (ctx: CliContext) => testConnectivityCommand(ctx, 'pop3'),
};
