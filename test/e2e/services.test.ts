// Services on a running server: `service stop|start` through the CLI (the control socket), the
// Degraded state of a frontend without its backend, and the admin API's token scopes over HTTP.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, cliOk, python, type Server } from './harness.js';

const user = { address: 'sam@example.test', password: 'sam-services-pw' };
let server: Server;
before(async () => {
  server = await startServer({ services: ['imap4', 'imap4-backend', 'admin'], users: [user] });
});
after(async () => {
  await server?.stop();
});

const list = () => JSON.parse(cliOk(server.dataDir, ['service', 'list', '--json'])) as Array<{ name: string; startupType: string; status: string }>;
const row = (name: string) => list().find((r) => r.name === name)!;

test('service stop/start act on the running server and leave the startup type alone', { timeout: 60_000 }, async () => {
  assert.deepEqual(row('imap4'), { name: 'imap4', startupType: 'Automatic', status: 'Running' });
  cliOk(server.dataDir, ['service', 'stop', 'imap4-backend']);
  assert.deepEqual(row('imap4-backend'), { name: 'imap4-backend', startupType: 'Automatic', status: 'Stopped' });
  assert.equal(row('imap4').status, 'Degraded');
  const refused = await python('login_matrix.py', ['imap', '127.0.0.1', String(server.ports.imap), String(server.ports.imaps), user.address, user.password]);
  assert.equal(refused.code, 0, refused.stderr);
  assert.match((JSON.parse(refused.stdout) as { implicit: { login: string } }).implicit.login, /^a2 NO \[UNAVAILABLE\]/);
  cliOk(server.dataDir, ['service', 'start', 'imap4-backend']);
  assert.equal(row('imap4').status, 'Running');
  const ok = await python('login_matrix.py', ['imap', '127.0.0.1', String(server.ports.imap), String(server.ports.imaps), user.address, user.password]);
  assert.match((JSON.parse(ok.stdout) as { implicit: { login: string } }).implicit.login, /^a2 OK/);
  const bad = cli(server.dataDir, ['service', 'stop', 'imap9']);
  assert.equal(bad.code, 2);
});

test('admin API: no token 401, read-only token cannot write (403), read-write can', { timeout: 60_000 }, async () => {
  const base = `http://127.0.0.1:${server.ports.admin}`;
  const ro = cliOk(server.dataDir, ['admin', 'token', 'add', 'viewer', '--scope', 'read-only']).trim().split(/\s+/).pop()!;
  const rw = cliOk(server.dataDir, ['admin', 'token', 'add', 'operator', '--scope', 'read-write']).trim().split(/\s+/).pop()!;
  assert.equal((await fetch(`${base}/api/services`)).status, 401);
  assert.equal((await fetch(`${base}/api/services`, { headers: { authorization: 'Bearer wrong-token' } })).status, 401);
  const services = await fetch(`${base}/api/services`, { headers: { authorization: `Bearer ${ro}` } });
  assert.equal(services.status, 200);
  const body = JSON.stringify({ 'login-type': 'PlainTextLogin' });
  const denied = await fetch(`${base}/api/settings/imap`, { method: 'PUT', body, headers: { authorization: `Bearer ${ro}`, 'content-type': 'application/json' } });
  assert.equal(denied.status, 403);
  assert.match(cliOk(server.dataDir, ['imap', 'get', 'login-type']), /SecureLogin/);
  const allowed = await fetch(`${base}/api/settings/imap`, { method: 'PUT', body, headers: { authorization: `Bearer ${rw}`, 'content-type': 'application/json' } });
  assert.equal(allowed.status, 200, await allowed.text());
  assert.match(cliOk(server.dataDir, ['imap', 'get', 'login-type']), /PlainTextLogin/);
  const back = await fetch(`${base}/api/settings/imap`, { method: 'PUT', body: JSON.stringify({ 'login-type': 'SecureLogin' }), headers: { authorization: `Bearer ${rw}`, 'content-type': 'application/json' } });
  assert.equal(back.status, 200);
  const openapi = (await (await fetch(`${base}/api/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(openapi.openapi, /^3\.1/);
  assert.ok(openapi.paths['/api/services']);
});

test('metrics: OpenMetrics text behind a token, counting logins by result and security', { timeout: 60_000 }, async () => {
  const { parseOpenMetrics } = await import('../../src/observe/openmetrics-parse.js');
  const base = `http://127.0.0.1:${server.ports.admin}`;
  assert.equal((await fetch(`${base}/metrics`)).status, 401);
  const token = cliOk(server.dataDir, ['admin', 'token', 'add', 'prometheus', '--scope', 'read-only']).trim().split(/\s+/).pop()!;
  const scrape = async () => {
    const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /openmetrics-text/);
    return parseOpenMetrics(await r.text());
  };
  const count = (fams: Map<string, { samples: Array<{ name: string; labels: Record<string, string>; value: number }> }>, result: string) =>
    fams.get('portcullis_logins')?.samples.filter((s) => s.name === 'portcullis_logins_total' && s.labels.protocol === 'imap4' && s.labels.result === result && s.labels.secure === 'true')
      .reduce((n, s) => n + s.value, 0) ?? 0;
  const before = await scrape();
  const r = await python('login_matrix.py', ['imap', '127.0.0.1', String(server.ports.imap), String(server.ports.imaps), user.address, user.password]);
  assert.equal(r.code, 0, r.stderr);
  const after = await scrape();
  // login_matrix logs in once after STARTTLS and once on the implicit-TLS port.
  assert.equal(count(after, 'success') - count(before, 'success'), 2);
});
