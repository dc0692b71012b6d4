// Certificates as an administrator handles them: import PEM (plain and encrypted key) and PFX
// made with the openssl CLI, refusal of a key that does not match, selection by name and by SNI,
// and a renewal that new connections get while an old connection continues.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliOk, startServer, type Server } from './harness.js';

let server: Server;
let work: string;
before(async () => {
  server = await startServer({ hostname: 'mail.portcullis.test', services: ['imap4', 'imap4-backend'] });
  work = mkdtempSync(join(tmpdir(), 'portcullis-certs-'));
});
after(async () => {
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });

/** A CA and a leaf for `names`, signed by it; returns file paths. */
function issue(tag: string, names: string[], days = 90): { cert: string; key: string; chain: string } {
  if (!tag.startsWith('renew')) {
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '365', '-subj', '/CN=Portcullis Test CA');
  }
  const ext = join(work, `${tag}.ext`);
  writeFileSync(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${tag}.key`, '-out', `${tag}.csr`, '-subj', `/CN=${names[0]}`);
  openssl('x509', '-req', '-in', `${tag}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${tag}.pem`, '-days', String(days), '-extfile', ext);
  writeFileSync(join(work, `${tag}-chain.pem`), Buffer.concat([readFileSync(join(work, `${tag}.pem`)), readFileSync(join(work, 'ca.pem'))]));
  return { cert: join(work, `${tag}.pem`), key: join(work, `${tag}.key`), chain: join(work, `${tag}-chain.pem`) };
}

function presented(servername?: string): Promise<{ cert: tls.PeerCertificate; socket: tls.TLSSocket }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port: server.ports.imaps!, servername, rejectUnauthorized: false }, () => resolve({ cert: socket.getPeerCertificate(), socket }));
    socket.on('error', reject);
  });
}

test('PEM import (encrypted key too), PFX import, and a mismatched key refused', () => {
  const a = issue('a', ['imap.portcullis.test']);
  assert.match(cliOk(server.dataDir, ['cert', 'import', '--cert', a.chain, '--key', a.key, '--name', 'imap-cert']), /Imported "imap-cert" for imap\.portcullis\.test/);

  const b = issue('b', ['pop.portcullis.test']);
  openssl('pkey', '-in', 'b.key', '-out', 'b-enc.key', '-aes256', '-passout', 'pass:s3cret-pass');
  assert.equal(cli(server.dataDir, ['cert', 'import', '--cert', b.chain, '--key', join(work, 'b-enc.key')]).code, 2, 'encrypted key without passphrase');
  cliOk(server.dataDir, ['cert', 'import', '--cert', b.chain, '--key', join(work, 'b-enc.key'), '--passphrase-stdin', '--name', 'pop-cert'], 's3cret-pass\n');

  const c = issue('c', ['smtp.portcullis.test']);
  openssl('pkcs12', '-export', '-in', 'c.pem', '-inkey', 'c.key', '-certfile', 'ca.pem', '-out', 'c.pfx', '-passout', 'pass:pfx-pass');
  cliOk(server.dataDir, ['cert', 'import', '--pfx', join(work, 'c.pfx'), '--passphrase-stdin', '--name', 'smtp-cert'], 'pfx-pass\n');

  const mismatch = cli(server.dataDir, ['cert', 'import', '--cert', a.cert, '--key', b.key, '--name', 'bad']);
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /certificate: .*(does not match|mismatch)/i);
  const list = JSON.parse(cliOk(server.dataDir, ['cert', 'list', '--json'])) as Array<{ name: string; selfSigned: boolean; testingOnly: boolean }>;
  assert.deepEqual(list.map((c) => c.name).sort(), ['imap-cert', 'mail.portcullis.test', 'pop-cert', 'smtp-cert']);
  assert.equal(list.find((c) => c.name === 'imap-cert')?.selfSigned, false);
  assert.equal(list.find((c) => c.name === 'mail.portcullis.test')?.testingOnly, true);
});

test('x509-certificate-name picks the certificate; SNI picks per connection', async () => {
  let { cert, socket } = await presented();
  socket.destroy();
  assert.equal(cert.subject.CN, 'mail.portcullis.test', 'the init certificate by default');
  cliOk(server.dataDir, ['imap', 'set', '--x509-certificate-name', 'imap.portcullis.test']);
  await server.reload();
  ({ cert, socket } = await presented());
  socket.destroy();
  assert.equal(cert.subject.CN, 'imap.portcullis.test');
  ({ cert, socket } = await presented('pop.portcullis.test'));
  socket.destroy();
  assert.equal(cert.subject.CN, 'pop.portcullis.test', 'SNI');
});

test('a renewed certificate reaches new connections while an old one continues', async () => {
  const old = await presented();
  const renewed = issue('renew', ['imap.portcullis.test'], 200);
  cliOk(server.dataDir, ['cert', 'import', '--cert', renewed.chain, '--key', renewed.key, '--name', 'imap-cert']);
  // The certificate store re-reads changed files on its own; no reload is sent here.
  let fresh = await presented();
  for (let i = 0; i < 50 && fresh.cert.fingerprint256 === old.cert.fingerprint256; i++) {
    fresh.socket.destroy();
    await new Promise((r) => setTimeout(r, 100));
    fresh = await presented();
  }
  assert.notEqual(fresh.cert.fingerprint256, old.cert.fingerprint256, 'new connection gets the renewed certificate');
  fresh.socket.destroy();
  const reply = await new Promise<string>((resolve) => {
    let got = '';
    old.socket.on('data', (d: Buffer) => { got += d.toString(); if (/^a OK/m.test(got)) resolve(got); });
    old.socket.write('a NOOP\r\n');
  });
  assert.match(reply, /a OK/, 'the old connection still works');
  old.socket.destroy();
});
