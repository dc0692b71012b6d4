/** Master users, app passwords, bearer tokens, attack detection, the blocks file, and timing equality. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, silentLogger } from '../core/log.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MailStore } from '../store/store.js';
import { generateAppPassword, hashAppPassword, normalizeAppPassword } from './app-passwords.js';
import { createAuthenticator, type AuthenticatorOptions } from './authenticator.js';
import { attachBlocksFile, readBlocks, requestClear } from './blocks-file.js';
import type { OAuthSettings } from './jwt.js';
import { hashPassword } from './passwords.js';
import { MemoryThrottle } from './throttle.js';
import type { AuthResult, LoginContext, SaslExchange } from './types.js';

let store: MailStore;
let dir: string;
const ctx = (over: Partial<LoginContext> = {}): LoginContext => ({
  protocol: 'imap4', sessionId: 's', remoteAddress: '192.0.2.1', localPort: 993, secure: true, tlsVersion: 'TLSv1.3', tlsCipher: 'x', ...over,
});
const make = (over: Partial<AuthenticatorOptions> = {}): ReturnType<typeof createAuthenticator> => createAuthenticator({
  store, logger: silentLogger, delay: async () => {}, loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: 'SecureLogin' }), ...over,
});
let appPw = '';
let legacyAppPw = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-auth2-'));
  store = await openSqliteStore(dir);
  const alice = await store.createAccount('alice@example.org', await hashPassword('alice-pw'));
  await store.createAccount('bob@example.org', await hashPassword('bob-pw'));
  await store.createAccount('admin@example.org', await hashPassword('admin-pw'));
  appPw = generateAppPassword();
  await store.createAppPassword!(alice.id, 'phone', hashAppPassword(normalizeAppPassword(appPw)!), ['imap4']);
  // An app password in the format before hashAppPassword (argon2id) still logs in.
  legacyAppPw = generateAppPassword();
  await store.createAppPassword!(alice.id, 'old-phone', await hashPassword(normalizeAppPassword(legacyAppPw)!, { scram: false }), ['imap4']);
  const carol = await store.createAccount('carol@example.org', await hashPassword('carol-pw'));
  for (let i = 0; i < 20; i++) await store.createAppPassword!(carol.id, `device-${i}`, hashAppPassword(normalizeAppPassword(generateAppPassword())!), ['imap4']);
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('master users may act as another user; others get an authorization failure', async () => {
  const auth = make({ masterUsers: () => ['admin@example.org'] });
  const asBob = await auth.authenticatePassword(ctx(), { username: 'admin@example.org', password: 'admin-pw', authzid: 'bob@example.org', mechanism: 'PLAIN' });
  assert.equal(asBob.ok && asBob.account.address, 'bob@example.org');
  const notMaster = await auth.authenticatePassword(ctx(), { username: 'alice@example.org', password: 'alice-pw', authzid: 'bob@example.org', mechanism: 'PLAIN' });
  assert.equal(!notMaster.ok && notMaster.reason, 'authz');
  const nobody = await auth.authenticatePassword(ctx(), { username: 'admin@example.org', password: 'admin-pw', authzid: 'ghost@example.org', mechanism: 'PLAIN' });
  assert.equal(!nobody.ok && nobody.reason, 'authz');
});

test('app passwords log in for their protocols only, record last use, and are revocable', async () => {
  const auth = make();
  const r = await auth.authenticatePassword(ctx(), { username: 'alice@example.org', password: appPw.toUpperCase(), mechanism: 'PLAIN' });
  assert.equal(r.ok, true);
  const pop = await auth.authenticatePassword(ctx({ protocol: 'pop3' }), { username: 'alice@example.org', password: appPw, mechanism: 'USER' });
  assert.equal(pop.ok, false);
  const other = await auth.authenticatePassword(ctx(), { username: 'bob@example.org', password: appPw, mechanism: 'PLAIN' });
  assert.equal(!other.ok && other.reason, 'credentials');
  const alice = (await store.getAccount('alice@example.org'))!;
  const phone = async () => (await store.listAppPasswords!(alice.id)).find((a) => a.name === 'phone')!;
  for (let i = 0; i < 50 && !(await phone()).lastUsedAt; i++) await new Promise((res) => setImmediate(res));
  assert.ok((await phone()).lastUsedAt instanceof Date);
  assert.match((await phone()).passwordHash, /^\$apppw-sha256\$/, 'stored with the fast salted hash');
  assert.equal(await store.deleteAppPassword!(alice.id, 'phone'), true);
  const gone = await auth.authenticatePassword(ctx(), { username: 'alice@example.org', password: appPw, mechanism: 'PLAIN' });
  assert.equal(gone.ok, false);
});

function jwt(key: KeyObject, alg: 'RS256' | 'ES256', payload: Record<string, unknown>): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const data = `${enc({ alg, typ: 'JWT', kid: 'k1' })}.${enc(payload)}`;
  const sig = alg === 'RS256' ? sign('sha256', Buffer.from(data), key) : sign('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' });
  return `${data}.${sig.toString('base64url')}`;
}

async function run(ex: SaslExchange | null, first: Buffer): Promise<AuthResult> {
  assert.ok(ex);
  let r = await ex.step(first);
  for (let i = 0; i < 3 && !('done' in r) && !('error' in r); i++) r = await ex.step(Buffer.from('\x01'));
  assert.ok('done' in r, JSON.stringify(r));
  return r.result;
}

test('OAUTHBEARER and XOAUTH2 accept valid JWTs (RS256, ES256) and refuse bad ones', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const settings: OAuthSettings = {
    issuers: [{ issuer: 'https://idp.example', audience: ['portcullis'], keys: [
      { kid: 'k1', pem: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString() },
      { kid: 'k1', jwk: ec.publicKey.export({ format: 'jwk' }) },
    ] }],
  };
  const logged: string[] = [];
  const auth = make({ oauth: () => settings, logger: new Logger((line) => logged.push(line), 'info') });
  assert.ok(auth.mechanisms({ protocol: 'imap4', secure: true }).includes('OAUTHBEARER'));
  assert.ok(!make().mechanisms({ protocol: 'imap4', secure: true }).includes('XOAUTH2'));
  const now = Math.floor(Date.now() / 1000);
  const good = { iss: 'https://idp.example', aud: 'portcullis', exp: now + 300, email: 'bob@example.org' };
  const bearer = (t: string): Buffer => Buffer.from(`n,a=bob@example.org,\x01auth=Bearer ${t}\x01\x01`);
  const xo = (t: string, u = 'bob@example.org'): Buffer => Buffer.from(`user=${u}\x01auth=Bearer ${t}\x01\x01`);
  const ok1 = await run(auth.startSasl(ctx(), 'OAUTHBEARER'), bearer(jwt(rsa.privateKey, 'RS256', good)));
  assert.equal(ok1.ok && ok1.account.address, 'bob@example.org');
  const ok2 = await run(auth.startSasl(ctx(), 'XOAUTH2'), xo(jwt(ec.privateKey, 'ES256', good)));
  assert.equal(ok2.ok, true);
  for (const bad of [
    jwt(rsa.privateKey, 'RS256', { ...good, exp: now - 3600 }),
    jwt(rsa.privateKey, 'RS256', { ...good, aud: 'someone-else' }),
    jwt(rsa.privateKey, 'RS256', { ...good, iss: 'https://evil.example' }),
    jwt(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 'RS256', good),
    jwt(rsa.privateKey, 'RS256', good).replace(/\.[^.]+\./, `.${Buffer.from(JSON.stringify({ ...good, email: 'alice@example.org' })).toString('base64url')}.`),
  ]) {
    const r = await run(auth.startSasl(ctx(), 'OAUTHBEARER'), bearer(bad));
    assert.equal(!r.ok && r.reason, 'credentials');
  }
  const mismatch = await run(auth.startSasl(ctx(), 'XOAUTH2'), xo(jwt(rsa.privateKey, 'RS256', good), 'alice@example.org'));
  assert.equal(mismatch.ok, false);
  // The server log says why each token was refused (expired, audience, issuer...), never the token.
  const failures = logged.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.event === 'auth' && e.result === 'failure' && e.mechanism === 'OAUTHBEARER');
  assert.equal(failures.length, 5);
  assert.ok(failures.every((e) => typeof e.detail === 'string' && e.detail.length > 0), JSON.stringify(failures.map((e) => e.detail)));
  assert.match(String(failures[0]!.detail), /expir/i);
  assert.ok(!logged.some((l) => l.includes('eyJ')), 'no token in the log');
});

test('one network trying many accounts is blocked; the allow-list always wins; blocks persist and clear', async () => {
  const data = mkdtempSync(join(tmpdir(), 'portcullis-blocks-'));
  after(() => rmSync(data, { recursive: true, force: true }));
  const detections: string[] = [];
  let file: ReturnType<typeof attachBlocksFile> | null = null;
  const throttle = new MemoryThrottle({ ipDistinctAccountsBlockAfter: 3, allowList: ['198.51.100.0/24'], onChange: () => file?.changed(), onDetect: (e) => detections.push(e.kind) });
  file = attachBlocksFile(throttle, data, silentLogger, 60_000);
  after(() => file?.stop());
  const auth = make({ throttle });
  for (const u of ['a', 'b', 'c']) await auth.authenticatePassword(ctx({ remoteAddress: '203.0.113.9' }), { username: `${u}@example.org`, password: 'x', mechanism: 'PLAIN' });
  assert.deepEqual(detections, ['ip-many-accounts']);
  const blocked = await auth.authenticatePassword(ctx({ remoteAddress: '203.0.113.9' }), { username: 'alice@example.org', password: 'alice-pw', mechanism: 'PLAIN' });
  assert.equal(!blocked.ok && blocked.reason, 'throttled');
  for (const u of ['a', 'b', 'c', 'd', 'e']) await auth.authenticatePassword(ctx({ remoteAddress: '198.51.100.7' }), { username: `${u}@example.org`, password: 'x', mechanism: 'PLAIN' });
  const allowed = await auth.authenticatePassword(ctx({ remoteAddress: '198.51.100.7' }), { username: 'alice@example.org', password: 'alice-pw', mechanism: 'PLAIN' });
  assert.equal(allowed.ok, true);
  await file.poll();
  assert.deepEqual(readBlocks(data)?.blocks.map((b) => b.network), ['203.0.113.9']);
  requestClear(data, '203.0.113.9');
  await file.poll();
  assert.deepEqual(readBlocks(data)?.blocks, []);
  const again = await auth.authenticatePassword(ctx({ remoteAddress: '203.0.113.9' }), { username: 'alice@example.org', password: 'alice-pw', mechanism: 'PLAIN' });
  assert.equal(again.ok, true);
});

test('one account failing from many networks is reported and delayed the most, but not locked', async () => {
  const delays: number[] = [];
  const detections: string[] = [];
  const throttle = new MemoryThrottle({ accountDistinctNetworksAlert: 4, onDetect: (e) => detections.push(e.kind) });
  const auth = make({ throttle, delay: async (ms) => { delays.push(ms); } });
  for (let i = 1; i <= 4; i++) await auth.authenticatePassword(ctx({ remoteAddress: `192.0.2.${100 + i}` }), { username: 'bob@example.org', password: 'x', mechanism: 'PLAIN' });
  assert.deepEqual(detections, ['account-many-ips']);
  assert.equal(delays.at(-1), 8000);
  const owner = await auth.authenticatePassword(ctx({ remoteAddress: '192.0.2.200' }), { username: 'bob@example.org', password: 'bob-pw', mechanism: 'PLAIN' });
  assert.equal(owner.ok, true);
});

/** Mann-Whitney U test: the z score of the difference between two samples' distributions. */
function mannWhitneyZ(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, g: 0 })), ...b.map((v) => ({ v, g: 1 }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const r1 = all.reduce((s, x, i) => (x.g === 0 ? s + ranks[i]! : s), 0);
  const n1 = a.length, n2 = b.length;
  const u = r1 - (n1 * (n1 + 1)) / 2;
  return (u - (n1 * n2) / 2) / Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
}

test('unknown user and wrong password cost the same time (Mann-Whitney U over 200 samples each)', async () => {
  const auth = make({ throttle: new MemoryThrottle({ allowList: ['192.0.2.0/24'] }) });
  const time = async (username: string): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const r = await auth.authenticatePassword(ctx(), { username, password: 'wrong password', mechanism: 'PLAIN' });
    const t1 = process.hrtime.bigint();
    assert.equal(!r.ok && r.reason, 'credentials');
    return Number(t1 - t0);
  };
  await time('nobody@example.org'); // warm the dummy hash
  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < 200; i++) {
    // interleaved, order alternating, so that machine load affects both alike
    if (i % 2) { unknown.push(await time(`nobody${i}@example.org`)); wrong.push(await time('bob@example.org')); }
    else { wrong.push(await time('bob@example.org')); unknown.push(await time(`nobody${i}@example.org`)); }
  }
  const z = mannWhitneyZ(unknown, wrong);
  assert.ok(Math.abs(z) < 3.29, `timing differs: z = ${z.toFixed(2)} (|z| >= 3.29 is p < 0.001)`);
});

test('an app password in the earlier argon2id format still logs in', async () => {
  const auth = make();
  const r = await auth.authenticatePassword(ctx(), { username: 'alice@example.org', password: legacyAppPw, mechanism: 'PLAIN' });
  assert.equal(r.ok && r.account.address, 'alice@example.org');
});

test('a wrong app-password-shaped secret costs the same for an unknown user and one with 20 app passwords (Mann-Whitney U)', async () => {
  const auth = make({ throttle: new MemoryThrottle({ allowList: ['192.0.2.0/24'] }) });
  const time = async (username: string): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const r = await auth.authenticatePassword(ctx(), { username, password: generateAppPassword(), mechanism: 'PLAIN' });
    const t1 = process.hrtime.bigint();
    assert.equal(!r.ok && r.reason, 'credentials');
    return Number(t1 - t0);
  };
  await time('nobody@example.org');
  const unknown: number[] = [];
  const many: number[] = [];
  for (let i = 0; i < 150; i++) {
    if (i % 2) { unknown.push(await time(`nobody${i}@example.org`)); many.push(await time('carol@example.org')); }
    else { many.push(await time('carol@example.org')); unknown.push(await time(`nobody${i}@example.org`)); }
  }
  const z = mannWhitneyZ(unknown, many);
  assert.ok(Math.abs(z) < 3.29, `timing differs: z = ${z.toFixed(2)} (|z| >= 3.29 is p < 0.001)`);
});
