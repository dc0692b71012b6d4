// Protocol logs and metrics as the IMAP and POP3 services feed them: real services on a real
// SQLite store, real TCP sockets from a raw client, the real protocol-log writer on a temp dir,
// and the metrics exposition read back with the OpenMetrics parser.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite/index.js';
import { createMailboxService } from '../mailbox/service.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { hashPassword } from '../auth/passwords.js';
import { createTestTlsProvider } from '../tls/provider.js';
import { testImapSettings, testPopSettings } from '../config/config.js';
import { silentLogger } from '../core/log.js';
import type { MailStore } from '../store/store.js';
import type { RunningService } from '../net/listener.js';
import { createImapBackend, startImapFrontend } from '../imap/service.js';
import { createPop3Backend, startPop3Frontend } from '../pop3/service.js';
import { createProtocolLog, protocolLogDir } from './protocol-log.js';
import { createSecurityLog, securityLogDir } from './security-log.js';
import { loginEvent, type ProtocolLog } from './types.js';
import { renderOpenMetrics } from './metrics.js';
import { timedMailboxService } from './timed-mailboxes.js';
import { parseOpenMetrics, sampleValue } from './openmetrics-parse.js';

const USER = 'wired@example.org';
const PASSWORD = 'wired secret 42';

let dir: string;
let store: MailStore;
let imapLog: ProtocolLog;
let popLog: ProtocolLog;
let logging = true;
const running: RunningService[] = [];
let imapPort = 0;
let popPort = 0;
let stopImapBackend: () => Promise<void> = async () => {};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'obswire-'));
  store = await openSqliteStore(join(dir, 'store'));
  await store.createAccount(USER, await hashPassword(PASSWORD));
  const mailboxes = timedMailboxService(createMailboxService(store));
  const securityLog = createSecurityLog({ dir: securityLogDir(dir) });
  const auth = createAuthenticator({
    store, logger: silentLogger, delay: async () => {},
    loginTypes: () => ({ imap4: 'PlainTextLogin', pop3: 'PlainTextLogin', smtp: 'SecureLogin' }),
    onAttempt: (c, attempt, outcome) => securityLog.record(loginEvent(c, attempt, outcome, { tlsMode: c.tlsMode })),
  });
  const limits = { rollOver: 'daily' as const, maxAgeDays: 0, maxTotalBytes: 0 };
  imapLog = createProtocolLog({ dir: protocolLogDir(dir, 'imap4'), protocol: 'imap4', enabled: () => logging, ...limits });
  popLog = createProtocolLog({ dir: protocolLogDir(dir, 'pop3'), protocol: 'pop3', enabled: () => logging, ...limits });
  const tls = await createTestTlsProvider('localhost');
  const loopback = { sslBindings: [], unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }] };
  const imapSettings = testImapSettings({ ...loopback, loginType: 'PlainTextLogin' });
  const popSettings = testPopSettings({ ...loopback, loginType: 'PlainTextLogin' });
  const imapBackend = createImapBackend({ mailboxes, settings: () => imapSettings, logger: silentLogger, protocolLog: imapLog });
  stopImapBackend = () => imapBackend.stop();
  const popBackend = createPop3Backend({ mailboxes, locks: store, settings: () => popSettings, logger: silentLogger });
  const imap = await startImapFrontend({ settings: () => imapSettings, tls, auth, backend: () => imapBackend, logger: silentLogger, protocolLog: imapLog });
  const pop = await startPop3Frontend({ settings: () => popSettings, tls, auth, backend: () => popBackend, logger: silentLogger, protocolLog: popLog });
  running.push(imap, pop);
  imapPort = imap.listeners.addresses()[0].port;
  popPort = pop.listeners.addresses()[0].port;
});

after(async () => {
  for (const r of running) await r.stop();
  await stopImapBackend();
  await imapLog.close();
  await popLog.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

/** A line client: send() a line, until() waits for a reply line matching a pattern. */
async function connect(port: number): Promise<{ send(l: string): void; until(re: RegExp): Promise<string>; close(): Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let buf = '';
  let wake: (() => void) | null = null;
  let ended = false;
  socket.on('data', (d: Buffer) => { buf += d.toString('latin1'); wake?.(); });
  socket.on('close', () => { ended = true; wake?.(); });
  return {
    send: (l) => socket.write(l + '\r\n'),
    async until(re) {
      for (;;) {
        const lines = buf.split('\r\n');
        const i = lines.findIndex((l) => re.test(l));
        if (i >= 0) {
          buf = lines.slice(i + 1).join('\r\n');
          return lines[i];
        }
        if (ended) throw new Error(`connection closed before ${re}: ${buf}`);
        await new Promise<void>((resolve) => { wake = resolve; });
      }
    },
    close: () => new Promise<void>((resolve) => { if (ended) resolve(); else { socket.once('close', () => resolve()); socket.end(); } }),
  };
}

async function rows(protocol: string): Promise<string[][]> {
  const d = protocolLogDir(dir, protocol);
  const out: string[][] = [];
  for (const f of (await readdir(d)).sort()) {
    for (const line of (await readFile(join(d, f), 'utf8')).split('\r\n')) {
      if (!line || line.startsWith('#')) continue;
      out.push(line.split(',')); // the test's values contain no commas or quotes
    }
  }
  return out;
}

// dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context,tls,authMech,secure
const COL = { session: 1, seq: 2, sIp: 3, cIp: 4, user: 5, rqsize: 7, rpsize: 8, command: 9, parameters: 10, context: 11, tls: 12, mech: 13, secure: 14 };

test('IMAP: one row per command, the password masked, the user and mechanism once known', async () => {
  const before = parseOpenMetrics(await renderOpenMetrics());
  const c = await connect(imapPort);
  await c.until(/^\* OK/);
  c.send('a1 CAPABILITY');
  await c.until(/^a1 OK/);
  c.send(`a2 LOGIN ${USER} "${PASSWORD}"`);
  await c.until(/^a2 OK/);
  c.send('a3 SELECT INBOX');
  await c.until(/^a3 OK/);
  c.send('a4 BOGUS');
  await c.until(/^a4 BAD/);
  c.send('a5 LOGOUT');
  await c.until(/^a5 OK/);
  await c.close();
  await imapLog.flush();
  const all = await rows('imap4');
  const text = all.map((r) => r.join(',')).join('\n');
  assert.doesNotMatch(text, /wired secret/);
  const session = all.find((r) => r[COL.command] === 'LOGIN')![COL.session];
  const mine = all.filter((r) => r[COL.session] === session);
  assert.deepEqual(mine.map((r) => [r[COL.command], r[COL.context]]), [
    ['', 'Connected'], ['CAPABILITY', 'OK'], ['LOGIN', 'OK'], ['SELECT', 'OK'], ['BOGUS', 'BAD'], ['LOGOUT', 'OK'], ['', 'Disconnected'],
  ]);
  assert.deepEqual(mine.map((r) => Number(r[COL.seq])), [0, 1, 2, 3, 4, 5, 6]);
  const login = mine[2];
  assert.equal(login[COL.parameters], `${USER} ***`);
  assert.equal(login[COL.user], USER);
  assert.equal(login[COL.mech], 'LOGIN');
  assert.equal(login[COL.tls], 'none');
  assert.equal(login[COL.secure], 'false');
  assert.match(login[COL.cIp], /^127\.0\.0\.1:\d+$/);
  assert.equal(Number(login[COL.rqsize]), `a2 LOGIN ${USER} "${PASSWORD}"\r\n`.length);
  assert.ok(Number(login[COL.rpsize]) > 10, 'the tagged OK with capabilities is counted');
  assert.equal(mine[1][COL.user], '', 'no user before login');
  assert.equal(mine[3][COL.parameters], 'INBOX');
  assert.equal(mine[3][COL.user], USER);

  const after = parseOpenMetrics(await renderOpenMetrics());
  const delta = (name: string, labels: Record<string, string>): number => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
  assert.equal(delta('portcullis_logins_total', { protocol: 'imap4', result: 'success', secure: 'false' }), 1);
  assert.equal(delta('portcullis_commands_total', { protocol: 'imap4', command: 'SELECT' }), 1);
  assert.equal(delta('portcullis_commands_total', { protocol: 'imap4', command: 'OTHER' }), 1);
  assert.equal(delta('portcullis_command_duration_seconds_count', { protocol: 'imap4', command: 'LOGIN' }), 1);
  assert.equal(delta('portcullis_connections_total', { protocol: 'imap4', tls: 'none' }), 1);
  assert.ok(delta('portcullis_sent_bytes_total', { protocol: 'imap4' }) > 100);
  assert.ok(delta('portcullis_store_operation_duration_seconds_count', { operation: 'get', result: 'ok' }) >= 1, 'SELECT went through the timed mailbox layer');
  assert.equal(sampleValue(after, 'portcullis_connections_open', { protocol: 'imap4', tls: 'none' }), 0);
});

test('POP3: USER/PASS rows with PASS masked; a failed login is counted', async () => {
  const before = parseOpenMetrics(await renderOpenMetrics());
  const bad = await connect(popPort);
  await bad.until(/^\+OK/);
  bad.send(`USER ${USER}`);
  await bad.until(/^\+OK/);
  bad.send('PASS not-the-password');
  await bad.until(/^-ERR/);
  bad.send('QUIT');
  await bad.until(/^\+OK/);
  await bad.close();

  const c = await connect(popPort);
  await c.until(/^\+OK/);
  c.send(`USER ${USER}`);
  await c.until(/^\+OK/);
  c.send(`PASS ${PASSWORD}`);
  await c.until(/^\+OK Logged in/);
  c.send('STAT');
  await c.until(/^\+OK/);
  c.send('QUIT');
  await c.until(/^\+OK/);
  await c.close();
  await popLog.flush();
  const all = await rows('pop3');
  assert.doesNotMatch(all.map((r) => r.join(',')).join('\n'), /wired secret|not-the-password/);
  const pass = all.filter((r) => r[COL.command] === 'PASS');
  assert.deepEqual(pass.map((r) => [r[COL.parameters], r[COL.context], r[COL.mech]]), [['***', '-ERR', 'USER'], ['***', '+OK', 'USER']]);
  assert.equal(pass[1][COL.user], USER);
  const stat = all.find((r) => r[COL.command] === 'STAT')!;
  assert.equal(stat[COL.user], USER);
  assert.ok(Number(stat[COL.rpsize]) > 0);

  const after = parseOpenMetrics(await renderOpenMetrics());
  const delta = (name: string, labels: Record<string, string>): number => (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
  assert.equal(delta('portcullis_logins_total', { protocol: 'pop3', result: 'failure', secure: 'false' }), 1);
  assert.equal(delta('portcullis_logins_total', { protocol: 'pop3', result: 'success', secure: 'false' }), 1);
  assert.equal(delta('portcullis_login_failures_total', { protocol: 'pop3', reason: 'credentials' }), 1);
  assert.equal(delta('portcullis_commands_total', { protocol: 'pop3', command: 'PASS' }), 2);
});

/** The rows of the session that ran `command`, and the whole log's text. */
async function sessionOf(protocol: string, command: string): Promise<{ mine: string[][]; text: string }> {
  const all = await rows(protocol);
  const session = all.findLast((r) => r[COL.command] === command)![COL.session];
  return { mine: all.filter((r) => r[COL.session] === session), text: all.map((r) => r.join(',')).join('\n') };
}

const plainBlob = Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64');
const SECRETS = [PASSWORD, plainBlob, Buffer.from(PASSWORD).toString('base64')];
const assertNoSecret = (text: string): void => {
  for (const s of SECRETS) assert.ok(!text.includes(s), `${s} in the protocol log`);
};

test('IMAP AUTHENTICATE PLAIN, with a continuation line and with an initial response: the blob is masked', async () => {
  const c = await connect(imapPort);
  await c.until(/^\* OK/);
  c.send('b1 AUTHENTICATE PLAIN');
  await c.until(/^\+/);
  c.send(plainBlob);
  await c.until(/^b1 OK/);
  c.send('b2 LOGOUT');
  await c.until(/^b2 OK/);
  await c.close();
  await imapLog.flush();
  const cont = await sessionOf('imap4', '*SASL*');
  assert.deepEqual(cont.mine.filter((r) => r[COL.command] !== '').map((r) => [r[COL.command], r[COL.parameters]]), [['*SASL*', '***'], ['AUTHENTICATE', 'PLAIN'], ['LOGOUT', '']]); // the command's row when it completes
  assertNoSecret(cont.text);

  const ir = await connect(imapPort);
  await ir.until(/^\* OK/);
  ir.send(`b3 AUTHENTICATE PLAIN ${plainBlob}`);
  await ir.until(/^b3 OK/);
  ir.send('b4 LOGOUT');
  await ir.until(/^b4 OK/);
  await ir.close();
  await imapLog.flush();
  const { mine, text } = await sessionOf('imap4', 'AUTHENTICATE');
  assert.deepEqual(mine.filter((r) => r[COL.command] === 'AUTHENTICATE').map((r) => [r[COL.parameters], r[COL.context], r[COL.user]]), [['PLAIN ***', 'OK', USER]]);
  assertNoSecret(text);
});

test('IMAP LOGIN with the password as a literal ({n} and {n+}): the password is masked', async () => {
  const c = await connect(imapPort);
  await c.until(/^\* OK/);
  c.send(`l1 LOGIN ${USER} {${PASSWORD.length}}`);
  await c.until(/^\+/);
  c.send(PASSWORD);
  await c.until(/^l1 OK/);
  c.send('l2 LOGOUT');
  await c.until(/^l2 OK/);
  await c.close();
  const plus = await connect(imapPort);
  await plus.until(/^\* OK/);
  plus.send(`l3 LOGIN ${USER} {${PASSWORD.length}+}\r\n${PASSWORD}`);
  await plus.until(/^l3 OK/);
  plus.send('l4 LOGOUT');
  await plus.until(/^l4 OK/);
  await plus.close();
  await imapLog.flush();
  const all = await rows('imap4');
  const logins = all.filter((r) => r[COL.command] === 'LOGIN').slice(-2);
  assert.deepEqual(logins.map((r) => [r[COL.parameters].startsWith(`${USER} `), r[COL.context], r[COL.user]]), [[true, 'OK', USER], [true, 'OK', USER]]);
  assertNoSecret(all.map((r) => r.join(',')).join('\n'));
});

test('POP3 AUTH PLAIN with a continuation line and APOP: nothing secret is logged', async () => {
  const c = await connect(popPort);
  await c.until(/^\+OK/);
  c.send('APOP wired@example.org c4c9334bac560ecc979e58001b3e22fb');
  await c.until(/^-ERR/);
  c.send('AUTH PLAIN');
  await c.until(/^\+/);
  c.send(plainBlob);
  await c.until(/^\+OK/);
  c.send('QUIT');
  await c.until(/^\+OK/);
  await c.close();
  await popLog.flush();
  const { mine, text } = await sessionOf('pop3', '*SASL*');
  assert.deepEqual(mine.filter((r) => r[COL.command] !== '').map((r) => [r[COL.command], r[COL.parameters]]), [
    ['APOP', `${USER} ***`], ['AUTH', 'PLAIN'], ['*SASL*', '***'], ['QUIT', ''],
  ]);
  assertNoSecret(text);
  assert.doesNotMatch(text, /c4c9334bac560ecc979e58001b3e22fb/);
});

test('protocol-log-enabled off: no rows, metrics still counted', async () => {
  await imapLog.flush();
  const count = (await rows('imap4')).length;
  const noops = (): number => sampleValue(parseOpenMetrics(metricsText), 'portcullis_commands_total', { protocol: 'imap4', command: 'NOOP' }) ?? 0;
  let metricsText = await renderOpenMetrics();
  const noopsBefore = noops();
  logging = false;
  try {
    const c = await connect(imapPort);
    await c.until(/^\* OK/);
    c.send('a1 NOOP');
    await c.until(/^a1 OK/);
    c.send('a2 LOGOUT');
    await c.until(/^a2 OK/);
    await c.close();
    await imapLog.flush();
    assert.equal((await rows('imap4')).length, count);
    metricsText = await renderOpenMetrics();
    assert.equal(noops(), noopsBefore + 1);
  } finally {
    logging = true;
  }
});
