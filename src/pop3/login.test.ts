import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoginType } from '../auth/types.js';
import { startPopFixture, type PopClient, type PopFixture } from './testkit.js';

const b64 = (s: string): string => Buffer.from(s, 'latin1').toString('base64');

async function capa(c: PopClient): Promise<string[]> {
  const [first, lines] = await c.multi('CAPA');
  assert.match(first, /^\+OK/);
  return lines;
}

async function fixture(t: { after: (fn: () => Promise<void>) => void }, loginType: LoginType = 'SecureLogin'): Promise<PopFixture> {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }), { loginType });
  await f.addUser('alice@example.org', 'secret pw');
  return f;
}

test('greeting and CAPA on the TLS port, SecureLogin', async (t) => {
  const f = await fixture(t);
  const c = await f.connect('tls');
  assert.equal(await c.readLine(), '+OK Portcullis POP3 service ready');
  assert.deepEqual(await capa(c), [
    'TOP', 'UIDL', 'USER', 'SASL PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'EXPIRE NEVER',
    'IMPLEMENTATION Portcullis',
  ]);
});

const EXPECT: Record<LoginType, { before: { user: boolean; sasl: boolean } }> = {
  SecureLogin: { before: { user: false, sasl: false } },
  PlainTextAuthentication: { before: { user: false, sasl: false } },
  PlainTextLogin: { before: { user: true, sasl: true } },
};

for (const loginType of Object.keys(EXPECT) as LoginType[]) {
  test(`${loginType}: CAPA and logins before and after STLS`, async (t) => {
    const f = await fixture(t, loginType);
    const c = await f.ready('plain');
    const before = await capa(c);
    assert.equal(before.includes('USER'), EXPECT[loginType].before.user);
    assert.equal(before.some((l) => l.startsWith('SASL PLAIN LOGIN')), EXPECT[loginType].before.sasl);
    assert.ok(before.includes('STLS'));
    if (!EXPECT[loginType].before.user) {
      // Refused by policy before any credential is looked at, with the same [AUTH] code.
      assert.match(await c.cmd('USER alice@example.org'), /^-ERR \[AUTH\] /);
      assert.match(await c.cmd('PASS secret pw'), /^-ERR \[AUTH\] /);
      assert.match(await c.cmd(`AUTH PLAIN ${b64('\0alice@example.org\0secret pw')}`), /^-ERR \[AUTH\] /);
      assert.match(await c.cmd('AUTH LOGIN'), /^-ERR \[AUTH\] /);
      // Policy refusals are not failed logins: the connection is still open.
      assert.equal(await c.cmd('STLS'), '+OK Begin TLS negotiation');
      await c.upgrade();
      const after = await capa(c);
      assert.ok(after.includes('USER') && after.some((l) => l.startsWith('SASL PLAIN LOGIN')) && !after.includes('STLS'));
      assert.match(await c.login('alice@example.org', 'secret pw'), /^\+OK Logged in; maildrop has 0 messages \(0 octets\)/);
    } else {
      assert.match(await c.login('alice@example.org', 'secret pw'), /^\+OK Logged in/);
    }
    assert.match(await c.cmd('QUIT'), /^\+OK/);
  });
}

test('STLS injection: commands pipelined after STLS are never answered', async (t) => {
  const f = await fixture(t, 'PlainTextLogin');
  const c = await f.ready('plain');
  c.send('STLS\r\nCAPA\r\nUSER mallory\r\n');
  assert.equal(await c.readLine(), '+OK Begin TLS negotiation');
  await c.upgrade();
  // If the injected CAPA or USER had run, their replies would come first (in TLS or before it).
  assert.equal(await c.cmd('NOOP'), '-ERR NOOP is only valid after login');
  assert.equal(await c.cmd('PASS x'), '-ERR Send USER first');
  assert.equal(c.unread(), '');
});

test('STLS forgets USER given in cleartext; refused when already TLS or after login', async (t) => {
  const f = await fixture(t, 'PlainTextLogin');
  const c = await f.ready('plain');
  assert.match(await c.cmd('USER alice@example.org'), /^\+OK/);
  assert.match(await c.cmd('STLS'), /^\+OK/);
  await c.upgrade();
  assert.equal(await c.cmd('PASS secret pw'), '-ERR Send USER first');
  assert.equal(await c.cmd('STLS'), '-ERR Already using TLS');
  const d = await f.ready('tls');
  assert.equal(await d.cmd('STLS'), '-ERR Already using TLS');
  const e = await f.ready('plain');
  assert.match(await e.login('alice@example.org', 'secret pw'), /^\+OK/);
  assert.equal(await e.cmd('STLS'), '-ERR STLS is not valid after login');
});

test('failed logins: one text for unknown user and wrong password; the third closes', async (t) => {
  const f = await fixture(t);
  const c = await f.ready('tls');
  assert.equal(await c.login('alice@example.org', 'wrong'), '-ERR [AUTH] Authentication failed');
  assert.equal(await c.login('nobody@example.org', 'secret pw'), '-ERR [AUTH] Authentication failed');
  assert.equal(await c.cmd(`AUTH PLAIN ${b64('\0alice@example.org\0nope')}`), '-ERR [AUTH] Authentication failed');
  assert.ok(await c.closedByServer());
  // The service is still up for others.
  const d = await f.ready('tls');
  assert.match(await d.login('alice@example.org', 'secret pw'), /^\+OK Logged in/);
});

test('an account with POP3 disabled is refused with [AUTH]', async (t) => {
  const f = await fixture(t);
  const bob = await f.addUser('bob@example.org', 'pw');
  await f.store.updateAccount(bob.id, { popEnabled: false });
  const c = await f.ready('tls');
  assert.match(await c.login('bob@example.org', 'pw'), /^-ERR \[AUTH\] /);
});

test('backend stopped: a correct login gets [SYS/TEMP] and the frontend stays up', async (t) => {
  const f = await fixture(t);
  f.setBackendRunning(false);
  const c = await f.ready('tls');
  assert.match(await c.login('alice@example.org', 'secret pw'), /^-ERR \[SYS\/TEMP\] The mailbox service is not running/);
  f.setBackendRunning(true);
  assert.match(await c.login('alice@example.org', 'secret pw'), /^\+OK Logged in/);
});

test('AUTH PLAIN and LOGIN: initial response, challenges, cancel, bad base64, unknown mechanism', async (t) => {
  const f = await fixture(t);
  const c = await f.ready('tls');
  const [listed, mechs] = await c.multi('AUTH');
  assert.match(listed, /^\+OK/);
  assert.deepEqual(mechs, ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']);
  assert.equal(await c.cmd('AUTH CRAM-MD5'), '-ERR Unsupported authentication mechanism');
  assert.equal(await c.cmd('AUTH PLAIN'), '+ ');
  assert.equal(await c.cmd('*'), '-ERR AUTH cancelled by client');
  assert.equal(await c.cmd('AUTH PLAIN'), '+ ');
  assert.equal(await c.cmd('not base64!'), '-ERR Invalid base64 in response; AUTH cancelled');
  assert.equal(await c.cmd('AUTH PLAIN %%%'), '-ERR Invalid base64 in initial response; AUTH cancelled');
  // LOGIN mechanism: two challenges.
  const ch1 = await c.cmd('AUTH LOGIN');
  assert.match(ch1, /^\+ /);
  assert.match(await c.cmd(b64('alice@example.org')), /^\+ /);
  assert.match(await c.cmd(b64('secret pw')), /^\+OK Logged in/);
  assert.match(await c.cmd('QUIT'), /^\+OK/);

  const d = await f.ready('tls');
  assert.equal(await d.cmd('AUTH PLAIN'), '+ ');
  assert.match(await d.cmd(b64('\0alice@example.org\0secret pw')), /^\+OK Logged in/);
  await d.cmd('QUIT');
  const e = await f.ready('tls');
  assert.match(await e.cmd(`auth plain ${b64('\0alice@example.org\0secret pw')}`), /^\+OK Logged in/);
  await e.cmd('QUIT');
  // LOGIN with an initial response: the user name comes with AUTH, only the password is asked.
  const g = await f.ready('tls');
  assert.equal(await g.cmd(`AUTH LOGIN ${b64('alice@example.org')}`), `+ ${b64('Password:')}`);
  assert.match(await g.cmd(b64('secret pw')), /^\+OK Logged in/);
});

test('QUIT before login, APOP refused, wrong-state commands', async (t) => {
  const f = await fixture(t);
  const c = await f.ready('tls');
  assert.equal(await c.cmd('APOP alice 0123456789abcdef'), '-ERR APOP is not supported; use USER/PASS or AUTH over TLS');
  assert.equal(await c.cmd('STAT'), '-ERR STAT is only valid after login');
  assert.equal(await c.cmd('RETR 1'), '-ERR RETR is only valid after login');
  assert.equal(await c.cmd('PASS x'), '-ERR Send USER first');
  assert.equal(await c.cmd('USER'), '-ERR Syntax: USER <name>');
  assert.equal(await c.cmd('QUIT'), '+OK Portcullis POP3 server signing off');
  assert.ok(await c.closedByServer());
});
