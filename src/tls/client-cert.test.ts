/** Client-certificate identities, the CA file loader, and a real TLS handshake judged against a CA. */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import './reflect-metadata.js';
import * as x509 from '@peculiar/x509';
import { certificateIdentities, clientCaLoader, clientCertificateOf, identityFor, judgePeerCertificate } from './client-cert.js';
import { createTestTlsProvider } from './provider.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
const dir = mkdtempSync(join(tmpdir(), 'portcullis-clientcert-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const keys = async (): Promise<Keys> => (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as Keys;
const pkcs8 = async (k: Keys): Promise<string> => {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k.privateKey as unknown as webcrypto.CryptoKey));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
};
const serial = (): string => randomBytes(8).toString('hex').replace(/^[89a-f]/, '1');
const times = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) };

async function makeCa(name: string): Promise<{ cert: x509.X509Certificate; keys: Keys }> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(), name: `CN=${name}`, ...times, signingAlgorithm: ALG, keys: k,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true)],
  });
  return { cert, keys: k };
}

async function makeClient(ca: { cert: x509.X509Certificate; keys: Keys }, subject: string, sans: Array<{ type: 'email' | 'dns'; value: string }>): Promise<{ certPem: string; keyPem: string; der: Buffer }> {
  const k = await keys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(), subject, issuer: ca.cert.subject, ...times, signingAlgorithm: ALG,
    publicKey: k.publicKey, signingKey: ca.keys.privateKey,
    extensions: [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ...(sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : []),
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: await pkcs8(k), der: Buffer.from(cert.rawData) };
}

test('identities: first rfc822Name SAN, else subject emailAddress; CN; bad values ignored', async () => {
  const ca = await makeCa('Test CA');
  const both = await makeClient(ca, 'CN=Alice Example, E=subject@example.org', [{ type: 'dns', value: 'x.example' }, { type: 'email', value: 'Alice@Example.org' }, { type: 'email', value: 'second@example.org' }]);
  assert.deepEqual(certificateIdentities(both.der), { email: 'alice@example.org', commonName: null }); // "Alice Example" has a space: no account name
  const subjectOnly = await makeClient(ca, 'CN=bob@example.org, E=Bob@example.org', []);
  assert.deepEqual(certificateIdentities(subjectOnly.der), { email: 'bob@example.org', commonName: 'bob@example.org' });
  const none = await makeClient(ca, 'O=No Names', []);
  assert.deepEqual(certificateIdentities(none.der), { email: null, commonName: null });
  const facts = { verified: true as const, email: 'a@example.org', commonName: 'CN@Example.org', fingerprint: 'ff' };
  assert.equal(identityFor(facts, 'email'), 'a@example.org');
  assert.equal(identityFor(facts, 'common-name'), 'cn@example.org');
  assert.equal(identityFor({ verified: false, reason: 'x' }, 'email'), null);
  assert.equal(identityFor(null, 'email'), null);
});

test('CA loader: empty is off; unreadable or certificate-less files are off and reported; changes are re-read', async () => {
  const problems: string[] = [];
  let path = '';
  const load = clientCaLoader(() => path, (d) => problems.push(d));
  assert.equal(load(), null);
  path = join(dir, 'missing.pem');
  assert.equal(load(), null);
  assert.equal(load(), null);
  assert.equal(problems.length, 1); // told once
  path = join(dir, 'junk.pem');
  writeFileSync(path, 'not a certificate\n');
  assert.equal(load(), null);
  assert.match(problems[1], /no PEM certificate/);
  const ca = await makeCa('Loader CA');
  path = join(dir, 'ca.pem');
  writeFileSync(path, ca.cert.toString('pem'));
  const first = load();
  assert.ok(first && first.pem.includes('BEGIN CERTIFICATE') && first.id.length === 16);
  assert.equal(load(), first); // cached
});

test('a TLS handshake: verified certificate from the CA, unverified from another CA, none without', async () => {
  const ca = await makeCa('Handshake CA');
  const other = await makeCa('Other CA');
  const good = await makeClient(ca, 'CN=carol', [{ type: 'email', value: 'carol@example.org' }]);
  const stranger = await makeClient(other, 'CN=mallory', [{ type: 'email', value: 'carol@example.org' }]);
  const provider = await createTestTlsProvider('localhost', { clientCa: { pem: ca.cert.toString('pem'), id: 'test' } });
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const seen: Array<ReturnType<typeof clientCertificateOf>> = [];
  const reused: boolean[] = [];
  server.on('connection', (raw) => {
    const options = provider.serverOptions();
    assert.equal(options.requestCert, true);
    assert.equal(options.rejectUnauthorized, false);
    const s = new tls.TLSSocket(raw, { ...options, isServer: true });
    s.on('error', () => {});
    s.once('secure', () => {
      judgePeerCertificate(s);
      seen.push(clientCertificateOf(s));
      reused.push(s.isSessionReused());
      s.end('bye\r\n'); // (a TLS 1.3 session ticket goes out with the first write)
    });
  });
  let session: Buffer | undefined;
  const connect = (cred?: { certPem: string; keyPem: string }, resume?: Buffer, maxVersion: tls.SecureVersion = 'TLSv1.3'): Promise<void> => new Promise((resolve, reject) => {
    const c = tls.connect({ host: '127.0.0.1', port, ca: provider.certPem, servername: 'localhost', maxVersion, ...(cred ? { cert: cred.certPem, key: cred.keyPem } : {}), ...(resume ? { session: resume } : {}) });
    c.on('session', (s: Buffer) => (session = s));
    c.on('error', reject);
    c.on('data', () => {});
    c.on('end', () => { c.end(); resolve(); });
  });
  try {
    await connect(good);
    await connect(stranger);
    await connect();
    // Session resumption (a reconnecting client) keeps working and keeps the verdict (TLS 1.2 and 1.3).
    for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
      session = undefined;
      await connect(good, undefined, v);
      assert.ok(session, `a ${v} session to resume`);
      await connect(good, session, v);
    }
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
  assert.equal(seen.length, 7);
  const [a, b, c] = seen;
  assert.deepEqual(reused, [false, false, false, false, true, false, true]);
  for (const r of seen.slice(3)) assert.deepEqual(r, a);
  assert.ok(a && a.verified && a.email === 'carol@example.org' && a.commonName === 'carol' && /^[0-9a-f]{64}$/.test(a.fingerprint));
  assert.ok(b && !b.verified && b.reason.length > 0);
  assert.equal(c, null);
});
