/**
 * The admin API bound off loopback speaks only HTTPS, with the server's certificate: a client that
 * trusts that certificate gets answers (and still needs a token), a plain-HTTP client gets none.
 * Binds the machine's own non-loopback address on a free port (skipped when it has none).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Logger } from '../../core/log.js';
import { defaultConfig, saveConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import { createTestTlsProvider } from '../../tls/provider.js';
import { createDataDirControl } from './control.js';
import { startAdminApi } from './server.js';

const address = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4')?.address;

function get(url: string, opts: https.RequestOptions & { plain?: boolean }): Promise<{ status: number; body: string; peer: string | null }> {
  return new Promise((resolve, reject) => {
    const req = (opts.plain ? http : https).request(url, { ...opts, agent: false }, (res) => {
      const sock = res.socket as tls.TLSSocket | null;
      const peer = sock && typeof sock.getPeerX509Certificate === 'function' ? sock.getPeerX509Certificate()?.fingerprint256 ?? null : null;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

test('admin API off loopback: HTTPS with the server certificate, tokens still required, no plain HTTP', { skip: address ? false : 'no non-loopback IPv4 address on this machine' }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-admin-tls-'));
  const cfg = defaultConfig('mail.example.test');
  const store = await openStore(dataDir, cfg);
  saveConfig(dataDir, cfg);
  const provider = await createTestTlsProvider('localhost');
  const api = await startAdminApi({ control: createDataDirControl(dataDir, store), tls: provider, bindings: [{ host: address!, port: 0 }], logger: new Logger(() => {}, 'error') });
  try {
    const url = api.addresses()[0]!.url.replace(/\/$/, '');
    assert.match(url, /^https:\/\//, 'an off-loopback binding is announced as https');
    const port = Number(new URL(url).port);
    const trusted = { ca: provider.certPem, servername: 'localhost', checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity('localhost', cert) };
    const spec = await get(`https://${address}:${port}/api/openapi.json`, trusted);
    assert.equal(spec.status, 200);
    assert.equal(spec.peer, new X509Certificate(provider.certPem).fingerprint256, 'the server presents its certificate');
    const status = await get(`https://${address}:${port}/api/services`, trusted);
    assert.equal(status.status, 401, 'no token, no answer');
    await assert.rejects(get(`http://${address}:${port}/api/openapi.json`, { plain: true }), 'plain HTTP gets no HTTP answer');
    await assert.rejects(get(`https://${address}:${port}/api/openapi.json`, {}), 'a client that does not trust the certificate refuses it');
  } finally {
    await api.stop();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
