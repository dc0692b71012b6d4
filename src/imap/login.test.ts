import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, RawClient, USER, PASSWORD, type Harness } from './test-support.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const plain = (u: string, p: string): string => Buffer.from(`\0${u}\0${p}`).toString('base64');

test('SecureLogin on a cleartext port: STARTTLS LOGINDISABLED, no AUTH=, logins refused by policy', async (t) => {
  const c = await RawClient.connect(h, 'plain');
  t.after(() => c.close());
  const caps = await c.cmd('a', 'CAPABILITY');
  assert.match(caps, /^\* CAPABILITY .*\bSTARTTLS\b.*\bLOGINDISABLED\b/m);
  assert.doesNotMatch(caps, /AUTH=/);
  assert.match(await c.cmd('b', `LOGIN ${USER} "${PASSWORD}"`), /^b NO \[PRIVACYREQUIRED\]/m);
  assert.match(await c.cmd('c', `AUTHENTICATE PLAIN ${plain(USER, PASSWORD)}`), /^c NO \[PRIVACYREQUIRED\]/m);
});

test('STARTTLS: pipelined cleartext is discarded; capabilities afresh; login works after', async (t) => {
  const c = await RawClient.connect(h, 'plain');
  t.after(() => c.close());
  c.write('s1 STARTTLS\r\ns2 NOOP\r\n');
  const r = await c.waitFor(/^s1 OK[^\r\n]*\r\n/m);
  assert.doesNotMatch(r, /s2/);
  await c.startTls(h);
  const caps = await c.cmd('s3', 'CAPABILITY');
  assert.doesNotMatch(caps, /s2 /, 'the pipelined NOOP was never answered');
  assert.doesNotMatch(caps, /STARTTLS|LOGINDISABLED/);
  assert.match(caps, /AUTH=PLAIN/);
  assert.match(await c.cmd('s4', 'STARTTLS'), /^s4 BAD/m);
  const ok = await c.cmd('s5', `LOGIN ${USER} "${PASSWORD}"`);
  assert.match(ok, /^s5 OK \[CAPABILITY IMAP4rev1 [^\]]*\bUIDPLUS\b[^\]]*\] /m);
});

test('implicit TLS: greeting with capabilities, AUTHENTICATE PLAIN with SASL-IR and with a continuation', async (t) => {
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => c.close());
  assert.match(await c.cmd('x', 'STARTTLS'), /^x BAD/m);
  c.write('a AUTHENTICATE PLAIN\r\n');
  await c.waitFor(/^\+ \r\n/m);
  c.write('*\r\n');
  assert.match(await c.waitFor(/^a (OK|NO|BAD)[^\r\n]*\r\n/m), /^a BAD/m);
  assert.match(await c.cmd('b', `AUTHENTICATE PLAIN ${plain(USER, 'wrong')}`), /^b NO \[AUTHENTICATIONFAILED\]/m);
  c.write('c AUTHENTICATE PLAIN\r\n');
  await c.waitFor(/^\+ [^\r\n]*\r\n/m);
  c.write(plain(USER, PASSWORD) + '\r\n');
  assert.match(await c.waitFor(/^c (OK|NO|BAD)[^\r\n]*\r\n/m), /^c OK \[CAPABILITY /m);
  assert.match(await c.cmd('d', 'NOOP'), /^d OK/m);
});

test('pipelined commands after LOGIN are served by the backend in order', async (t) => {
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => c.close());
  c.write(`p1 LOGIN ${USER} "${PASSWORD}"\r\np2 SELECT INBOX\r\np3 LOGOUT\r\n`);
  const r = await c.waitFor(/^p3 OK[^\r\n]*\r\n/m);
  assert.match(r, /^p1 OK[^\r\n]*\r\n(.|\r\n)*^p2 OK \[READ-WRITE\](.|\r\n)*^\* BYE/m);
});

test('three bad commands before login end the session', async (t) => {
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => c.close());
  assert.match(await c.cmd('a', 'FOO'), /^a BAD/m);
  assert.match(await c.cmd('b', 'SELECT INBOX'), /^b BAD/m);
  c.write('c LOGIN\r\n');
  await c.waitFor(/^\* BYE[^\r\n]*\r\n/m);
  await c.waitClosed();
});

test('a literal over the limit is refused before "+"', async (t) => {
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => c.close());
  c.write('a LOGIN {999999999}\r\n');
  const r = await c.waitFor(/^a (NO|BAD)[^\r\n]*\r\n/m);
  assert.doesNotMatch(r, /^\+/m);
  assert.match(r, /^a NO \[TOOBIG\]/m);
  assert.match(await c.cmd('b', 'NOOP'), /^b OK/m);
});

test('backend stopped: a correct login gets NO [UNAVAILABLE] and the frontend stays up', async (t) => {
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => { h.backendOn = true; c.close(); });
  h.backendOn = false;
  assert.match(await c.cmd('a', `LOGIN ${USER} "${PASSWORD}"`), /^a NO \[UNAVAILABLE\]/m);
  assert.match(await c.cmd('b', 'NOOP'), /^b OK/m);
  h.backendOn = true;
  assert.match(await c.cmd('c', `LOGIN ${USER} "${PASSWORD}"`), /^c OK/m);
});

test('ID, NOOP and LOGOUT before login', async (t) => {
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => c.close());
  assert.match(await c.cmd('a', 'ID ("name" "test")'), /^\* ID \("name" "Portcullis"/m);
  assert.match(await c.cmd('b', 'NOOP'), /^b OK/m);
  const bye = await c.cmd('c', 'LOGOUT');
  assert.match(bye, /^\* BYE[^\r\n]*\r\nc OK/m);
});

test('AUTHENTICATE: malformed base64 in the initial response and in a continuation get BAD; the session goes on', async (t) => {
  // (a third BAD before login would end the session: see 'three bad commands before login')
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => c.close());
  const truncated = plain(USER, PASSWORD).slice(0, -1); // one character short: not base64
  assert.match(await c.cmd('a', `AUTHENTICATE PLAIN ${truncated}`), /^a BAD Invalid base64 in initial response\r\n/m);
  c.write('b AUTHENTICATE PLAIN\r\n');
  await c.waitFor(/^\+ \r\n/m);
  c.write(`${truncated}\r\n`);
  assert.match(await c.waitFor(/^b (OK|NO|BAD)[^\r\n]*\r\n/m), /^b BAD Invalid base64 in SASL response\r\n/m);
  assert.match(await c.cmd('d', 'NOOP'), /^d OK/m);
  assert.match(await c.cmd('e', `AUTHENTICATE PLAIN ${plain(USER, PASSWORD)}`), /^e OK \[CAPABILITY /m);
});

test('AUTHENTICATE LOGIN: username and password prompts, with and without an initial response', async (t) => {
  const b = (s: string): string => Buffer.from(s).toString('base64');
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => c.close());
  c.write('a AUTHENTICATE LOGIN\r\n');
  assert.equal(await c.waitFor(/^\+ [^\r\n]*\r\n/m), `+ ${b('Username:')}\r\n`);
  c.write(`${b(USER)}\r\n`);
  assert.equal(await c.waitFor(/^\+ [^\r\n]*\r\n/m), `+ ${b('Password:')}\r\n`);
  c.write(`${b('wrong password')}\r\n`);
  assert.match(await c.waitFor(/^a (OK|NO|BAD)[^\r\n]*\r\n/m), /^a NO \[AUTHENTICATIONFAILED\]/m);
  c.write('x AUTHENTICATE LOGIN\r\n');
  await c.waitFor(/^\+ [^\r\n]*\r\n/m);
  c.write('!!!!\r\n');
  assert.match(await c.waitFor(/^x (OK|NO|BAD)[^\r\n]*\r\n/m), /^x BAD Invalid base64 in SASL response\r\n/m);
  c.write(`b AUTHENTICATE LOGIN ${b(USER)}\r\n`); // SASL-IR: the username comes with the command
  assert.equal(await c.waitFor(/^\+ [^\r\n]*\r\n/m), `+ ${b('Password:')}\r\n`);
  c.write(`${b(PASSWORD)}\r\n`);
  assert.match(await c.waitFor(/^b (OK|NO|BAD)[^\r\n]*\r\n/m), /^b OK \[CAPABILITY /m);
  assert.match(await c.cmd('c', 'SELECT INBOX'), /^c OK \[READ-WRITE\]/m);
});
