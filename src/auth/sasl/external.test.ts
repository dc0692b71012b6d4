/** SASL EXTERNAL: the mechanism alone, and through the authenticator (offer, authzid, master users, switches, throttling). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../core/log.js';
import { openSqliteStore } from '../../store/sqlite/index.js';
import type { MailStore } from '../../store/store.js';
import { createAuthenticator, type AuthenticatorOptions } from '../authenticator.js';
import { hashPassword } from '../passwords.js';
import { MemoryThrottle } from '../throttle.js';
import type { AuthResult, ClientCertificateInfo, LoginContext } from '../types.js';
import { createExternalServer } from './external.js';

test('mechanism: empty challenge without an initial response, authzid passed on, clean errors', async () => {
  const env = { clientCertificateIdentity: async () => 'alice@example.org' };
  const s = createExternalServer(env);
  assert.deepEqual(await s.step(null), { challenge: Buffer.alloc(0) });
  assert.deepEqual(await s.step(Buffer.alloc(0)), { done: true, verified: { username: 'alice@example.org', mechanism: 'EXTERNAL' } });
  assert.deepEqual(await s.step(Buffer.alloc(0)), { error: 'Authentication exchange already finished' });
  const withAuthz = await createExternalServer(env).step(Buffer.from('bob@example.org'));
  assert.deepEqual(withAuthz, { done: true, verified: { username: 'alice@example.org', mechanism: 'EXTERNAL', authzid: 'bob@example.org' } });
  assert.ok('error' in await createExternalServer(env).step(Buffer.from([0xff, 0xfe])));
  assert.ok('error' in await createExternalServer(env).step(Buffer.from('a\0b')));
  assert.ok('error' in await createExternalServer(env).step(Buffer.alloc(5000, 0x61)));
  assert.ok('error' in await createExternalServer({}).step(Buffer.alloc(0)));
  const twice = createExternalServer(env);
  await twice.step(null);
  assert.ok('error' in await twice.step(null));
});

let store: MailStore;
let dir: string;
const cert = (email: string | null, commonName: string | null = null): ClientCertificateInfo => ({ verified: true, email, commonName, fingerprint: 'ab'.repeat(32) });
const ctx = (over: Partial<LoginContext> = {}): LoginContext => ({
  protocol: 'imap4', sessionId: 's', remoteAddress: '192.0.2.7', localPort: 993, secure: true, tlsVersion: 'TLSv1.3', tlsCipher: 'x',
  clientCertificate: cert('alice@example.org'), ...over,
});
let identity: 'email' | 'common-name' | null = 'email';
const attempts: Array<{ mechanism: string; ok: boolean }> = [];
const make = (over: Partial<AuthenticatorOptions> = {}): ReturnType<typeof createAuthenticator> => createAuthenticator({
  store, logger: silentLogger, delay: async () => {},
  loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: 'SecureLogin' }),
  clientCertificates: () => (identity ? { identity } : null),
  onAttempt: (_c, a, o) => attempts.push({ mechanism: a.mechanism, ok: o.ok }),
  ...over,
});

async function external(auth: ReturnType<typeof createAuthenticator>, c: LoginContext, authzid = ''): Promise<AuthResult> {
  const ex = auth.startSasl(c, 'external');
  assert.ok(ex, 'EXTERNAL exchange');
  assert.equal(ex.passwordBased, false);
  const r = await ex.step(Buffer.from(authzid));
  assert.ok('done' in r, JSON.stringify(r));
  return r.result;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-external-'));
  store = await openSqliteStore(dir);
  await store.createAccount('alice@example.org', await hashPassword('alice-pw', { scram: false }));
  await store.createAccount('bob@example.org', null);
  await store.createAccount('admin@example.org', null);
  const popless = await store.createAccount('carol@example.org', null);
  await store.updateAccount(popless.id, { popEnabled: false });
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('offered only over TLS with a verified certificate naming someone, and only when configured', () => {
  const auth = make();
  assert.ok(auth.mechanisms(ctx()).includes('EXTERNAL'));
  assert.ok(!auth.mechanisms(ctx({ clientCertificate: null })).includes('EXTERNAL'));
  assert.ok(!auth.mechanisms(ctx({ clientCertificate: { verified: false, reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' } })).includes('EXTERNAL'));
  assert.ok(!auth.mechanisms(ctx({ clientCertificate: cert(null, 'alice') })).includes('EXTERNAL'));
  assert.ok(!auth.mechanisms(ctx({ secure: false })).includes('EXTERNAL'));
  assert.equal(auth.startSasl(ctx({ clientCertificate: null }), 'EXTERNAL'), null);
  identity = null;
  try {
    assert.ok(!auth.mechanisms(ctx()).includes('EXTERNAL'));
    assert.equal(auth.startSasl(ctx(), 'EXTERNAL'), null);
  } finally {
    identity = 'email';
  }
});

test('logs in as the certificate account; authzid of self is fine, of another needs a master user', async () => {
  const auth = make({ masterUsers: () => ['admin@example.org'] });
  attempts.length = 0;
  const ok = await external(auth, ctx());
  assert.equal(ok.ok && ok.account.address, 'alice@example.org');
  assert.equal(ok.ok && ok.mechanism, 'EXTERNAL');
  assert.deepEqual(attempts, [{ mechanism: 'EXTERNAL', ok: true }]);
  const self = await external(auth, ctx(), 'Alice@Example.org');
  assert.equal(self.ok, true);
  const other = await external(auth, ctx(), 'bob@example.org');
  assert.equal(!other.ok && other.reason, 'authz');
  const master = await external(auth, ctx({ clientCertificate: cert('admin@example.org') }), 'bob@example.org');
  assert.equal(master.ok && master.account.address, 'bob@example.org');
});

test('common-name identity; unknown accounts fail and count; per-protocol switches apply', async () => {
  const throttle = new MemoryThrottle({ freeFailures: 0, ipBlockAfter: 2, blockMs: 60_000 });
  const auth = make({ throttle });
  identity = 'common-name';
  try {
    const cn = await external(auth, ctx({ clientCertificate: cert('someone@else.org', 'Bob@example.org') }));
    assert.equal(cn.ok && cn.account.address, 'bob@example.org');
  } finally {
    identity = 'email';
  }
  const pop = await external(auth, ctx({ protocol: 'pop3', clientCertificate: cert('carol@example.org') }));
  assert.equal(!pop.ok && pop.reason, 'disabled');
  const c = ctx({ remoteAddress: '198.51.100.9', clientCertificate: cert('ghost@example.org') });
  const first = await external(auth, c);
  assert.equal(!first.ok && first.reason, 'credentials');
  await external(auth, c);
  // The network is now blocked: even a good certificate from there is refused until it expires.
  const blocked = await external(auth, { ...c, clientCertificate: cert('alice@example.org') });
  assert.equal(!blocked.ok && blocked.reason, 'throttled');
});
