import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveScramKeys, formatScramKeys, parseScramKeys } from '../scram.js';
import { ScramClient } from '../testing/scram-client.js';
import { createSaslServer, type SaslEnv, type SaslStep } from './index.js';

// RFC 7677 §3 test vector.
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const CLIENT_NONCE = 'rOprNGfwEbeRWgbNEkqO';
const SERVER_NONCE = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const keys = deriveScramKeys('pencil', SALT, 4096);
const b = (s: string): Buffer => Buffer.from(s, 'utf8');

function env(over: Partial<SaslEnv> = {}): SaslEnv {
  return { scramLookup: async () => ({ keys }), nonce: () => SERVER_NONCE, ...over };
}
const text = (s: SaslStep): string => ('challenge' in s ? s.challenge.toString('utf8') : JSON.stringify(s));

test('SCRAM-SHA-256 reproduces the RFC 7677 exchange', async () => {
  const server = createSaslServer('SCRAM-SHA-256', env())!;
  const client = new ScramClient('user', 'pencil', { nonce: CLIENT_NONCE });
  assert.equal(client.first(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
  const s1 = text(await server.step(b(client.first())));
  assert.equal(s1, 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  const c2 = client.final(s1);
  assert.equal(c2, 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  const s2 = await server.step(b(c2));
  assert.ok('verified' in s2, JSON.stringify(s2));
  assert.equal(s2.verified.username, 'user');
  assert.equal(s2.serverFinal?.toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.ok(client.verify(s2.serverFinal!.toString()));
});

test('a wrong password is rejected, not verified', async () => {
  const server = createSaslServer('SCRAM-SHA-256', env())!;
  const client = new ScramClient('user', 'pencil2');
  const s1 = text(await server.step(b(client.first())));
  const s2 = await server.step(b(client.final(s1)));
  assert.ok('rejected' in s2 && s2.rejected.username === 'user');
});

test('channel binding: -PLUS checks the data, plain SCRAM refuses p= and a downgrade', async () => {
  const cb = Buffer.alloc(32, 7);
  const plus = (data: Buffer): SaslEnv => env({ channelBinding: (t) => (t === 'tls-exporter' ? cb : null), plusOffered: true });
  const ok = createSaslServer('SCRAM-SHA-256-PLUS', plus(cb))!;
  const c = new ScramClient('user', 'pencil', { channelBinding: { type: 'tls-exporter', data: cb } });
  const r = await ok.step(b(c.final(text(await ok.step(b(c.first()))))));
  assert.ok('verified' in r);
  const bad = createSaslServer('SCRAM-SHA-256-PLUS', plus(cb))!;
  const m = new ScramClient('user', 'pencil', { channelBinding: { type: 'tls-exporter', data: Buffer.alloc(32, 8) } });
  const r2 = await bad.step(b(m.final(text(await bad.step(b(m.first()))))));
  assert.ok('rejected' in r2, 'a channel-binding mismatch must fail');
  const unavailable = createSaslServer('SCRAM-SHA-256-PLUS', plus(cb))!;
  const u = new ScramClient('user', 'pencil', { channelBinding: { type: 'tls-server-end-point', data: cb } });
  assert.ok('error' in (await unavailable.step(b(u.first()))));
  const downgrade = createSaslServer('SCRAM-SHA-256', plus(cb))!;
  assert.ok('error' in (await downgrade.step(b(new ScramClient('user', 'pencil', { channelBinding: 'y' }).first()))));
  const pOnPlain = createSaslServer('SCRAM-SHA-256', plus(cb))!;
  assert.ok('error' in (await pOnPlain.step(b(c.first()))));
});

test('malformed SCRAM messages get errors, never exceptions', async () => {
  for (const bad of ['', 'x', 'n,,', 'n,,n=,r=abc', 'n,,r=abc,n=user', 'n,,m=ext,n=u,r=a', 'n,a=,n=u,r=a', 'n,,n=u=ZZ,r=a', 'p=,,n=u,r=a']) {
    const s = createSaslServer('SCRAM-SHA-256', env())!;
    const r = await s.step(b(bad));
    assert.ok('error' in r || ('challenge' in r && bad === ''), `${JSON.stringify(bad)} -> ${JSON.stringify(r)}`);
  }
  const s = createSaslServer('SCRAM-SHA-256', env())!;
  const c = new ScramClient('user', 'pencil');
  await s.step(b(c.first()));
  assert.ok('error' in (await s.step(b('c=biws,r=other,p=AAAA'))));
});

test('stored keys round-trip through their text form', () => {
  const k = deriveScramKeys('secret');
  assert.deepEqual(parseScramKeys(formatScramKeys(k)), k);
  assert.equal(parseScramKeys('{SCRAM-SHA-256}x,y,z'), null);
});
