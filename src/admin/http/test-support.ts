/** For the admin API tests: a real data dir with a store, a certificate and tokens, and the API on loopback. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as http from 'node:http';
import { defaultConfig, saveConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import { CertStore } from '../../tls/certstore.js';
import { createTestTlsProvider } from '../../tls/provider.js';
import { Logger } from '../../core/log.js';
import { setArgon2Params } from '../../auth/passwords.js';
import { createDataDirControl } from './control.js';
import { startAdminApi, type RunningAdminApi } from './server.js';
import { addToken } from './tokens.js';

export interface AdminFixture {
  dataDir: string;
  api: RunningAdminApi;
  control: ReturnType<typeof createDataDirControl>;
  base: string;
  readOnly: string;
  readWrite: string;
  close(): Promise<void>;
}

export async function startAdminFixture(): Promise<AdminFixture> {
  setArgon2Params({ memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const dataDir = mkdtempSync(join(tmpdir(), 'pc-admin-'));
  const cfg = defaultConfig('mail.example.test');
  const store = await openStore(dataDir, cfg);
  await CertStore.forDataDir(dataDir).generateSelfSigned('mail.example.test');
  saveConfig(dataDir, cfg);
  const control = createDataDirControl(dataDir, store);
  const readOnly = addToken(dataDir, 'viewer', 'read-only');
  const readWrite = addToken(dataDir, 'operator', 'read-write');
  const api = await startAdminApi({ control, tls: await createTestTlsProvider(), bindings: [{ host: '127.0.0.1', port: 0 }], logger: new Logger(undefined, 'error') });
  return {
    dataDir, api, control, base: api.addresses()[0].url.replace(/\/$/, ''), readOnly, readWrite,
    async close() {
      await api.stop();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: unknown;
}

/** One HTTP request (over TCP, or a unix socket when socketPath is given). */
export function request(url: string, opts: { method?: string; token?: string; body?: unknown; socketPath?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    const req = http.request({
      host: opts.socketPath ? undefined : u.hostname, port: opts.socketPath ? undefined : u.port, socketPath: opts.socketPath,
      path: u.pathname + u.search, method: opts.method ?? 'GET',
      headers: {
        ...(opts.token ? { Authorization: `Bearer ${opts.token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
        ...opts.headers,
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
