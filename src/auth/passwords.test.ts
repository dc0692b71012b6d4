import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { hashPassword, hashScheme, md5Crypt, needsRehash, refusedWeakScheme, setAllowedWeakSchemes, shaCrypt, verifyPassword } from './passwords.js';

test('new hashes are argon2id at or above the OWASP minimum and verify', async () => {
  const h = await hashPassword('correct horse');
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(h);
  assert.ok(m, h);
  assert.ok(Number(m[1]) >= 19456 && Number(m[2]) >= 2 && Number(m[3]) >= 1);
  assert.equal(await verifyPassword(h, 'correct horse'), true);
  assert.equal(await verifyPassword(h, 'correct horsE'), false);
  assert.equal(await verifyPassword(`{ARGON2ID}${h}`, 'correct horse'), true);
  assert.equal(needsRehash(h), false);
  assert.equal(needsRehash(`{ARGON2ID}${h}`), true);
});

test('weaker argon2id parameters need a rehash', () => {
  assert.equal(needsRehash('$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'), true);
});

test('SHA-crypt matches the reference vectors (Drepper spec / openssl passwd)', () => {
  assert.equal(shaCrypt('sha512', 'Hello world!', '$6$saltstring'),
    '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1');
  assert.equal(shaCrypt('sha256', 'Hello world!', '$5$saltstring'),
    '$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5');
  assert.equal(shaCrypt('sha512', 'Hello world!', '$6$rounds=10000$saltstringsaltstring'),
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.');
  assert.equal(shaCrypt('sha256', 'Hello world!', '$5$rounds=10000$saltstringsaltstring'),
    '$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA');
  assert.equal(shaCrypt('sha512', 'This is just a test', '$6$toolongsaltstring'),
    '$6$toolongsaltstrin$lQ8jolhgVRVhY4b5pZKaysCLi0QBxGoNeKQzQ3glMhwllF7oGDZxUhx1yxdYcz/e1JSbq3y6JMxxl8audkUEm0');
});

test('Dovecot-style imported hashes verify', async () => {
  const sha512 = '{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1';
  assert.equal(await verifyPassword(sha512, 'Hello world!'), true);
  assert.equal(await verifyPassword(sha512, 'Hello world?'), false);
  assert.equal(await verifyPassword('{SHA256-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5', 'Hello world!'), true);
  const salt = randomBytes(8);
  const ssha = '{SSHA512}' + Buffer.concat([createHash('sha512').update('pässword').update(salt).digest(), salt]).toString('base64');
  assert.equal(await verifyPassword(ssha, 'pässword'), true);
  assert.equal(await verifyPassword(ssha, 'password'), false);
  assert.equal(needsRehash(sha512), true);
});

test('unknown, weak (not allowed) or malformed schemes never verify', async () => {
  assert.equal(await verifyPassword('{PLAIN}secret', 'secret'), false);
  assert.equal(await verifyPassword('{MD5-CRYPT}$1$abc$xyz', 'secret'), false);
  assert.equal(await verifyPassword('{SSHA512}', ''), false);
  assert.equal(await verifyPassword('$argon2id$garbage', 'x'), false);
  assert.equal(await verifyPassword('{BLF-CRYPT}$2y$05$abcdefghijklmnopqrstuu5YMK3Ct5Kd.6TcCbQ0zBgmR8jvh1hC', 'x'), false);
  assert.equal(hashScheme('{blf-crypt}$2y$x').scheme, 'BLF-CRYPT');
});

test('{BLF-CRYPT} (bcrypt, as Dovecot writes it) verifies against the Openwall reference vector and is rehashed', async () => {
  // Reference vector from Openwall's crypt_blowfish tests (password "U*U"), as $2a$ and as $2y$.
  const vector = '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW';
  assert.equal(await verifyPassword(`{BLF-CRYPT}${vector}`, 'U*U'), true);
  assert.equal(await verifyPassword(`{BLF-CRYPT}${vector.replace('$2a$', '$2y$')}`, 'U*U'), true);
  assert.equal(await verifyPassword(`{BLF-CRYPT}${vector}`, 'U*V'), false);
  assert.equal(needsRehash(`{BLF-CRYPT}${vector}`), true);
});

test('MD5-crypt matches openssl passwd -1', () => {
  assert.equal(md5Crypt('Hello world!', '$1$saltstri$'), '$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1');
  assert.equal(md5Crypt('', '$1$ab'), '$1$ab$rn6aQS/o7141mj179E/zA.');
  assert.equal(md5Crypt('a-very-long-password-longer-than-sixteen-bytes', '$1$12345678$'), '$1$12345678$.yRhwbFcJYXjrxAM1Cq45/');
  assert.equal(md5Crypt('x', '$6$abc'), null);
});

test('weak schemes verify only when allowed, one by one, and always need a rehash', async (t) => {
  t.after(() => setAllowedWeakSchemes([]));
  const vectors: Record<string, string> = {
    PLAIN: '{PLAIN}Hello world!',
    CLEAR: '{CLEAR}Hello world!',
    'PLAIN-MD5': `{PLAIN-MD5}${createHash('md5').update('Hello world!').digest('hex')}`,
    'MD5-CRYPT': '{MD5-CRYPT}$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1',
  };
  for (const [scheme, stored] of Object.entries(vectors)) {
    setAllowedWeakSchemes([]);
    assert.equal(await verifyPassword(stored, 'Hello world!'), false, `${scheme} not allowed`);
    assert.equal(refusedWeakScheme(stored), scheme);
    setAllowedWeakSchemes(Object.keys(vectors).filter((k) => k !== scheme).map((k) => k.toLowerCase()));
    assert.equal(await verifyPassword(stored, 'Hello world!'), false, `${scheme} not in the list`);
    setAllowedWeakSchemes([scheme]);
    assert.equal(refusedWeakScheme(stored), null);
    assert.equal(await verifyPassword(stored, 'Hello world!'), true, `${scheme} allowed`);
    assert.equal(await verifyPassword(stored, 'Hello world?'), false, `${scheme} wrong password`);
    assert.equal(await verifyPassword(stored, ''), false, `${scheme} empty password`);
    assert.equal(needsRehash(stored), true);
  }
  setAllowedWeakSchemes(['PLAIN-MD5']);
  const b64 = `{PLAIN-MD5}${createHash('md5').update('pw').digest('base64')}`;
  assert.equal(await verifyPassword(b64, 'pw'), true, 'base64 PLAIN-MD5');
  assert.throws(() => setAllowedWeakSchemes(['SHA1']), /SHA1/);
});
