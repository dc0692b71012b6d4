// Issue 6 end to end: the authentication settings on a running server. Raising the argon2id
// parameters with `auth set` and a reload makes the next IMAP login (Python's imaplib) re-write
// the stored hash with them, and lowering them again re-writes nothing; one client address
// trying several accounts is blocked and reported as auth-attack-detected in the server log and
// in the security log under DATA_DIR/logs/security.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { cli, cliOk, python, startServer, type Server } from './harness.js';
import { eventually, filesUnder } from './log-reader.js';

const ALICE = { address: 'alice@auth.test', password: 'Alice-Argon-Pw-4711' };
let server: Server;

before(async () => {
  server = await startServer({ users: [ALICE], auth: { 'ip-distinct-accounts-block-after': '3' } });
});
after(async () => {
  await server?.stop();
});

async function imapLogin(source: string, user: string, password: string): Promise<{ ok: boolean; reply: string }> {
  const r = await python('login_from.py', ['imap', '127.0.0.1', String(server.ports.imaps), 'tls', source, user, password]);
  assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as { ok: boolean; reply: string };
}

/** The stored password hash, read from the store's database file. */
function storedHash(address: string): string {
  const db = new Database(join(server.dataDir, 'mail.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT password_hash FROM accounts WHERE address = ?').get(address) as { password_hash: string }).password_hash;
  } finally {
    db.close();
  }
}
const params = (hash: string): string => /^\$argon2id\$v=19\$(m=\d+,t=\d+,p=\d+)\$/.exec(hash)?.[1] ?? hash;

test('raised argon2id parameters apply on reload and re-hash at the next login; lower ones do not', async () => {
  const first = storedHash(ALICE.address);
  assert.equal(params(first), 'm=19456,t=2,p=1');

  const bad = cli(server.dataDir, ['auth', 'set', '--argon2-memory-kib', '1024']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.trim(), /^[^\n]*argon2-memory-kib[^\n]*$/);
  const weak = cli(server.dataDir, ['auth', 'set', '--allow-weak-hash-schemes', 'PLAIN,SHA1']);
  assert.equal(weak.code, 2);
  assert.match(weak.stderr.trim(), /^[^\n]*allow-weak-hash-schemes[^\n]*SHA1[^\n]*$/);
  assert.doesNotMatch(cliOk(server.dataDir, ['auth', 'get']), /PLAIN/, 'nothing was written');

  cliOk(server.dataDir, ['auth', 'set', '--argon2-memory-kib', '20480', '--argon2-iterations', '3']);
  await server.reload();
  assert.equal(storedHash(ALICE.address), first, 'nothing is re-hashed before a login');
  assert.equal((await imapLogin('127.0.0.2', ALICE.address, 'wrong-password')).ok, false);
  assert.equal(storedHash(ALICE.address), first, 'a wrong password re-hashes nothing');
  assert.equal((await imapLogin('127.0.0.2', ALICE.address, ALICE.password)).ok, true);
  const raised = storedHash(ALICE.address);
  assert.equal(params(raised), 'm=20480,t=3,p=1');
  assert.equal((await imapLogin('127.0.0.2', ALICE.address, ALICE.password)).ok, true, 'the new hash verifies');

  cliOk(server.dataDir, ['auth', 'set', '--argon2-memory-kib', '19456', '--argon2-iterations', '2']);
  await server.reload();
  assert.equal((await imapLogin('127.0.0.2', ALICE.address, ALICE.password)).ok, true);
  assert.equal(storedHash(ALICE.address), raised, 'lower parameters never downgrade a hash');
});

test('one address trying many accounts is blocked and reported in the security log', async () => {
  for (const user of ['nobody1@auth.test', 'nobody2@auth.test', 'nobody3@auth.test']) {
    const r = await imapLogin('127.0.0.9', user, 'Spray-Guess-1');
    assert.match(r.reply, /AUTHENTICATIONFAILED/);
  }
  const blocked = await imapLogin('127.0.0.9', ALICE.address, ALICE.password);
  assert.equal(blocked.ok, false);
  assert.match(blocked.reply, /Too many failed logins/);

  const securityDir = join(server.dataDir, 'logs', 'security');
  const event = await eventually(() => filesUnder(securityDir)
    .flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>))
    .find((e) => e.event === 'auth-attack-detected'), 'the auth-attack-detected event in the security log');
  assert.equal(event.kind, 'ip-many-accounts');
  assert.equal(event.network, '127.0.0.9');
  assert.equal(event.user, 'nobody3@auth.test');
  assert.equal(event.count, 3);
  assert.ok(!Number.isNaN(Date.parse(String(event.time))));
  assert.match(server.output(), /"auth-attack-detected"[^\n]*"network":"127\.0\.0\.9"/);
  for (const f of filesUnder(securityDir)) assert.ok(!readFileSync(f, 'utf8').includes('Spray-Guess-1'), 'no password in the security log');

  const report = JSON.parse(cliOk(server.dataDir, ['logs', 'failed-logins', '--json'])) as Array<{ user: string }>;
  assert.ok(report.some((r) => r.user === 'nobody1@auth.test'), 'the failed-logins report still reads the file');
});
