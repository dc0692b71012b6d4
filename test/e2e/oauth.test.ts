// OAUTHBEARER (RFC 7628) and XOAUTH2 end to end: an issuers file with an EC key (PEM) and an RSA
// key (JWK) made with node:crypto, JWTs signed in the test, and Python's imaplib, poplib and
// smtplib logging in over TLS. Refused tokens get the JSON error challenge and then NO / -ERR / 535.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, python, cliOk, type Server } from './harness.js';

const alice = 'alice@example.test';
const bob = 'bob@example.test';
const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'portcullis-mail';
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }); // not in the issuers file
let server: Server;
let dir: string;

function jwt(key: KeyObject, alg: 'ES256' | 'RS256', claims: Record<string, unknown>, kid?: string): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const signed = `${part({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })}.${part(claims)}`;
  const sig = sign('sha256', Buffer.from(signed), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${signed}.${sig.toString('base64url')}`;
}

const now = (): number => Math.floor(Date.now() / 1000);
const claims = (email: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ iss: ISSUER, aud: AUDIENCE, email, iat: now(), exp: now() + 600, ...extra });
const token = {
  alice: () => jwt(ec.privateKey, 'ES256', claims(alice), 'ec-1'),
  // The size of a real provider's access token (~2.5 KB: group and scope claims).
  aliceRsa: () => jwt(rsa.privateKey, 'RS256', claims(alice, { groups: Array.from({ length: 40 }, (_, i) => `0f4c2a6e-group-${i}-7d1b9e3a`) }), 'rsa-1'),
  expired: () => jwt(ec.privateKey, 'ES256', claims(alice, { iat: now() - 7200, exp: now() - 3600 }), 'ec-1'),
  wrongAudience: () => jwt(ec.privateKey, 'ES256', claims(alice, { aud: 'someone-else' }), 'ec-1'),
  wrongKey: () => jwt(stranger.privateKey, 'ES256', claims(alice), 'ec-1'),
};

type Proto = 'imap' | 'pop' | 'smtp';
type Mech = 'xoauth2' | 'oauthbearer' | 'xoauth2-ir';
interface Seen { mechanisms: string[]; ok: boolean; challenge: string | null; reply: string; after: string }

// IMAP over implicit TLS, POP3 after STLS, SMTP submission after STARTTLS.
function where(proto: Proto): { port: number | undefined; mode: string } {
  if (proto === 'imap') return { port: server.ports.imaps, mode: 'implicit' };
  if (proto === 'pop') return { port: server.ports.pop3, mode: 'starttls' };
  return { port: server.ports.submission, mode: 'starttls' };
}

async function login(proto: Proto, mech: Mech, name: string, bearer: string): Promise<Seen> {
  const { port, mode } = where(proto);
  assert.ok(port, `${proto} port`);
  const r = await python('oauth_login.py', [proto, '127.0.0.1', String(port), mode, mech, name, bearer, alice]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as Seen;
}

const SUCCESS: Record<Proto, RegExp> = { imap: /^OK /, pop: /^\+OK/, smtp: /^235 / };
const AFTER: Record<Proto, RegExp> = { imap: /^INBOX OK 1$/, pop: /^STAT 1 \d+$/, smtp: /^MAIL 250$/ };
const REFUSED: Record<Proto, RegExp> = {
  imap: /\bNO\b.*\[AUTHENTICATIONFAILED\]/,
  pop: /^-ERR \[AUTH\] Authentication failed/,
  smtp: /^535 /,
};
const STILL_USABLE: Record<Proto, string> = { imap: 'NOOP OK', pop: 'CAPA True', smtp: 'NOOP 250' };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-oauth-'));
  const issuers = join(dir, 'issuers.json');
  writeFileSync(issuers, JSON.stringify({
    issuers: [{
      issuer: ISSUER,
      audience: [AUDIENCE],
      keys: [
        { kid: 'ec-1', pem: ec.publicKey.export({ type: 'spki', format: 'pem' }) },
        { kid: 'rsa-1', jwk: rsa.publicKey.export({ format: 'jwk' }) },
      ],
    }],
  }));
  server = await startServer({
    services: ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'submission'],
    users: [{ address: alice, password: 'alice-secret-pw' }, { address: bob, password: 'bob-secret-pw' }],
    // Loopback is allow-listed so that the refusals below are not slowed down by the throttle.
    auth: { 'oauth-issuers-file': issuers, 'allow-list': '127.0.0.0/8,::1/128' },
  });
  cliOk(server.dataDir, ['deliver', '--to', alice], 'From: x@example.test\r\nSubject: for alice\r\n\r\nhello\r\n');
});
after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const proto of ['imap', 'pop', 'smtp'] as const) {
  test(`${proto}: a valid token logs in with XOAUTH2 (ES256) and with OAUTHBEARER (RS256)`, async () => {
    const x = await login(proto, 'xoauth2', alice, token.alice());
    assert.ok(x.mechanisms.includes('XOAUTH2') && x.mechanisms.includes('OAUTHBEARER'), JSON.stringify(x));
    assert.equal(x.ok, true, JSON.stringify(x));
    assert.match(x.reply, SUCCESS[proto]);
    assert.equal(x.challenge, null);
    assert.match(x.after, AFTER[proto]);
    const o = await login(proto, 'oauthbearer', '', token.aliceRsa());
    assert.equal(o.ok, true, JSON.stringify(o));
    assert.match(o.after, AFTER[proto]);
    // The authzid may name the token's own user.
    const self = await login(proto, 'oauthbearer', alice, token.alice());
    assert.equal(self.ok, true, JSON.stringify(self));
  });

  for (const [what, make] of [['an expired token', token.expired], ['a wrong audience', token.wrongAudience], ['a key the issuer does not have', token.wrongKey]] as const) {
    test(`${proto}: ${what} gets the RFC 7628 error challenge, then a refusal`, async () => {
      const o = await login(proto, 'oauthbearer', '', make());
      assert.equal(o.ok, false, JSON.stringify(o));
      assert.deepEqual(JSON.parse(o.challenge ?? 'null'), { status: 'invalid_token', schemes: 'bearer' });
      assert.match(o.reply, REFUSED[proto]);
      assert.equal(o.after, STILL_USABLE[proto]);
      const x = await login(proto, 'xoauth2', alice, make());
      assert.equal(x.ok, false, JSON.stringify(x));
      assert.deepEqual(JSON.parse(x.challenge ?? 'null'), { status: '401', schemes: 'bearer' });
      assert.match(x.reply, REFUSED[proto]);
      assert.equal(x.after, STILL_USABLE[proto]);
    });
  }

  if (proto === 'imap') {
    test('imap: XOAUTH2 with a provider-sized token as a SASL-IR initial response logs in', async () => {
      const x = await login('imap', 'xoauth2-ir', alice, token.aliceRsa());
      assert.equal(x.ok, true, JSON.stringify(x));
      assert.match(x.after, AFTER.imap);
    });
  }
  if (proto === 'pop') {
    test('pop: XOAUTH2 with the token on the AUTH line (Thunderbird sends it so) logs in', async () => {
      const long = token.aliceRsa();
      assert.ok(long.length > 2000, String(long.length));
      const x = await login('pop', 'xoauth2-ir', alice, long);
      assert.equal(x.ok, true, JSON.stringify(x));
      assert.match(x.after, AFTER.pop);
      const refused = await login('pop', 'xoauth2-ir', alice, token.expired());
      assert.deepEqual(JSON.parse(refused.challenge ?? 'null'), { status: '401', schemes: 'bearer' });
      assert.match(refused.reply, REFUSED.pop);
    });
  }

  test(`${proto}: a token for alice with authzid bob is refused as an authorization failure`, async () => {
    const o = await login(proto, 'oauthbearer', bob, token.alice());
    assert.equal(o.ok, false, JSON.stringify(o));
    assert.equal(o.challenge, null);
    const expected = { imap: /\bNO\b.*\[AUTHORIZATIONFAILED\]/, pop: /^-ERR \[AUTH\] Authorization failed/, smtp: /^535 / }[proto];
    assert.match(o.reply, expected);
    // XOAUTH2 has no authorization identity: a user= other than the token's is refused.
    const x = await login(proto, 'xoauth2', bob, token.alice());
    assert.equal(x.ok, false, JSON.stringify(x));
    assert.match(x.reply, REFUSED[proto]);
  });
}

test('the security log records bearer logins and refusals, never a token', async () => {
  const logs = join(server.dataDir, 'logs');
  const read = (): string => {
    const out: string[] = [];
    const walk = (d: string): void => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name));
        else out.push(readFileSync(join(d, e.name), 'utf8'));
      }
    };
    walk(logs);
    return out.join('');
  };
  const security = (): string[] => read().split('\n').filter((l) => l.includes('"mechanism":"OAUTHBEARER"') || l.includes('"mechanism":"XOAUTH2"'));
  const has = (): boolean => {
    const lines = security();
    return lines.some((l) => l.includes('"result":"success"')) && lines.some((l) => l.includes('"result":"failure"'));
  };
  // The log is written asynchronously: wait for the condition (bounded), not for a fixed time.
  for (let i = 0; i < 200 && !has(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(has(), security().join('\n').slice(-2000));
  const all = read() + server.output();
  // No token, nor any signed part of one, in any log or on the console.
  for (const t of [token.alice(), token.expired()]) {
    assert.ok(!all.includes(t.split('.')[1]!.slice(0, 40)), 'a token payload was logged');
  }
  assert.ok(!all.includes('Bearer '), 'a bearer token was logged');
});
