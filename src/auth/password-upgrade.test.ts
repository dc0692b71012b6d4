/**
 * Logins through the authenticator upgrade stored hashes: every imported Dovecot scheme, weak
 * schemes the operator allows, and argon2id hashes made with parameters below the current
 * settings end up as a fresh argon2id hash in the store; wrong passwords change nothing.
 */
import { test, after, before, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { hash as argon2Hash } from '@node-rs/argon2';
import { Logger } from '../core/log.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { MailStore } from '../store/store.js';
import { createAuthenticator } from './authenticator.js';
import { OWASP_MIN_ARGON2, hashPassword, setAllowedWeakSchemes, setArgon2Params } from './passwords.js';
import { MemoryThrottle } from './throttle.js';
import type { AuthResult, LoginContext, LoginType, Protocol } from './types.js';

let store: MailStore;
let dir: string;
const lines: string[] = [];
const logger = new Logger((l) => lines.push(l), 'debug');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-upgrade-'));
  store = await openSqliteStore(dir);
});
after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  setArgon2Params(OWASP_MIN_ARGON2);
  setAllowedWeakSchemes([]);
});

const auth = createAuthenticator({
  store: { getAccount: (a) => store.getAccount(a), updateAccount: (id, p) => store.updateAccount(id, p) },
  logger,
  throttle: new MemoryThrottle({ ipBlockAfter: 10_000, ipDistinctAccountsBlockAfter: 10_000 }),
  loginTypes: () => ({ imap4: 'SecureLogin', pop3: 'SecureLogin', smtp: 'SecureLogin' } as Record<Protocol, LoginType>),
  delay: async () => {},
});

const ctx: LoginContext = { protocol: 'imap4', sessionId: 's1', remoteAddress: '192.0.2.10', localPort: 993, secure: true, tlsVersion: 'TLSv1.3', tlsCipher: 'TLS_AES_256_GCM_SHA384' };
const login = (username: string, password: string): Promise<AuthResult> => auth.authenticatePassword(ctx, { username, password, mechanism: 'PLAIN' });
const storedHash = async (address: string): Promise<string> => (await store.getAccount(address))?.passwordHash ?? '';
const PHC = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$\S+ \{SCRAM-SHA-256\}/;

test('raised argon2id parameters re-hash at the next login; equal or lower ones do not', async () => {
  await store.createAccount('params@example.org', await hashPassword('pw-params'));
  const first = await storedHash('params@example.org');
  assert.deepEqual(PHC.exec(first)?.slice(1), ['19456', '2', '1']);
  assert.equal((await login('params@example.org', 'pw-params')).ok, true);
  assert.equal(await storedHash('params@example.org'), first, 'equal parameters: no rehash');

  setArgon2Params({ memoryCost: 20480, timeCost: 3 });
  assert.equal((await login('params@example.org', 'wrong')).ok, false);
  assert.equal(await storedHash('params@example.org'), first, 'a wrong password re-hashes nothing');
  assert.equal((await login('params@example.org', 'pw-params')).ok, true);
  const raised = await storedHash('params@example.org');
  assert.deepEqual(PHC.exec(raised)?.slice(1), ['20480', '3', '1'], raised);
  assert.equal((await login('params@example.org', 'pw-params')).ok, true, 'the new hash verifies');
  assert.equal(await storedHash('params@example.org'), raised);

  setArgon2Params(OWASP_MIN_ARGON2);
  assert.equal((await login('params@example.org', 'pw-params')).ok, true);
  assert.equal(await storedHash('params@example.org'), raised, 'lower parameters: no rehash (never downgraded)');
  assert.ok(lines.some((l) => l.includes('"password-rehashed"')));
});

test('every imported Dovecot scheme is upgraded to argon2id at a successful login, not at a wrong one', async () => {
  const salt = randomBytes(8);
  const vectors: Array<[string, string, string]> = [
    ['argon2@example.org', 'Argon-Pw-1', `{ARGON2ID}${await argon2Hash('Argon-Pw-1', { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 })}`],
    ['blf@example.org', 'Blf-Pw-2', `{BLF-CRYPT}${bcrypt.hashSync('Blf-Pw-2', 4).replace(/^\$2[ab]\$/, '$2y$')}`],
    ['sha512@example.org', 'Hello world!', '{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1'],
    ['sha256@example.org', 'Hello world!', '{SHA256-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5'],
    ['ssha512@example.org', 'Ssha-Pw-3', `{SSHA512}${Buffer.concat([createHash('sha512').update('Ssha-Pw-3').update(salt).digest(), salt]).toString('base64')}`],
  ];
  for (const [address, password, imported] of vectors) {
    await store.createAccount(address, imported);
    assert.equal((await login(address, `${password}x`)).ok, false, address);
    assert.equal(await storedHash(address), imported, `${address}: a wrong password does not upgrade`);
    assert.equal((await login(address, password)).ok, true, address);
    const upgraded = await storedHash(address);
    assert.match(upgraded, PHC, `${address}: stored as argon2id with SCRAM keys`);
    assert.equal((await login(address, password)).ok, true, `${address}: logs in with the upgraded hash`);
  }
});

test('weak schemes log in only when allowed, then are stored as argon2id; refused ones are logged without the secret', async () => {
  const vectors: Array<[string, string, string]> = [
    ['plain@example.org', 'PLAIN', '{PLAIN}Plain-Secret-77'],
    ['clear@example.org', 'CLEAR', '{CLEAR}Plain-Secret-77'],
    ['md5@example.org', 'PLAIN-MD5', `{PLAIN-MD5}${createHash('md5').update('Plain-Secret-77').digest('hex')}`],
    ['md5crypt@example.org', 'MD5-CRYPT', '{MD5-CRYPT}$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1'],
  ];
  const password = (scheme: string) => (scheme === 'MD5-CRYPT' ? 'Hello world!' : 'Plain-Secret-77');
  for (const [address, scheme, stored] of vectors) {
    await store.createAccount(address, stored);
    lines.length = 0;
    const r = await login(address, password(scheme));
    assert.equal(!r.ok && r.reason, 'credentials', `${scheme} not allowed`);
    const refused = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.event === 'password-scheme-refused');
    assert.equal(refused?.scheme, scheme);
    assert.equal(refused?.user, address);
    assert.match(String(refused?.detail), /allow-weak-hash-schemes/);
    assert.ok(!lines.some((l) => l.includes(password(scheme)) || l.includes(stored)), 'neither the password nor the stored value is logged');
    assert.equal(await storedHash(address), stored);
  }
  setAllowedWeakSchemes(['plain', 'clear', 'plain-md5', 'md5-crypt']);
  for (const [address, scheme, stored] of vectors) {
    assert.equal((await login(address, 'Not-It')).ok, false);
    assert.equal(await storedHash(address), stored, `${scheme}: a wrong password does not upgrade`);
    assert.equal((await login(address, password(scheme))).ok, true, `${scheme} allowed`);
    assert.match(await storedHash(address), PHC, `${scheme} upgraded`);
  }
  setAllowedWeakSchemes([]);
  for (const [address, scheme] of vectors) {
    assert.equal((await login(address, password(scheme))).ok, true, `${scheme}: the upgraded account no longer depends on the opt-in`);
  }
});
