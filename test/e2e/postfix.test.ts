// Postfix end to end, from a throwaway config dir on loopback ports:
// (a) Postfix as the inbound MTA delivering to Portcullis over LMTP: two local users and one
//     unknown get the right per-recipient results (the unknown one bounces back to the sender);
// (b) Postfix as the smarthost of the outbound queue: a message waits while Postfix is stopped
//     and is relayed after it starts again.
// Needs the Debian package postfix and root (Postfix's master runs as root); skips otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { silentLogger } from '../../src/core/log.js';
import type { RunningService } from '../../src/net/listener.js';
import { startLmtp } from '../../src/smtp/lmtp.js';
import { openOutboundQueue, type OutboundQueue } from '../../src/smtp/queue.js';
import { PortcullisSmtpServer, closeServer, listen } from '../../src/smtp/server.js';
import { testLmtpSettings, testSmtpSettings } from '../../src/smtp/settings.js';
import { RawSmtpClient, makeEnv, messagesIn, waitFor, type Env } from '../../src/smtp/testkit.js';

const POSTFIX = '/usr/sbin/postfix';
const skip = !existsSync(POSTFIX)
  ? 'postfix is not installed (Debian package "postfix"; CI installs it)'
  : process.getuid?.() !== 0 ? 'Postfix needs root to start its master process' : false;

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

interface Sunk { from: string; to: string[]; data: string }

let env: Env;
let lmtp: RunningService;
let queue: OutboundQueue;
let sink: PortcullisSmtpServer;
const sunk: Sunk[] = [];
let confDir = '';
let smtpPort = 0;

function postfix(...args: string[]): void {
  try {
    execFileSync(POSTFIX, ['-c', confDir, ...args], { stdio: 'pipe' });
  } catch (err) {
    const e = err as { stderr?: Buffer; stdout?: Buffer; message: string };
    let log = '';
    try {
      log = execFileSync('timeout', ['10', POSTFIX, '-c', confDir, '-o', 'maillog_file=/dev/stdout', 'start-fg'], { stdio: 'pipe' }).toString();
    } catch (e2) {
      log = String((e2 as { stdout?: Buffer }).stdout ?? '');
    }
    log = log.split('\n').filter((l) => /fatal|error|panic/.test(l)).join('\n');
    throw new Error(`postfix ${args.join(' ')} failed: ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}${log}`);
  }
}

before(async () => {
  if (skip) return;
  env = await makeEnv([{ address: ALICE, password: 'a-pw-12345' }, { address: BOB, password: 'b-pw-12345' }]);
  lmtp = await startLmtp({ settings: () => testLmtpSettings({ bindings: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }] }), mailboxes: env.mailboxes, store: env.store, logger: silentLogger, fqdn: 'mx.example.test' });
  const lmtpPort = lmtp.listeners.addresses()[0].port;
  // "the Internet": an LMTP sink Postfix relays remote.test mail (and bounces) to
  sink = new PortcullisSmtpServer({
    lmtp: true, authOptional: true, disabledCommands: ['AUTH', 'STARTTLS'], hideSTARTTLS: true,
    onData: (stream: SMTPServerDataStream, session: SMTPServerSession, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        sunk.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString() });
        cb(null, session.envelope.rcptTo.map(() => '2.0.0 ok'));
      });
    },
  }, {}, null);
  await listen(sink, { host: '127.0.0.1', port: 0 });
  const sinkPort = (sink.server.address() as net.AddressInfo).port;
  smtpPort = await freePort();
  confDir = join(env.dir, 'postfix');
  for (const d of ['', 'spool', 'data']) mkdirSync(join(confDir, d), { recursive: true });
  // Postfix's daemons run as the postfix user: they must reach the config and own data_directory
  chmodSync(env.dir, 0o755);
  chmodSync(confDir, 0o755);
  const uid = Number(execFileSync('id', ['-u', 'postfix']).toString().trim());
  chownSync(join(confDir, 'data'), uid, -1);
  writeFileSync(join(confDir, 'main.cf'), [
    'compatibility_level = 3.6',
    `queue_directory = ${join(confDir, 'spool')}`,
    `data_directory = ${join(confDir, 'data')}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `maillog_file = ${join(confDir, 'maillog')}`,
    `maillog_file_prefixes = ${confDir}`,
    'inet_interfaces = 127.0.0.1',
    'inet_protocols = ipv4',
    'myhostname = mta.example.test',
    'mydomain = example.test',
    'mydestination =',
    'alias_maps =',
    'alias_database =',
    'mynetworks = 127.0.0.0/8',
    'smtpd_recipient_restrictions = permit_mynetworks, reject',
    'smtpd_reject_unlisted_recipient = no',
    'virtual_mailbox_domains = example.test',
    `virtual_transport = lmtp:inet:127.0.0.1:${lmtpPort}`,
    'relay_domains = remote.test',
    `relay_transport = lmtp:inet:127.0.0.1:${sinkPort}`,
    `default_transport = lmtp:inet:127.0.0.1:${sinkPort}`,
    'smtputf8_enable = no',
    'biff = no',
    'queue_run_delay = 1s',
    'minimal_backoff_time = 1s',
    'maximal_backoff_time = 2s',
    '',
  ].join('\n'));
  const svc = (name: string, type: string, priv: string, wakeup: string, limit: string, cmd: string): string => `${name} ${type} ${priv} - n ${wakeup} ${limit} ${cmd}`;
  writeFileSync(join(confDir, 'master.cf'), [
    `127.0.0.1:${smtpPort} inet n - n - - smtpd`,
    svc('pickup', 'unix', 'n', '60', '1', 'pickup'),
    svc('cleanup', 'unix', 'n', '-', '0', 'cleanup'),
    svc('qmgr', 'unix', 'n', '300', '1', 'qmgr'),
    svc('rewrite', 'unix', '-', '-', '-', 'trivial-rewrite'),
    svc('bounce', 'unix', '-', '-', '0', 'bounce'),
    svc('defer', 'unix', '-', '-', '0', 'bounce'),
    svc('trace', 'unix', '-', '-', '0', 'bounce'),
    svc('verify', 'unix', '-', '-', '1', 'verify'),
    svc('flush', 'unix', 'n', '1000?', '0', 'flush'),
    svc('proxymap', 'unix', '-', '-', '-', 'proxymap'),
    svc('smtp', 'unix', '-', '-', '-', 'smtp'),
    svc('relay', 'unix', '-', '-', '-', 'smtp'),
    svc('error', 'unix', '-', '-', '-', 'error'),
    svc('retry', 'unix', '-', '-', '-', 'error'),
    svc('discard', 'unix', '-', '-', '-', 'discard'),
    svc('lmtp', 'unix', '-', '-', '-', 'lmtp'),
    svc('anvil', 'unix', '-', '-', '1', 'anvil'),
    svc('scache', 'unix', '-', '-', '1', 'scache'),
    svc('showq', 'unix', 'n', '-', '-', 'showq'),
    svc('postlog', 'unix-dgram', 'n', '-', '1', 'postlogd'),
    '',
  ].join('\n'));
  postfix('start');
  const settings = testSmtpSettings({ fqdn: 'mx.example.test', smarthost: `127.0.0.1:${smtpPort}`, smarthostTls: 'none' });
  queue = openOutboundQueue({ dataDir: env.dir, settings: () => settings, mailboxes: env.mailboxes, logger: silentLogger });
});

after(async () => {
  if (skip) return;
  try {
    postfix('stop');
  } catch {
    // already stopped
  }
  await queue?.stop();
  await lmtp?.stop();
  if (sink) await closeServer(sink);
  await env?.cleanup();
});

async function waitForPort(port: number): Promise<void> {
  await waitFor(() => new Promise<boolean>((r) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
    s.on('error', () => r(false));
  }), `Postfix on port ${port}`, 800);
}

test('Postfix delivers inbound mail over LMTP: two local users get it, the unknown one bounces', { skip }, async (t) => {
  await waitForPort(smtpPort);
  const c = await RawSmtpClient.connect({ port: smtpPort });
  t.after(() => c.close());
  assert.equal((await c.reply()).code, 220);
  await c.cmd('EHLO client.remote.test');
  assert.equal((await c.cmd('MAIL FROM:<sender@remote.test>')).code, 250);
  for (const r of [ALICE, BOB, 'nobody@example.test']) assert.equal((await c.cmd(`RCPT TO:<${r}>`)).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  assert.equal((await c.cmd('From: sender@remote.test\r\nSubject: via postfix\r\n\r\nhello\r\n.')).code, 250);
  await c.cmd('QUIT');
  const has = async (u: string): Promise<boolean> => (await messagesIn(env, u)).some((m) => /Subject: via postfix/.test(m.toString()));
  await waitFor(async () => (await has(ALICE)) && (await has(BOB)), 'delivery to alice and bob', 1200);
  const bounce = await waitFor(() => sunk.find((s) => s.to.includes('sender@remote.test')), 'the bounce for nobody@', 1200);
  assert.match(bounce.data, /nobody@example\.test/);
  assert.match(bounce.data, /5\.1\.1/);
});

test('Postfix as smarthost: the message waits while it is stopped and is relayed after it starts', { skip }, async () => {
  postfix('stop');
  await waitFor(() => new Promise<boolean>((r) => {
    const s = net.connect(smtpPort, '127.0.0.1', () => { s.destroy(); r(false); });
    s.on('error', () => r(true));
  }), 'Postfix to stop', 800);
  const id = await queue.enqueue({ from: ALICE, to: ['friend@remote.test'], raw: Buffer.from('From: alice@example.test\r\nSubject: outbound via postfix\r\n\r\nhi\r\n') });
  await queue.runOnce();
  const [entry] = await queue.list();
  assert.equal(entry?.id, id);
  assert.equal(entry.attempts, 1);
  postfix('start');
  await waitForPort(smtpPort);
  await queue.retry(id);
  await queue.runOnce();
  assert.deepEqual(await queue.list(), []);
  const got = await waitFor(() => sunk.find((s) => s.to.includes('friend@remote.test')), 'the relayed message at the far end', 1200);
  assert.equal(got.from, ALICE);
  assert.match(got.data, /Subject: outbound via postfix/);
});
