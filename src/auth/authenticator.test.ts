import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../core/log.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MailStore } from '../store/store.js';
import { createAuthenticator } from './authenticator.js';
import { hashPassword } from './passwords.js';
import { MemoryThrottle } from './throttle.js';
import type { LoginContext, LoginType, Protocol } from './types.js';

let store: MailStore;
let dir: string;
const lines: string[] = [];
const logger = new Logger((l) => lines.push(l), 'debug');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-auth-'));
  store = await openSqliteStore(dir);
  await store.createAccount('alice@example.org', await hashPassword('alice-pw'));
  const bob = await store.createAccount('bob@example.org', await hashPassword('bob-pw'));
  await store.updateAccount(bob.id, { popEnabled: false });
  // Imported from Dovecot: SHA512-CRYPT of "Hello world!".
  await store.createAccount('carol@example.org', '{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function ctx(over: Partial<LoginContext> = {}): LoginContext {
  return { protocol: 'imap4', sessionId: 'sess1', remoteAddress: '192.0.2.10', localPort: 993, secure: true, tlsVersion: 'TLSv1.3', tlsCipher: 'TLS_AES_256_GCM_SHA384', ...over };
}

function make(loginType: LoginType = 'SecureLogin', throttle = new MemoryThrottle()): { auth: ReturnType<typeof createAuthenticator>; delays: number[]; lookups: string[] } {
  const delays: number[] = [];
  const lookups: string[] = [];
  const spy: Pick<MailStore, 'getAccount' | 'updateAccount'> = {
    getAccount: (a) => { lookups.push(a); return store.getAccount(a); },
    updateAccount: (id, p) => store.updateAccount(id, p),
  };
  const auth = createAuthenticator({
    store: spy, logger, throttle,
    loginTypes: () => ({ imap4: loginType, pop3: loginType, smtp: loginType } as Record<Protocol, LoginType>),
    delay: async (ms) => { delays.push(ms); },
  });
  return { auth, delays, lookups };
}

test('a correct password over TLS succeeds, is logged without the secret', async () => {
  const { auth } = make();
  const r = await auth.authenticatePassword(ctx(), { username: 'Alice@Example.org', password: 'alice-pw', mechanism: 'PLAIN' });
  assert.equal(r.ok, true);
  assert.equal(r.ok && r.account.address, 'alice@example.org');
  assert.equal(r.ok && r.insecure, false);
  const last = JSON.parse(lines.at(-1)!);
  assert.equal(last.event, 'auth');
  assert.equal(last.result, 'success');
  assert.equal(last.client, '192.0.2.10');
  assert.equal(last.tlsVersion, 'TLSv1.3');
  assert.ok(!lines.some((l) => l.includes('alice-pw')));
});

test('wrong password and unknown user get the same reply, both verified', async () => {
  const { auth } = make();
  const wrong = await auth.authenticatePassword(ctx(), { username: 'alice@example.org', password: 'nope', mechanism: 'LOGIN' });
  const unknown = await auth.authenticatePassword(ctx(), { username: 'nobody@example.org', password: 'nope', mechanism: 'LOGIN' });
  assert.deepEqual(wrong, { ok: false, reason: 'credentials', message: 'Authentication failed' });
  assert.deepEqual(unknown, wrong);
  assert.ok(!lines.some((l) => l.includes('"nope"')));
});

test('SecureLogin refuses in cleartext before looking the user up', async () => {
  const { auth, lookups } = make('SecureLogin');
  const r = await auth.authenticatePassword(ctx({ secure: false, tlsVersion: null, tlsCipher: null, localPort: 143 }),
    { username: 'alice@example.org', password: 'alice-pw', mechanism: 'LOGIN' });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.reason, 'policy');
  assert.deepEqual(lookups, []);
  assert.equal(auth.passwordLoginAllowed({ protocol: 'imap4', secure: false }), false);
  assert.deepEqual(auth.mechanisms({ protocol: 'imap4', secure: false }), []);
  assert.deepEqual(auth.mechanisms({ protocol: 'imap4', secure: true }), ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']);
});

test('PlainTextAuthentication refuses passwords in clear; PlainTextLogin allows them, marked insecure', async () => {
  const pta = make('PlainTextAuthentication');
  const clear = ctx({ secure: false, tlsVersion: null, tlsCipher: null });
  const r1 = await pta.auth.authenticatePassword(clear, { username: 'alice@example.org', password: 'alice-pw', mechanism: 'USER' });
  assert.equal(!r1.ok && r1.reason, 'policy');
  assert.deepEqual(pta.lookups, []);
  const ptl = make('PlainTextLogin');
  const r2 = await ptl.auth.authenticatePassword(clear, { username: 'alice@example.org', password: 'alice-pw', mechanism: 'USER' });
  assert.equal(r2.ok && r2.insecure, true);
  assert.equal(JSON.parse(lines.at(-1)!).event, 'auth-insecure-login');
});

test('per-protocol account switch and foreign authzid are refused', async () => {
  const { auth } = make();
  const pop = await auth.authenticatePassword(ctx({ protocol: 'pop3' }), { username: 'bob@example.org', password: 'bob-pw', mechanism: 'PLAIN' });
  assert.equal(!pop.ok && pop.reason, 'disabled');
  const imap = await auth.authenticatePassword(ctx(), { username: 'bob@example.org', password: 'bob-pw', mechanism: 'PLAIN' });
  assert.equal(imap.ok, true);
  const authz = await auth.authenticatePassword(ctx(), { username: 'bob@example.org', password: 'bob-pw', authzid: 'alice@example.org', mechanism: 'PLAIN' });
  assert.equal(!authz.ok && authz.reason, 'authz');
  const self = await auth.authenticatePassword(ctx(), { username: 'bob@example.org', password: 'bob-pw', authzid: 'BOB@example.org', mechanism: 'PLAIN' });
  assert.equal(self.ok, true);
});

test('an imported hash verifies and is upgraded to argon2id on login', async () => {
  const { auth } = make();
  const r = await auth.authenticatePassword(ctx(), { username: 'carol@example.org', password: 'Hello world!', mechanism: 'PLAIN' });
  assert.equal(r.ok, true);
  const carol = await store.getAccount('carol@example.org');
  assert.match(carol?.passwordHash ?? '', /^\$argon2id\$/);
  const again = await auth.authenticatePassword(ctx(), { username: 'carol@example.org', password: 'Hello world!', mechanism: 'PLAIN' });
  assert.equal(again.ok, true);
});

test('repeated failures are delayed, then the network is blocked without verification; others still log in', async () => {
  const { auth, delays, lookups } = make('SecureLogin', new MemoryThrottle({ ipBlockAfter: 4, baseDelayMs: 100 }));
  const attacker = ctx({ remoteAddress: '203.0.113.5' });
  for (let i = 0; i < 4; i++) {
    const r = await auth.authenticatePassword(attacker, { username: 'alice@example.org', password: `guess${i}`, mechanism: 'PLAIN' });
    assert.equal(!r.ok && r.reason, 'credentials');
  }
  assert.deepEqual(delays, [100, 200, 400]);
  const n = lookups.length;
  const blocked = await auth.authenticatePassword(attacker, { username: 'alice@example.org', password: 'alice-pw', mechanism: 'PLAIN' });
  assert.equal(!blocked.ok && blocked.reason, 'throttled');
  assert.equal(lookups.length, n, 'a blocked attempt looks nothing up');
  const owner = await auth.authenticatePassword(ctx({ remoteAddress: '192.0.2.77' }), { username: 'alice@example.org', password: 'alice-pw', mechanism: 'PLAIN' });
  assert.equal(owner.ok, true);
});

test('hostile user names do not break the log or the directory', async () => {
  const { auth } = make();
  const r = await auth.authenticatePassword(ctx(), { username: 'x\r\nA1 LOGOUT\u0000' + 'y'.repeat(5000), password: 'p', mechanism: 'LOGIN' });
  assert.equal(!r.ok && r.reason, 'credentials');
  const last = JSON.parse(lines.at(-1)!);
  assert.ok(!/[\r\n\0]/.test(last.user) && last.user.length <= 65);
});

test('a directory user\'s backend pin follows the directory only when the directory maps one', async () => {
  const entry = { address: 'dana@example.org', imapEnabled: true, popEnabled: true, quotaBytes: null } as import('../directory/types.js').DirectoryEntry;
  const directory = { kind: 'fake', lookup: async () => entry, verify: async () => entry, close: async () => {} };
  const auth = createAuthenticator({
    store, logger, throttle: new MemoryThrottle(), directory,
    loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: 'SecureLogin' } as Record<Protocol, LoginType>),
    delay: async () => {},
  });
  const login = () => auth.authenticatePassword(ctx(), { username: 'dana@example.org', password: 'dana-pw', mechanism: 'PLAIN' });
  entry.backend = 'be2.example.org';
  let r = await login();
  assert.equal(r.ok && r.account.backend, 'be2.example.org');
  assert.equal((await store.getAccount('dana@example.org'))?.backend, 'be2.example.org');
  entry.backend = null;
  r = await login();
  assert.equal(r.ok && r.account.backend, null);
  // No pin attribute configured: a pin set locally (CLI) is kept.
  delete entry.backend;
  await store.updateAccount((await store.getAccount('dana@example.org'))!.id, { backend: 'be3.example.org:1993' });
  r = await login();
  assert.equal(r.ok && r.account.backend, 'be3.example.org:1993');
});
