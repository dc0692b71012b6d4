/**
 * SCRAM-SHA-256 and SCRAM-SHA-256-PLUS end to end over IMAP AUTHENTICATE, POP3 AUTH and SMTP AUTH:
 * real servers, real TLS, the test's own SCRAM client (testing/scram-client.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../core/log.js';
import { startHarness, USER, PASSWORD, type Harness } from '../imap/test-support.js';
import type { RunningService } from '../net/listener.js';
import { startPopFixture, type PopFixture } from '../pop3/testkit.js';
import { openOutboundQueue, type OutboundQueue } from '../smtp/queue.js';
import { testSmtpSettings } from '../smtp/settings.js';
import { startSubmission } from '../smtp/submission.js';
import { makeEnv, type Env } from '../smtp/testkit.js';
import { LineClient, ScramClient, b64, clientChannelBinding, unb64, type ScramClientOptions } from './testing/scram-client.js';

type CbChoice = 'none' | 'tls-exporter' | 'tls-server-end-point' | 'wrong';

function clientFor(c: LineClient, user: string, password: string, cb: CbChoice): ScramClient {
  const opts: ScramClientOptions = {};
  if (cb === 'tls-exporter' || cb === 'tls-server-end-point') opts.channelBinding = { type: cb, data: clientChannelBinding(c.tlsSocket, cb) };
  if (cb === 'wrong') opts.channelBinding = { type: 'tls-exporter', data: Buffer.alloc(32, 1) };
  return new ScramClient(user, password, opts);
}
const mech = (cb: CbChoice): string => (cb === 'none' ? 'SCRAM-SHA-256' : 'SCRAM-SHA-256-PLUS');

// ---------------- IMAP ----------------
let imap: Harness;
before(async () => { imap = await startHarness(); });
after(async () => { await imap?.close(); });

async function imapScram(user: string, password: string, cb: CbChoice): Promise<{ tagged: string; serverVerified: boolean }> {
  const c = await LineClient.connect(imap.implicitPort, imap.certPem);
  try {
    await c.line();
    const sc = clientFor(c, user, password, cb);
    c.send(`A1 AUTHENTICATE ${mech(cb)} ${b64(sc.first())}`);
    const l1 = await c.line();
    if (!l1.startsWith('+ ')) return { tagged: l1, serverVerified: false };
    c.send(b64(sc.final(unb64(l1.slice(2)))));
    const l2 = await c.line();
    if (!l2.startsWith('+ ')) return { tagged: l2, serverVerified: false };
    const verified = sc.verify(unb64(l2.slice(2)));
    c.send('');
    return { tagged: await c.until(/^A1 /), serverVerified: verified };
  } finally {
    c.close();
  }
}

test('IMAP: CAPABILITY over TLS advertises SCRAM and SCRAM-PLUS', async () => {
  const c = await LineClient.connect(imap.implicitPort, imap.certPem);
  const greeting = await c.line();
  c.close();
  assert.match(greeting, /AUTH=SCRAM-SHA-256 AUTH=SCRAM-SHA-256-PLUS/);
});

for (const cb of ['none', 'tls-exporter', 'tls-server-end-point'] as const) {
  test(`IMAP: ${mech(cb)} (${cb}) logs in and the server proves itself`, async () => {
    const r = await imapScram(USER, PASSWORD, cb);
    assert.match(r.tagged, /^A1 OK/);
    assert.equal(r.serverVerified, true);
  });
}

test('IMAP: a channel-binding mismatch and a wrong password fail', async () => {
  const mismatch = await imapScram(USER, PASSWORD, 'wrong');
  assert.match(mismatch.tagged, /^A1 NO \[AUTHENTICATIONFAILED\]/);
  const wrong = await imapScram(USER, 'not the password', 'none');
  assert.match(wrong.tagged, /^A1 NO \[AUTHENTICATIONFAILED\]/);
  const unknown = await imapScram('nobody@example.org', PASSWORD, 'none');
  assert.match(unknown.tagged, /^A1 NO \[AUTHENTICATIONFAILED\]/);
});

test('IMAP: SCRAM with a foreign authzid is refused with AUTHORIZATIONFAILED', async () => {
  const c = await LineClient.connect(imap.implicitPort, imap.certPem);
  try {
    await c.line();
    const sc = new ScramClient(USER, PASSWORD, { authzid: 'bob@example.org' });
    c.send(`A1 AUTHENTICATE SCRAM-SHA-256 ${b64(sc.first())}`);
    const l1 = await c.line();
    c.send(b64(sc.final(unb64(l1.slice(2)))));
    assert.match(await c.until(/^A1 /), /^A1 NO \[AUTHORIZATIONFAILED\]/);
  } finally {
    c.close();
  }
});

test('IMAP: cancel and garbage during SCRAM get clean replies', async () => {
  const c = await LineClient.connect(imap.implicitPort, imap.certPem);
  try {
    await c.line();
    c.send('A1 AUTHENTICATE SCRAM-SHA-256');
    assert.equal(await c.line(), '+ ');
    c.send('*');
    assert.match(await c.line(), /^A1 BAD/);
    c.send(`A2 AUTHENTICATE SCRAM-SHA-256 ${b64('garbage')}`);
    assert.match(await c.line(), /^A2 NO/);
    c.send('A3 NOOP');
    assert.match(await c.line(), /^A3 OK/);
  } finally {
    c.close();
  }
});

// ---------------- POP3 ----------------
let pop: PopFixture;
const popCleanups: Array<() => Promise<void> | void> = [];
after(async () => { for (const f of popCleanups) await f(); });
before(async () => {
  pop = await startPopFixture((fn) => popCleanups.push(fn));
  await pop.addUser('carol@example.org', 'carol pop password');
});

async function popScram(user: string, password: string, cb: CbChoice): Promise<string> {
  const c = await LineClient.connect(pop.tlsPort, pop.ca);
  try {
    await c.line();
    const sc = clientFor(c, user, password, cb);
    c.send(`AUTH ${mech(cb)} ${b64(sc.first())}`);
    const l1 = await c.line();
    if (!l1.startsWith('+ ')) return l1;
    c.send(b64(sc.final(unb64(l1.slice(2)))));
    const l2 = await c.line();
    if (!l2.startsWith('+ ')) return l2;
    assert.ok(sc.verify(unb64(l2.slice(2))), 'server signature');
    c.send('');
    return await c.line();
  } finally {
    c.close();
  }
}

test('POP3: CAPA lists SCRAM; SCRAM and SCRAM-PLUS log in; mismatch fails', async () => {
  const c = await LineClient.connect(pop.tlsPort, pop.ca);
  await c.line();
  c.send('CAPA');
  const sasl = await c.until(/^SASL /);
  c.close();
  assert.match(sasl, /SCRAM-SHA-256 SCRAM-SHA-256-PLUS/);
  assert.match(await popScram('carol@example.org', 'carol pop password', 'none'), /^\+OK/);
  assert.match(await popScram('carol@example.org', 'carol pop password', 'tls-exporter'), /^\+OK/);
  assert.match(await popScram('carol@example.org', 'carol pop password', 'wrong'), /^-ERR \[AUTH\]/);
});

// ---------------- SMTP ----------------
let env: Env;
let queue: OutboundQueue;
let smtp: RunningService;
let port465 = 0;
before(async () => {
  env = await makeEnv([{ address: 'dave@example.test', password: 'dave smtp password' }]);
  const settings = testSmtpSettings({
    fqdn: 'mx.example.test', sslBindings: [{ host: '127.0.0.1', port: 0 }], unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }],
  });
  queue = openOutboundQueue({ dataDir: env.dir, settings: () => settings, mailboxes: env.mailboxes, logger: silentLogger });
  smtp = await startSubmission({ settings: () => settings, tls: env.tls, auth: env.auth, mailboxes: env.mailboxes, queue, logger: silentLogger, accounts: env.store });
  port465 = smtp.listeners.addresses().find((a) => a.kind === 'implicit')?.port ?? 0;
});
after(async () => {
  await smtp?.stop();
  await queue?.stop();
  await env?.cleanup();
});

async function smtpScram(user: string, password: string, cb: CbChoice): Promise<string> {
  const c = await LineClient.connect(port465, env.tls.certPem);
  try {
    await c.until(/^220 /);
    c.send('EHLO client.example');
    const ehlo: string[] = [];
    for (let l = await c.line(); ; l = await c.line()) {
      ehlo.push(l);
      if (/^250 /.test(l)) break;
    }
    assert.ok(ehlo.some((l) => /AUTH .*SCRAM-SHA-256 SCRAM-SHA-256-PLUS/.test(l)), ehlo.join('\n'));
    const sc = clientFor(c, user, password, cb);
    c.send(`AUTH ${mech(cb)} ${b64(sc.first())}`);
    const l1 = await c.line();
    if (!l1.startsWith('334 ')) return l1;
    c.send(b64(sc.final(unb64(l1.slice(4)))));
    const l2 = await c.line();
    if (!l2.startsWith('334 ')) return l2;
    assert.ok(sc.verify(unb64(l2.slice(4))), 'server signature');
    c.send('');
    const done = await c.line();
    c.send('MAIL FROM:<dave@example.test>');
    const mail = await c.line();
    return `${done}\n${mail}`;
  } finally {
    c.close();
  }
}

test('SMTP: EHLO lists SCRAM; SCRAM and SCRAM-PLUS authenticate; mismatch fails', async () => {
  assert.match(await smtpScram('dave@example.test', 'dave smtp password', 'none'), /^235 [\s\S]*\n250 /);
  assert.match(await smtpScram('dave@example.test', 'dave smtp password', 'tls-server-end-point'), /^235 /);
  assert.match(await smtpScram('dave@example.test', 'dave smtp password', 'wrong'), /^535 /);
  assert.match(await smtpScram('dave@example.test', 'wrong password', 'none'), /^535 /);
});
