import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSaslServer } from './index.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

test('PLAIN with an initial response, with and without authzid', () => {
  const s = createSaslServer('plain');
  assert.ok(s);
  assert.equal(s.passwordBased, true);
  assert.deepEqual(s.step(b('\0alice@example.org\0pw ünïcode')),
    { done: true, attempt: { username: 'alice@example.org', password: 'pw ünïcode', authzid: '', mechanism: 'PLAIN' } });
  const t = createSaslServer('PLAIN');
  assert.deepEqual(t?.step(b('boss\0alice\0pw')), { done: true, attempt: { username: 'alice', password: 'pw', authzid: 'boss', mechanism: 'PLAIN' } });
});

test('PLAIN without an initial response gets an empty challenge first', () => {
  const s = createSaslServer('PLAIN')!;
  assert.deepEqual(s.step(null), { challenge: Buffer.alloc(0) });
  const r = s.step(b('\0bob\0secret'));
  assert.ok('attempt' in r && r.attempt.username === 'bob');
});

test('PLAIN rejects malformed messages with a clear error', () => {
  for (const bad of ['alice\0pw', '\0\0pw', '\0alice\0', 'a\0b\0c\0d', '']) {
    const r = createSaslServer('PLAIN')!.step(b(bad));
    assert.ok('error' in r, JSON.stringify(bad));
  }
  const invalidUtf8 = Buffer.from([0, 0x61, 0, 0xff, 0xfe]);
  assert.ok('error' in createSaslServer('PLAIN')!.step(invalidUtf8));
  const long = Buffer.concat([b('\0'), Buffer.alloc(2000, 0x61), b('\0pw')]);
  assert.ok('error' in createSaslServer('PLAIN')!.step(long));
  const s = createSaslServer('PLAIN')!;
  s.step(b('\0a\0b'));
  assert.ok('error' in s.step(b('\0a\0b')), 'no second attempt on a finished exchange');
});

test('LOGIN asks for user name and password', () => {
  const s = createSaslServer('LOGIN')!;
  assert.deepEqual(s.step(null), { challenge: b('Username:') });
  assert.deepEqual(s.step(b('carol')), { challenge: b('Password:') });
  assert.deepEqual(s.step(b('s3cret')), { done: true, attempt: { username: 'carol', password: 's3cret', mechanism: 'LOGIN-SASL' } });
  const ir = createSaslServer('LOGIN')!;
  assert.deepEqual(ir.step(b('dave')), { challenge: b('Password:') });
  assert.ok('error' in createSaslServer('LOGIN')!.step(Buffer.alloc(0)));
});

test('unknown mechanisms are not offered', () => {
  assert.equal(createSaslServer('CRAM-MD5'), null);
  assert.equal(createSaslServer(''), null);
});
