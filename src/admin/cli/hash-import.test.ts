import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { verifyPassword } from '../../auth/passwords.js';
import { checkImportedHash, parsePasswdFile } from './hash-import.js';

const SHA512 = '{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
const SHA256 = '{SHA256-CRYPT}$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA';
const BLF = '{BLF-CRYPT}$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
const address = (a: string): string => {
  if (!/^[^@\s]+@[^@\s]+$/.test(a)) throw new Error('bad');
  return a.toLowerCase();
};

test('imported hashes: the five schemes in their exact shape are kept (scheme upper-cased) and still verify', async () => {
  const ssha = '{ssha512}' + Buffer.concat([createHash('sha512').update('pw').update('salt').digest(), Buffer.from('salt')]).toString('base64');
  assert.equal(checkImportedHash(`  ${SHA512}\n`), SHA512);
  assert.equal(checkImportedHash(SHA256), SHA256);
  assert.equal(checkImportedHash(BLF), BLF);
  assert.equal(await verifyPassword(checkImportedHash(ssha), 'pw'), true);
  assert.equal(await verifyPassword(checkImportedHash(SHA512), 'Hello world!'), true);
  assert.match(checkImportedHash('{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$hbd0dlmi//37Pr97Hb1afQ$OY4s5/KHPZ2u5XUIBscX9Y2tjZiOCfma9mFK+bibXhg'), /^\{ARGON2ID\}\$argon2id\$/);
});

test('imported hashes: other schemes, no prefix, bad shapes and control characters are refused without echoing the hash', () => {
  for (const [h, re] of [
    ['{PLAIN}secret', /scheme \{PLAIN\} is not supported/],
    ['{CRYPT}abJnggxhB/yWI', /scheme \{CRYPT\} is not supported/],
    ['{ARGON2I}$argon2i$v=19$m=1,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', /scheme \{ARGON2I\} is not supported/],
    [SHA512.slice(14), /no \{SCHEME\} prefix/],
    [SHA512.slice(0, -1), /\{SHA512-CRYPT\} hash is malformed/],
    [BLF.replace('$05$', '$5$'), /\{BLF-CRYPT\} hash is malformed/],
    ['{SSHA512}AAAA', /\{SSHA512\} hash is malformed/],
    [`${SHA512}\x00`, /not allowed/],
    ['', /empty hash/],
  ] as Array<[string, RegExp]>) {
    assert.throws(() => checkImportedHash(h), (err: Error) => re.test(err.message) && !err.message.includes('saltstring'), h);
  }
});

test('passwd-file: comments, blank lines and CRLF skipped; bare names take --domain; each problem has its line number', () => {
  const text = ['# header', '', `Alice@Example.org:${SHA512}:1000:1000::/home/alice::userdb_quota_rule=*:storage=1G`, `bob:${BLF}::`, `carol:{PLAIN}x`, 'dave', `alice@example.org:${SHA256}`, ''].join('\r\n');
  const withDomain = parsePasswdFile(text, 'example.org', address);
  assert.deepEqual(withDomain.entries, [
    { line: 3, address: 'alice@example.org', hash: SHA512 },
    { line: 4, address: 'bob@example.org', hash: BLF },
  ]);
  assert.deepEqual(withDomain.problems.map((p) => p.line), [5, 6, 7]);
  assert.match(withDomain.problems[0]!.message, /carol@example.org: scheme \{PLAIN\} is not supported/);
  assert.match(withDomain.problems[1]!.message, /no password field/);
  assert.match(withDomain.problems[2]!.message, /alice@example.org: already on line 3/);
  const without = parsePasswdFile(text, null, address);
  assert.match(without.problems.find((p) => p.line === 4)!.message, /user "bob" is not an email address \(give --domain/);
});
