// GET /health on the admin listener: no token, every service's state, 'degraded' when an
// Automatic service is not Running, 503 'stopping' once the server stops; documented in OpenAPI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../../core/log.js';
import { startAdminFixture, request, type AdminFixture } from './test-support.js';
import { checkOpenApi } from './openapi-check.js';
import { createAdminHandler } from './server.js';
import { healthReport } from './routes.js';
import type { ServerControl } from './control.js';

let fx: AdminFixture;
before(async () => { fx = await startAdminFixture(); });
after(async () => { await fx.close(); });

test('GET /health answers without a token: every service, ok while Automatic ones run', async () => {
  const r = await request(`${fx.base}/health`);
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const body = r.json as { status: string; services: Record<string, string> };
  assert.equal(body.status, 'ok', 'after init every service is Disabled: nothing is missing');
  assert.deepEqual(Object.keys(body).sort(), ['services', 'status']);
  assert.equal(body.services.imap4, 'Stopped');
  await fx.control.startService('imap4');
  const running = (await request(`${fx.base}/health`)).json as { services: Record<string, string> };
  assert.equal(running.services.imap4, 'Degraded', 'a frontend without its backend');
  await fx.control.stopService('imap4');
  assert.equal((await request(`${fx.base}/health`, { method: 'POST' })).status, 405);
});

test('degraded when an Automatic service is not Running; 503 stopping', () => {
  const rows: ReturnType<ServerControl['services']> = [
    { name: 'imap4', startupType: 'Automatic', status: 'Running' },
    { name: 'imap4-backend', startupType: 'Automatic', status: 'Stopped' },
    { name: 'pop3', startupType: 'Disabled', status: 'Stopped' },
  ];
  const control = { services: () => rows } as unknown as ServerControl;
  assert.deepEqual(healthReport({ control, bindings: [] }), { status: 'degraded', services: { imap4: 'Running', 'imap4-backend': 'Stopped', pop3: 'Stopped' } });
  rows[1].status = 'Running';
  assert.equal(healthReport({ control, bindings: [] }).status, 'ok');
  assert.equal(healthReport({ control, bindings: [], stopping: () => true }).status, 'stopping');
});

test('the handler answers 503 while stopping', async () => {
  const control = { services: () => [] } as unknown as ServerControl;
  let stopping = false;
  const handler = createAdminHandler({ ctx: { control, bindings: [], stopping: () => stopping }, tokens: () => [], logger: silentLogger, secure: false, console: true, secret: Buffer.alloc(32) });
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
    assert.equal((await request(url)).status, 200);
    stopping = true;
    const r = await request(url);
    assert.equal(r.status, 503);
    assert.deepEqual(r.json, { status: 'stopping', services: {} });
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('/health is in the OpenAPI document, which still validates', async () => {
  const doc = (await request(`${fx.base}/api/openapi.json`)).json as { paths: Record<string, Record<string, { security: unknown[]; responses: Record<string, unknown> }>> };
  assert.deepEqual(checkOpenApi(doc), []);
  const op = doc.paths['/health']?.get;
  assert.ok(op, 'GET /health documented');
  assert.deepEqual(op.security, []);
  assert.deepEqual(Object.keys(op.responses).sort(), ['200', '503']);
});
