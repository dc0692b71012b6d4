// Submission over real sockets and real TLS: login policy, STARTTLS pipelining, sender checks,
// local delivery, queueing, size and recipient limits, SMTP smuggling.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningService } from '../net/listener.js';
import type { OutboundQueue } from './queue.js';
import { testSmtpSettings, type SmtpSettings } from './settings.js';
import { RawSmtpClient, startTestSubmission, b64, makeEnv, messagesIn, type Env } from './testkit.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
let env: Env;
let svc: RunningService;
let queue: OutboundQueue;
let settings: SmtpSettings;
let port587 = 0;
let port465 = 0;

before(async () => {
  env = await makeEnv([{ address: ALICE, password: 'alice-pw-1' }, { address: BOB, password: 'bob-pw-1' }]);
  settings = testSmtpSettings({
    fqdn: 'mx.example.test',
    sslBindings: [{ host: '127.0.0.1', port: 0 }],
    unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }],
    maxRecipients: 3,
    maxMessageSize: 64 * 1024,
  });
  ({ svc, queue, port465, port587 } = await startTestSubmission(env, () => settings));
});

after(async () => {
  await svc?.stop();
  await queue?.stop();
  await env?.cleanup();
});

/** A client logged in as alice over STARTTLS, after EHLO. */
async function loggedIn(t: { after: (fn: () => void) => void }): Promise<RawSmtpClient> {
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  assert.equal((await c.reply()).code, 220);
  await c.cmd('EHLO client.example.test');
  assert.equal((await c.cmd('STARTTLS')).code, 220);
  await c.startTls(env.tls.certPem);
  assert.equal((await c.cmd('EHLO client.example.test')).code, 250);
  assert.equal((await c.cmd('AUTH PLAIN ' + b64(`\0${ALICE}\0alice-pw-1`))).code, 235);
  return c;
}

test('cleartext 587: no AUTH advertised, AUTH and MAIL refused with 530 5.7.0', async (t) => {
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  const greeting = await c.reply();
  assert.match(greeting.text, /^220 mx\.example\.test ESMTP/);
  const ehlo = await c.cmd('EHLO client.example.test');
  assert.equal(ehlo.code, 250);
  assert.ok(ehlo.lines.some((l) => /STARTTLS/.test(l)), ehlo.text);
  assert.ok(ehlo.lines.some((l) => /SIZE 65536/.test(l)), ehlo.text);
  assert.ok(!ehlo.lines.some((l) => /AUTH/.test(l)), ehlo.text);
  assert.equal((await c.cmd('AUTH PLAIN ' + b64(`\0${ALICE}\0alice-pw-1`))).text, '530 5.7.0 Must issue a STARTTLS command first');
  assert.equal((await c.cmd('AUTH LOGIN')).text, '530 5.7.0 Must issue a STARTTLS command first');
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).text, '530 5.7.0 Authentication required');
});

test('STARTTLS: pipelined EHLO in the same write is never answered; EHLO state reset after TLS', async (t) => {
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  await c.reply();
  await c.cmd('EHLO client.example.test');
  c.write('STARTTLS\r\nEHLO injected.example\r\n');
  assert.equal((await c.reply()).code, 220);
  // The TLS handshake only succeeds if the server wrote nothing else in cleartext.
  await c.startTls(env.tls.certPem);
  assert.equal(c.pending(), '');
  // EHLO state was forgotten: MAIL needs a fresh EHLO first
  assert.match((await c.cmd(`MAIL FROM:<${ALICE}>`)).text, /^503 /);
  const ehlo = await c.cmd('EHLO client.example.test');
  assert.equal(ehlo.code, 250);
  assert.ok(ehlo.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)), ehlo.text);
  assert.ok(!ehlo.lines.some((l) => /STARTTLS/.test(l)), ehlo.text);
  assert.equal((await c.cmd('NOOP')).code, 250);
  assert.equal(c.pending(), '');
  assert.equal((await c.cmd('STARTTLS')).code, 503);
});

test('after TLS: wrong password 535 5.7.8, right one 235; spoofed sender 553 5.7.1', async (t) => {
  const c = await RawSmtpClient.connect({ port: port465 }, { tls: { ca: env.tls.certPem } });
  t.after(() => c.close());
  assert.equal((await c.reply()).code, 220);
  const ehlo = await c.cmd('EHLO client.example.test');
  assert.ok(ehlo.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)), ehlo.text);
  assert.equal((await c.cmd('AUTH PLAIN ' + b64(`\0${ALICE}\0wrong`))).text, '535 5.7.8 Authentication credentials invalid');
  assert.equal((await c.cmd('AUTH LOGIN')).code, 334);
  assert.equal((await c.cmd(b64(ALICE))).code, 334);
  assert.equal((await c.cmd(b64('wrong'))).text, '535 5.7.8 Authentication credentials invalid');
  // LOGIN with an initial response (the user name): only the password is asked.
  assert.equal((await c.cmd(`AUTH LOGIN ${b64(ALICE)}`)).text, `334 ${b64('Password:')}`);
  assert.equal((await c.cmd(b64('alice-pw-1'))).code, 235);
  assert.equal((await c.cmd(`MAIL FROM:<${BOB}>`)).text, `553 5.7.1 Sender address rejected: not owned by user ${ALICE}`);
  assert.equal((await c.cmd('MAIL FROM:<>')).code, 553);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
});

test('a message to a local user lands in INBOX with a Received header naming TLS version and cipher', async (t) => {
  const c = await loggedIn(t);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
  assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const r = await c.cmd('From: Alice <alice@example.test>\r\nSubject: hello bob\r\n\r\nHi Bob.\r\n..leading dot\r\n.');
  assert.match(r.text, /^250 2\.0\.0 /);
  const msgs = await messagesIn(env, BOB);
  const last = msgs.at(-1)?.toString('latin1') ?? '';
  assert.match(last, /^Received: from client\.example\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Portcullis\) with ESMTPSA\r\n\ttls TLS_\w+ \(version=TLSv1\.[23]\)/);
  assert.match(last, /Subject: hello bob\r\n\r\nHi Bob\.\r\n\.leading dot\r\n$/);
});

test('remote recipients go to the durable queue; 452 4.5.3 past max-recipients', async (t) => {
  const c = await loggedIn(t);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
  for (const r of ['x1@remote.test', 'x2@remote.test', BOB]) assert.equal((await c.cmd(`RCPT TO:<${r}>`)).code, 250);
  assert.equal((await c.cmd('RCPT TO:<x4@remote.test>')).text, '452 4.5.3 Error: too many recipients');
  const before = (await messagesIn(env, BOB)).length;
  await c.cmd('DATA');
  const r = await c.cmd('Subject: mixed\r\n\r\nbody\r\n.');
  assert.match(r.text, /^250 2\.0\.0 .*queued as (\S+)\)/);
  const id = /queued as (\S+)\)/.exec(r.text)?.[1];
  const entries = await queue.list();
  const entry = entries.find((e) => e.id === id);
  assert.ok(entry, 'queue entry exists');
  assert.deepEqual(entry.to, ['x1@remote.test', 'x2@remote.test']);
  assert.equal(entry.from, ALICE);
  assert.equal((await messagesIn(env, BOB)).length, before + 1);
  assert.ok(await queue.remove(entry.id));
});

test('oversize: refused at MAIL SIZE= and during DATA with 552 5.3.4', async (t) => {
  const c = await loggedIn(t);
  assert.match((await c.cmd(`MAIL FROM:<${ALICE}> SIZE=1000000`)).text, /^552 5\.3\.4 /);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
  assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  const before = (await messagesIn(env, BOB)).length;
  const line = 'x'.repeat(998) + '\r\n';
  c.write('Subject: big\r\n\r\n' + line.repeat(80));
  const r = await c.cmd('.');
  assert.match(r.text, /^552 5\.3\.4 /);
  assert.equal((await messagesIn(env, BOB)).length, before);
  assert.equal((await c.cmd('NOOP')).code, 250);
});

for (const [name, sep] of [['bare LF', '\n.\n'], ['CRLF . LF', '\r\n.\n'], ['LF . CRLF', '\n.\r\n'], ['bare CR', '\r.\r']] as const) {
  test(`SMTP smuggling (${name}): only CRLF.CRLF ends DATA, and the message is refused`, async (t) => {
    const c = await loggedIn(t);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const before = (await messagesIn(env, BOB)).length;
    c.write(`Subject: s\r\n\r\nhello${sep}MAIL FROM:<${ALICE}>\r\nRCPT TO:<${BOB}>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n`);
    const r = await c.reply();
    assert.match(r.text, /^554 5\.6\.0 Message refused: .*smuggling/);
    // the smuggled commands were message content: nothing else is answered
    assert.equal((await c.cmd('NOOP')).code, 250);
    assert.equal(c.pending(), '');
    assert.equal((await messagesIn(env, BOB)).length, before);
  });
}

test('bare LF line ends (no dot line) are normalised to CRLF', async (t) => {
  const c = await loggedIn(t);
  await c.cmd(`MAIL FROM:<${ALICE}>`);
  await c.cmd(`RCPT TO:<${BOB}>`);
  await c.cmd('DATA');
  assert.equal((await c.cmd('Subject: lf\n\nline one\nline two\r\n.')).code, 250);
  const last = (await messagesIn(env, BOB)).at(-1)?.toString('latin1') ?? '';
  assert.match(last, /Subject: lf\r\n\r\nline one\r\nline two\r\n$/);
});

test('PlainTextLogin allows AUTH in cleartext, but require-tls still refuses MAIL', async (t) => {
  env.loginType.smtp = 'PlainTextLogin';
  t.after(() => (env.loginType.smtp = 'SecureLogin'));
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  await c.reply();
  const ehlo = await c.cmd('EHLO client.example.test');
  assert.ok(ehlo.lines.some((l) => /AUTH PLAIN LOGIN/.test(l)), ehlo.text);
  assert.equal((await c.cmd('AUTH PLAIN ' + b64(`\0${ALICE}\0alice-pw-1`))).code, 235);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).text, '530 5.7.0 Must issue a STARTTLS command first');
});

test('garbage and unknown commands get replies, the session goes on', async (t) => {
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  await c.reply();
  assert.match((await c.cmd('FOO bar')).text, /^500 /);
  assert.match((await c.cmd('EHLO')).text, /^501 /);
  assert.match((await c.cmd('RCPT TO:<x@y>')).text, /^(503|530) /);
  assert.equal((await c.cmd('NOOP')).code, 250);
  assert.equal((await c.cmd('QUIT')).code, 221);
});

test('AUTH: "*" cancels with 501 and malformed base64 gets 501, for PLAIN, LOGIN and SCRAM; the session goes on', async (t) => {
  const c = await RawSmtpClient.connect({ port: port465 }, { tls: { ca: env.tls.certPem } });
  t.after(() => c.close());
  assert.equal((await c.reply()).code, 220);
  const ehlo = await c.cmd('EHLO client.example.test');
  assert.ok(ehlo.lines.some((l) => /AUTH .*\bSCRAM-SHA-256\b/.test(l)), ehlo.text);
  const truncated = b64(`\0${ALICE}\0alice-pw-1`).slice(0, -1); // one character short: not base64
  // PLAIN and LOGIN (run by the SMTP library) and SCRAM-SHA-256 (run by our own exchange).
  for (const mech of ['PLAIN', 'LOGIN', 'SCRAM-SHA-256']) {
    assert.equal((await c.cmd(`AUTH ${mech}`)).code, 334, mech);
    assert.match((await c.cmd('*')).text, /^501 /, `${mech} cancelled`);
    assert.equal((await c.cmd(`AUTH ${mech}`)).code, 334, mech);
    assert.match((await c.cmd('!!!!')).text, /^501 /, `${mech} with malformed base64`);
    assert.match((await c.cmd(`AUTH ${mech} ${truncated}`)).text, /^501 /, `${mech} with a malformed initial response`);
  }
  assert.equal((await c.cmd(`AUTH LOGIN ${b64(ALICE)}`)).code, 334);
  assert.match((await c.cmd(b64('alice-pw-1').replace(/=+$/, ''))).text, /^501 /, 'a LOGIN password without its padding');
  assert.equal((await c.cmd('NOOP')).code, 250);
  assert.equal((await c.cmd('AUTH PLAIN ' + b64(`\0${ALICE}\0alice-pw-1`))).code, 235);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
});
