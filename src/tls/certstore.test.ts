import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import * as tls from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { silentLogger } from '../core/log.js';
import { startListeners } from '../net/listener.js';
import { hostMatches } from './certinfo.js';
import { CertStore } from './certstore.js';
import { createStoreTlsProvider } from './provider.js';
import { makeSelfSigned } from './selfsigned.js';
import { caAndLeaf } from './test-certs.js';

const dirs: string[] = [];
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function newStore(): CertStore {
  const d = mkdtempSync(join(tmpdir(), 'portcullis-certs-'));
  dirs.push(d);
  return CertStore.forDataDir(d);
}

test('self-signed generation: ECDSA P-256 by default, RSA on request, listed as testing-only', async () => {
  const store = newStore();
  const ec = await store.generateSelfSigned('mail.example.org');
  assert.equal(ec.keyType, 'ECDSA P-256');
  assert.equal(ec.selfSigned, true);
  assert.equal(ec.testingOnly, true);
  assert.ok(ec.sans.includes('mail.example.org') && ec.sans.includes('localhost'));
  assert.match(ec.fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  const rsa = await store.generateSelfSigned('rsa.example.org', { keyType: 'rsa-2048' });
  assert.equal(rsa.keyType, 'RSA');
  assert.equal(rsa.keySize, 2048);
  assert.deepEqual(store.list().map((c) => c.name), ['mail.example.org', 'rsa.example.org']);
  assert.equal(statSync(join(store.dir, 'mail.example.org.json')).mode & 0o077, 0, 'private keys are not readable by others');
});

test('PEM import: chain in any order, encrypted key with passphrase', async () => {
  const store = newStore();
  const { caPem, leafPem, leafKeyPem } = await caAndLeaf('imap.example.net');
  const encrypted = createPrivateKey(leafKeyPem).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'hunter2' }).toString();
  await assert.rejects(store.importPem(caPem + leafPem, encrypted, 'wrong'), /passphrase/);
  const info = await store.importPem(caPem + leafPem, encrypted, 'hunter2');
  assert.equal(info.name, 'imap.example.net');
  assert.equal(info.selfSigned, false);
  assert.equal(info.testingOnly, false);
  assert.equal(info.chainLength, 1);
  assert.match(info.issuer, /Test CA/);
  assert.match(store.get('imap.example.net')!.certPem, /^-----BEGIN CERTIFICATE-----[\s\S]+-----BEGIN CERTIFICATE-----/);
});

test('import refuses a mismatched key, an expired certificate and a chain that does not link', async () => {
  const store = newStore();
  const a = await caAndLeaf('a.example.net');
  const b = await caAndLeaf('b.example.net');
  await assert.rejects(store.importPem(a.leafPem, b.leafKeyPem), /does not match/);
  const old = await caAndLeaf('old.example.net', { expired: true });
  await assert.rejects(store.importPem(old.leafPem + old.caPem, old.leafKeyPem), /expired/);
  await assert.rejects(store.importPem(a.leafPem + b.caPem, a.leafKeyPem), /does not link/);
  await assert.rejects(store.importPem('junk', a.leafKeyPem), /no certificate/);
  assert.deepEqual(store.list(), [], 'nothing stored after a refusal');
});

test('PFX import (RSA, with passphrase)', async () => {
  const store = newStore();
  const pair = await makeSelfSigned('pfx.example.com', { keyType: 'rsa-2048' });
  const p12 = forge.pkcs12.toPkcs12Asn1(forge.pki.privateKeyFromPem(createPrivateKey(pair.keyPem).export({ type: 'pkcs1', format: 'pem' }).toString()),
    [forge.pki.certificateFromPem(pair.certPem)], 'pfx-pass', { algorithm: '3des' });
  const der = Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary');
  await assert.rejects(store.importPfx(der, 'nope'), /passphrase/);
  const info = await store.importPfx(der, 'pfx-pass');
  assert.equal(info.name, 'pfx.example.com');
  assert.equal(info.keyType, 'RSA');
});

test('RFC 6125 wildcard rules', () => {
  assert.equal(hostMatches('*.example.org', 'mail.example.org'), true);
  assert.equal(hostMatches('*.example.org', 'MAIL.Example.ORG.'), true);
  assert.equal(hostMatches('*.example.org', 'a.b.example.org'), false);
  assert.equal(hostMatches('*.example.org', 'example.org'), false);
  assert.equal(hostMatches('*.org', 'example.org'), false);
  assert.equal(hostMatches('m*.example.org', 'mail.example.org'), false);
  assert.equal(hostMatches('mail.*.org', 'mail.example.org'), false);
});

test('selection by name prefers an exact SAN over a wildcard; empty name is the first certificate', async () => {
  const store = newStore();
  await store.generateSelfSigned('init.example.org');
  await store.generateSelfSigned('*.example.org');
  await store.generateSelfSigned('imap.example.org');
  assert.equal(store.select('imap.example.org')?.info.name, 'imap.example.org');
  assert.equal(store.select('pop.example.org')?.info.name, 'wildcard.example.org');
  assert.equal(store.select('other.test'), null);
  assert.equal(store.select('')?.info.name, 'init.example.org');
});

test('SNI picks per connection; a renewed certificate reaches new connections while old ones continue', async () => {
  const store = newStore();
  await store.generateSelfSigned('one.example.org');
  await store.generateSelfSigned('two.example.org');
  const provider = createStoreTlsProvider(store, () => 'one.example.org');
  const running = await startListeners({
    service: 'sni', listeners: [{ kind: 'implicit', binding: { host: '127.0.0.1', port: 0 } }], tls: provider,
    limits: () => ({ maxConnections: 10, maxConnectionFromSingleIp: 10 }), refusal: () => '', logger: silentLogger,
    onConnection: (c) => { c.write('hi\r\n'); c.onData((d) => c.write(d)); },
  });
  cleanups.push(async () => { await running.close(); for (const c of running.connections()) c.close(); });
  const port = running.addresses()[0].port;
  const connect = (servername?: string): Promise<tls.TLSSocket> => new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername, rejectUnauthorized: false }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => { s.destroy(); });
  });
  const fp = (s: tls.TLSSocket): string => s.getPeerCertificate().fingerprint256;
  const first = await connect('two.example.org');
  assert.equal(fp(first), store.get('two.example.org')!.info.fingerprint);
  const noSni = await connect();
  assert.equal(fp(noSni), store.get('one.example.org')!.info.fingerprint);
  const unknown = await connect('elsewhere.test');
  assert.equal(fp(unknown), store.get('one.example.org')!.info.fingerprint);

  const renewed = await store.generateSelfSigned('two.example.org');
  assert.notEqual(renewed.fingerprint, fp(first));
  const later = await connect('two.example.org');
  assert.equal(fp(later), renewed.fingerprint);
  // The old connection still works.
  const echoed = new Promise<string>((resolve) => first.on('data', (d: Buffer) => { if (d.includes('ping')) resolve(d.toString()); }));
  first.write('ping');
  assert.match(await echoed, /ping/);
});
