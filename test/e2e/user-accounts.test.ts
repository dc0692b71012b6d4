// Accounts as an administrator manages them on a running server, with real clients (Python's
// imaplib and poplib over implicit TLS): hashes moved over from Dovecot (made by Dovecot's own
// `doveadm pw`) log in and are upgraded to argon2id; per-user IMAP/POP3 switches; app passwords
// through the CLI; and `auth blocks list|clear` on a network the throttle blocked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliOk, python, startServer, type Server } from './harness.js';
import { eventually } from './log-reader.js';

const DOVEADM = spawnSync('doveadm', ['help'], { encoding: 'utf8' }).error ? null : 'doveadm';
const SCHEMES = ['ARGON2ID', 'BLF-CRYPT', 'SHA512-CRYPT', 'SHA256-CRYPT', 'SSHA512'];

let server: Server;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

interface LoginResult { ok: boolean; reply: string }

/** One login (IMAP LOGIN or POP3 USER/PASS) over implicit TLS from a loopback source address. */
async function login(proto: 'imap' | 'pop', user: string, password: string, source = '127.0.0.1'): Promise<LoginResult> {
  const port = proto === 'imap' ? server.ports.imaps : server.ports.pop3s;
  const r = await python('login_from.py', [proto, '127.0.0.1', String(port), 'tls', source, user, password]);
  assert.equal(r.code, 0, `${proto} login ${user}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as LoginResult;
}

type UserRow = { address: string; imapEnabled: boolean; popEnabled: boolean; passwordScheme: string | null };
const users = (): UserRow[] => JSON.parse(cliOk(server.dataDir, ['user', 'list', '--json'])) as UserRow[];
const userRow = (address: string): UserRow | undefined => users().find((u) => u.address === address);

function doveadmHash(scheme: string, password: string): string {
  const r = spawnSync(DOVEADM!, ['pw', '-s', scheme, '-p', password], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('Dovecot hashes of all five schemes import (passwd-file and --hash-stdin), log in over IMAP and become argon2id',
  { skip: DOVEADM ? false : 'doveadm is not installed (apt-get install dovecot-core) — hash import test skipped' }, async () => {
    const pw = (scheme: string) => `moved-${scheme.toLowerCase()}-pw`;
    const hashes = Object.fromEntries(SCHEMES.map((s) => [s, doveadmHash(s, pw(s))]));
    const addr = (scheme: string) => `${scheme.toLowerCase()}@moved.test`;
    const file = join(server.dataDir, '..', 'passwd');

    // A file with bad lines imports nothing and names each bad line.
    writeFileSync(file, [
      '# users from the old Dovecot', '',
      `${addr('SHA512-CRYPT')}:${hashes['SHA512-CRYPT']}:1000:1000::/home/a::`,
      `weak@moved.test:{PLAIN-MD5}1a1dc91c907325c69271ddf0c944bc72:1000:1000::/home/b::`,
      `broken@moved.test:{SHA512-CRYPT}$6$salt$short`,
      `nouser:${hashes['SHA256-CRYPT']}`, '',
    ].join('\n'));
    const bad = cli(server.dataDir, ['user', 'import-passwd', file]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /3 bad lines in .*passwd, nothing imported/);
    assert.match(bad.stderr, /line 4: weak@moved.test: scheme \{PLAIN-MD5\} is not supported \(allowed: \{ARGON2ID\}, \{BLF-CRYPT\}/);
    assert.match(bad.stderr, /line 5: broken@moved.test: \{SHA512-CRYPT\} hash is malformed/);
    assert.match(bad.stderr, /line 6: user "nouser" is not an email address \(give --domain/);
    assert.doesNotMatch(bad.stderr, /\$6\$/, 'no hash is echoed');
    assert.equal(users().length, 0, 'nothing written');

    // The good file: four schemes from the passwd-file (one a bare name with --domain), the fifth
    // through user add --hash-stdin.
    const fromFile = SCHEMES.filter((s) => s !== 'SSHA512');
    writeFileSync(file, ['# migrated', ...fromFile.map((s) => `${s === 'ARGON2ID' ? 'argon2id' : addr(s)}:${hashes[s]}:1000:1000::/home/x::userdb_quota_rule=*:storage=1G`), ''].join('\n'));
    assert.match(cliOk(server.dataDir, ['user', 'import-passwd', file, '--domain', 'moved.test']), /^Imported 4 users from .*passwd\.$/m);
    assert.match(cliOk(server.dataDir, ['user', 'add', addr('SSHA512'), '--hash-stdin'], hashes.SSHA512 + '\n'), /Added ssha512@moved.test/);
    const again = cli(server.dataDir, ['user', 'import-passwd', file, '--domain', 'moved.test']);
    assert.equal(again.code, 2, 'existing users are problems too');
    assert.match(again.stderr, /line 2: argon2id@moved.test: already exists/);
    for (const s of SCHEMES) assert.equal(userRow(addr(s))?.passwordScheme, s, `${s} stored as imported`);

    for (const s of SCHEMES) {
      assert.equal((await login('imap', addr(s), 'not-the-password')).ok, false, `${s}: a wrong password is refused`);
      const r = await login('imap', addr(s), pw(s));
      assert.equal(r.ok, true, `${s}: ${r.reply}`);
      assert.equal(userRow(addr(s))?.passwordScheme, 'argon2id', `${s} upgraded to argon2id at login`);
      assert.equal((await login('imap', addr(s), pw(s))).ok, true, `${s}: logs in with the upgraded hash`);
    }
  });

test('--hash-stdin refuses unknown schemes and malformed hashes with exit 2, nothing written', () => {
  cliOk(server.dataDir, ['user', 'add', 'keep@moved.test', '--password-stdin'], 'keep-this-password\n');
  for (const [input, pattern] of [
    ['{PLAIN}secret', /--hash-stdin: scheme \{PLAIN\} is not supported \(allowed: \{ARGON2ID\}, \{BLF-CRYPT\}, \{SHA512-CRYPT\}, \{SHA256-CRYPT\}, \{SSHA512\}\)/],
    ['{MD5-CRYPT}$1$abc$0123456789012345678901', /--hash-stdin: scheme \{MD5-CRYPT\} is not supported/],
    ['$6$salt$abc', /--hash-stdin: hash has no \{SCHEME\} prefix/],
    ['{SSHA512}c2hvcnQ=', /--hash-stdin: \{SSHA512\} hash is malformed/],
    ['', /--hash-stdin: empty hash/],
  ] as Array<[string, RegExp]>) {
    const r = cli(server.dataDir, ['user', 'passwd', 'keep@moved.test', '--hash-stdin'], input + '\n');
    assert.equal(r.code, 2, input);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    const add = cli(server.dataDir, ['user', 'add', 'new@moved.test', '--hash-stdin'], input + '\n');
    assert.equal(add.code, 2, input);
  }
  assert.equal(userRow('keep@moved.test')?.passwordScheme, 'argon2id', 'password unchanged');
  assert.equal(userRow('new@moved.test'), undefined, 'no account created');
  const both = cli(server.dataDir, ['user', 'add', 'new@moved.test', '--hash-stdin', '--password-stdin'], 'x\n');
  assert.equal(both.code, 2);
  assert.match(both.stderr, /--hash-stdin: not allowed together with --password-stdin/);
});

test('user set --pop-enabled/--imap-enabled: a disabled protocol refuses the login as a wrong password does', async () => {
  const user = 'switch@example.test';
  const password = 'switch-user-pw';
  cliOk(server.dataDir, ['user', 'add', user, '--password-stdin'], password + '\n');
  assert.equal((await login('pop', user, password)).ok, true);
  const wrong = await login('pop', user, 'wrong-password');
  assert.equal(wrong.ok, false);

  assert.match(cliOk(server.dataDir, ['user', 'set', user, '--pop-enabled', 'false']), /POP3 access for switch@example.test: disabled/);
  assert.deepEqual([userRow(user)?.imapEnabled, userRow(user)?.popEnabled], [true, false]);
  const refused = await login('pop', user, password);
  assert.equal(refused.ok, false);
  assert.equal(refused.reply, wrong.reply, 'the same reply as a wrong password');
  assert.equal((await login('imap', user, password)).ok, true, 'IMAP still allowed');

  for (const args of [['--pop-enabled', 'yes'], ['--imap-enabled', ''], ['--imap-enabled', 'false', '--pop-enabled', 'on']]) {
    const r = cli(server.dataDir, ['user', 'set', user, ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /--(pop|imap)-enabled: ".*" is not allowed \(allowed: true, false\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  assert.deepEqual([userRow(user)?.imapEnabled, userRow(user)?.popEnabled], [true, false], 'nothing written');

  cliOk(server.dataDir, ['user', 'set', user, '--pop-enabled', 'true', '--imap-enabled', 'false']);
  assert.equal((await login('pop', user, password)).ok, true);
  const imapRefused = await login('imap', user, password);
  assert.equal(imapRefused.ok, false);
  assert.match(imapRefused.reply, /IMAP access is disabled/);
  assert.match(cliOk(server.dataDir, ['user', 'list']), /switch@example.test {2}imap=off pop=on/);
});

test('user app-password add|list|remove: printed once, limited to its protocols, last use listed, revoked; refusals exit 2', async () => {
  const user = 'apps@example.test';
  cliOk(server.dataDir, ['user', 'add', user, '--password-stdin'], 'apps-account-pw\n');
  for (const [args, pattern] of [
    [['add', user, '--protocols', 'imap4'], /--name: missing or not allowed/],
    [['add', user, '--name', 'phone'], /--protocols: missing/],
    [['add', user, '--name', 'phone', '--protocols', 'imap4,gopher'], /--protocols: "gopher" is not one of imap4, pop3, smtp/],
    [['add', user, '--name', 'bad name', '--protocols', 'imap4'], /--name: missing or not allowed/],
    [['add', 'nobody@example.test', '--name', 'phone', '--protocols', 'imap4'], /ADDRESS: no such user nobody@example.test/],
    [['list', 'nobody@example.test'], /ADDRESS: no such user/],
    [['frobnicate', user], /unknown subcommand "frobnicate"/],
  ] as Array<[string[], RegExp]>) {
    const r = cli(server.dataDir, ['user', 'app-password', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
  assert.equal(cliOk(server.dataDir, ['user', 'app-password', 'list', user]).trim(), '(no app passwords)', 'nothing written');

  const out = cliOk(server.dataDir, ['user', 'app-password', 'add', user, '--name', 'phone', '--protocols', 'imap4,smtp']);
  const appPw = /^ {4}([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$/m.exec(out)?.[1];
  assert.ok(appPw, out);
  assert.match(out, /App password "phone" for apps@example.test \(imap4, smtp\)/);
  assert.match(out, /shown only this once/);
  const dup = cli(server.dataDir, ['user', 'app-password', 'add', user, '--name', 'phone', '--protocols', 'pop3']);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /--name: phone already exists for apps@example.test/);

  const listed = cliOk(server.dataDir, ['user', 'app-password', 'list', user]);
  assert.match(listed, /^phone {2}protocols=imap4,smtp {2}created=\d{4}-\d\d-\d\dT[\d:.]+Z {2}last-used=never$/m);
  assert.ok(!listed.includes(appPw) && !listed.includes(appPw.replace(/-/g, '')), 'the password is never shown again');

  assert.equal((await login('imap', user, appPw)).ok, true, 'IMAP with the app password');
  assert.equal((await login('pop', user, appPw)).ok, false, 'not for POP3');
  assert.equal((await login('pop', user, 'apps-account-pw')).ok, true, 'the account password is unaffected');
  type Row = { name: string; protocols: string[]; createdAt: string; lastUsedAt: string | null };
  const rows = (): Row[] => JSON.parse(cliOk(server.dataDir, ['user', 'app-password', 'list', user, '--json'])) as Row[];
  const used = await eventually(() => rows().find((r) => r.lastUsedAt !== null), 'the last use to be recorded');
  assert.deepEqual([used.name, used.protocols], ['phone', ['imap4', 'smtp']]);
  assert.ok(Date.parse(used.lastUsedAt!) >= Date.parse(used.createdAt));
  assert.match(cliOk(server.dataDir, ['user', 'app-password', 'list', user]), /last-used=\d{4}-/);

  const unknown = cli(server.dataDir, ['user', 'app-password', 'remove', user, 'tablet']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /NAME: apps@example.test has no app password named tablet/);
  assert.match(cliOk(server.dataDir, ['user', 'app-password', 'remove', user, 'phone']), /Removed app password "phone" of apps@example.test/);
  assert.equal((await login('imap', user, appPw)).ok, false, 'revoked');
  assert.equal(cliOk(server.dataDir, ['user', 'app-password', 'list', user]).trim(), '(no app passwords)');
});

test('auth blocks list|clear: a network blocked after failures is listed, refused even with the right password, and cleared', async () => {
  const user = 'blocked@example.test';
  const password = 'blocked-user-pw';
  const attacker = '127.0.0.9';
  cliOk(server.dataDir, ['user', 'add', user, '--password-stdin'], password + '\n');
  const badAddress = cli(server.dataDir, ['auth', 'blocks', 'clear', 'not-an-ip']);
  assert.equal(badAddress.code, 2);
  assert.match(badAddress.stderr, /ADDRESS: "not-an-ip" is not allowed/);
  assert.doesNotMatch(cliOk(server.dataDir, ['auth', 'blocks', 'list']), /127\.0\.0\.9/);

  // Failing on five different accounts blocks the network (the spraying rule), at small delays.
  for (let i = 0; i < 5; i++) assert.equal((await login('imap', `guess${i}@example.test`, 'guessed-pw', attacker)).ok, false);
  const line = await eventually(() => /^127\.0\.0\.9 {2}until (\S+) {2}failures=5$/m.exec(cliOk(server.dataDir, ['auth', 'blocks', 'list'])) ?? undefined, 'the block to be listed');
  assert.ok(Date.parse(line[1]!) > Date.now(), 'blocked until a future time');
  const json = JSON.parse(cliOk(server.dataDir, ['auth', 'blocks', 'list', attacker, '--json'])) as { blocks: Array<{ network: string }> };
  assert.deepEqual(json.blocks.map((b) => b.network), [attacker]);

  const refused = await login('imap', user, password, attacker);
  assert.equal(refused.ok, false);
  assert.match(refused.reply, /Too many failed logins/);
  assert.equal((await login('imap', user, password, '127.0.0.1')).ok, true, 'another address is not blocked');

  assert.match(cliOk(server.dataDir, ['auth', 'blocks', 'clear', attacker]), /Clear of 127\.0\.0\.9 requested/);
  await eventually(() => (/\(no blocks\)/.test(cliOk(server.dataDir, ['auth', 'blocks', 'list'])) ? true : undefined), 'the block to be cleared');
  assert.equal((await login('imap', user, password, attacker)).ok, true, 'the address can log in again');
});
