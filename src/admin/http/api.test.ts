import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { configPath } from '../../config/config.js';
import { silentLogger } from '../../core/log.js';
import { startAdminFixture, request, type AdminFixture } from './test-support.js';
import { checkOpenApi } from './openapi-check.js';
import { apiRoutes } from './routes.js';
import { startControlSocket, cliTokenPath } from './server.js';
import { addToken, removeToken, tokenFilePath, readTokens } from './tokens.js';
import { caAndLeaf } from '../../tls/test-certs.js';
import { ReloadError } from './control.js';

let fx: AdminFixture;
before(async () => { fx = await startAdminFixture(); });
after(async () => { await fx.close(); });

test('tokens are stored hashed in a private file', () => {
  const text = readFileSync(tokenFilePath(fx.dataDir), 'utf8');
  assert.equal(statSync(tokenFilePath(fx.dataDir)).mode & 0o777, 0o600);
  assert.ok(!text.includes(fx.readWrite) && !text.includes(fx.readOnly));
  assert.deepEqual(readTokens(fx.dataDir).map((t) => [t.name, t.scope]), [['viewer', 'read-only'], ['operator', 'read-write']]);
});

test('no token or a wrong token gets 401', async () => {
  for (const token of [undefined, 'pct_wrong', fx.readWrite + 'x']) {
    const r = await request(`${fx.base}/api/services`, { token });
    assert.equal(r.status, 401);
    assert.match((r.json as { error: string }).error, /token/);
  }
  const put = await request(`${fx.base}/api/settings/imap`, { method: 'PUT', body: { 'login-type': 'PlainTextLogin' } });
  assert.equal(put.status, 401);
});

test('a read-only token reads but cannot write (403, file unchanged)', async () => {
  const before = readFileSync(configPath(fx.dataDir));
  const r = await request(`${fx.base}/api/settings/imap`, { token: fx.readOnly });
  assert.equal(r.status, 200);
  const rows = r.json as Array<{ name: string; value: unknown; changed: boolean }>;
  assert.deepEqual(rows.find((x) => x.name === 'login-type'), { ...rows.find((x) => x.name === 'login-type'), value: 'SecureLogin', changed: false });
  const put = await request(`${fx.base}/api/settings/imap`, { method: 'PUT', token: fx.readOnly, body: { 'login-type': 'PlainTextLogin' } });
  assert.equal(put.status, 403);
  assert.match((put.json as { error: string }).error, /read-only/);
  const stop = await request(`${fx.base}/api/services/imap4/stop`, { method: 'POST', token: fx.readOnly });
  assert.equal(stop.status, 403);
  assert.deepEqual(readFileSync(configPath(fx.dataDir)), before);
});

test('a bad setting value gets 400 naming the setting, and nothing is written', async () => {
  const before = readFileSync(configPath(fx.dataDir));
  const reloads = fx.control.reloads;
  const r = await request(`${fx.base}/api/settings/imap`, { method: 'PUT', token: fx.readWrite, body: { 'max-connections': 'lots', banner: 'ok' } });
  assert.equal(r.status, 400);
  const body = r.json as { error: string; setting: string; errors: Array<{ setting: string }> };
  assert.equal(body.setting, 'max-connections');
  assert.match(body.error, /max-connections: "lots" is not allowed \(allowed: a whole number from 1 to/);
  const unknown = await request(`${fx.base}/api/settings/pop`, { method: 'PUT', token: fx.readWrite, body: { 'no-such-thing': 1 } });
  assert.equal(unknown.status, 400);
  assert.equal((unknown.json as { setting: string }).setting, 'no-such-thing');
  const clash = await request(`${fx.base}/api/settings/pop`, { method: 'PUT', token: fx.readWrite, body: { 'ssl-bindings': '0.0.0.0:993' } });
  assert.equal(clash.status, 400);
  assert.match((clash.json as { error: string }).error, /already used by imap ssl-bindings/);
  const notJson = await request(`${fx.base}/api/settings/imap`, { method: 'PUT', token: fx.readWrite, body: '{oops' });
  assert.equal(notJson.status, 400);
  assert.deepEqual(readFileSync(configPath(fx.dataDir)), before);
  assert.equal(fx.control.reloads, reloads);
});

test('a good settings PUT is saved and applied', async () => {
  const reloads = fx.control.reloads;
  const r = await request(`${fx.base}/api/settings/imap`, { method: 'PUT', token: fx.readWrite, body: { 'login-type': 'plaintextauthentication', 'max-connections': 50 } });
  assert.equal(r.status, 200, r.text);
  const saved = JSON.parse(readFileSync(configPath(fx.dataDir), 'utf8')) as { imap: Record<string, unknown> };
  assert.deepEqual(saved.imap, { 'login-type': 'PlainTextAuthentication', 'max-connections': 50 });
  assert.equal(fx.control.reloads, reloads + 1);
  const back = await request(`${fx.base}/api/settings/imap`, { method: 'PUT', token: fx.readWrite, body: { 'login-type': 'SecureLogin', 'max-connections': 2000 } });
  assert.equal(back.status, 200);
  assert.deepEqual((JSON.parse(readFileSync(configPath(fx.dataDir), 'utf8')) as { imap: unknown }).imap, {});
});

test('POST /api/reload applies the config; a reload that cannot bind answers 409 with the reason', async (t) => {
  const reloads = fx.control.reloads;
  const ok = await request(`${fx.base}/api/reload`, { method: 'POST', token: fx.readWrite });
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.json, { ok: true });
  assert.equal(fx.control.reloads, reloads + 1);
  assert.equal((await request(`${fx.base}/api/reload`, { method: 'POST', token: fx.readOnly })).status, 403);
  const real = fx.control.reload;
  t.after(() => { fx.control.reload = real; });
  fx.control.reload = async () => { throw new ReloadError('imap4: cannot listen on 127.0.0.1:993: listen EADDRINUSE (the previous listeners of imap4 stay)'); };
  const busy = await request(`${fx.base}/api/reload`, { method: 'POST', token: fx.readWrite });
  assert.equal(busy.status, 409);
  assert.match((busy.json as { error: string }).error, /cannot listen on 127\.0\.0\.1:993.*previous listeners of imap4 stay/);
  const put = await request(`${fx.base}/api/settings/imap`, { method: 'PUT', token: fx.readWrite, body: { 'ssl-bindings': '127.0.0.1:993' } });
  assert.equal(put.status, 409);
  assert.match((put.json as { error: string }).error, /^saved, but the running server did not apply it: imap4: cannot listen/);
  assert.deepEqual((JSON.parse(readFileSync(configPath(fx.dataDir), 'utf8')) as { imap: unknown }).imap, { 'ssl-bindings': ['127.0.0.1:993'] });
  fx.control.reload = real;
  assert.equal((await request(`${fx.base}/api/settings/imap`, { method: 'PUT', token: fx.readWrite, body: { 'ssl-bindings': '0.0.0.0:993,[::]:993' } })).status, 200);
});

test('services: start and stop act on the running server; a frontend without backend is Degraded', async () => {
  const start = async (name: string, action: string) => request(`${fx.base}/api/services/${name}/${action}`, { method: 'POST', token: fx.readWrite });
  assert.equal((await start('imap4-backend', 'start')).status, 200);
  const r = await start('imap4', 'start');
  assert.deepEqual(r.json, { name: 'imap4', startupType: 'Disabled', status: 'Running' });
  await start('imap4-backend', 'stop');
  const list = (await request(`${fx.base}/api/services`, { token: fx.readOnly })).json as Array<{ name: string; status: string }>;
  assert.equal(list.find((s) => s.name === 'imap4')?.status, 'Degraded');
  assert.equal((await start('imap5', 'start')).status, 404);
  await start('imap4', 'stop');
});

test('users: add, list, change password, remove', async () => {
  const add = await request(`${fx.base}/api/users`, { method: 'POST', token: fx.readWrite, body: { address: 'Alice@Example.test', password: 'correct horse' } });
  assert.equal(add.status, 201, add.text);
  assert.equal((add.json as { address: string }).address, 'alice@example.test');
  const short = await request(`${fx.base}/api/users`, { method: 'POST', token: fx.readWrite, body: { address: 'bob@example.test', password: 'short' } });
  assert.equal(short.status, 400);
  assert.equal((short.json as { setting: string }).setting, 'password');
  const dup = await request(`${fx.base}/api/users`, { method: 'POST', token: fx.readWrite, body: { address: 'alice@example.test', password: 'another one' } });
  assert.equal(dup.status, 409);
  const pw = await request(`${fx.base}/api/users/alice%40example.test/password`, { method: 'PUT', token: fx.readWrite, body: { password: 'battery staple' } });
  assert.equal(pw.status, 200);
  const list = (await request(`${fx.base}/api/users`, { token: fx.readOnly })).json as Array<{ address: string }>;
  assert.deepEqual(list.map((u) => u.address), ['alice@example.test']);
  assert.equal((await request(`${fx.base}/api/users/alice@example.test`, { method: 'DELETE', token: fx.readWrite })).status, 200);
  assert.equal((await request(`${fx.base}/api/users/alice@example.test`, { method: 'DELETE', token: fx.readWrite })).status, 404);
});

test('certificates, login reports and analyzer findings', async () => {
  const certs = (await request(`${fx.base}/api/certificates`, { token: fx.readOnly })).json as Array<{ sans: string[]; testingOnly: boolean; daysLeft: number }>;
  assert.equal(certs.length, 1);
  assert.ok(certs[0].sans.includes('mail.example.test') && certs[0].testingOnly && certs[0].daysLeft > 60);
  const insecure = await request(`${fx.base}/api/logs/insecure-logins?protocol=imap4&since=7d`, { token: fx.readOnly });
  assert.equal(insecure.status, 200);
  assert.deepEqual(insecure.json, []);
  const bad = await request(`${fx.base}/api/logs/failed-logins?since=yesterday`, { token: fx.readOnly });
  assert.equal(bad.status, 400);
  assert.equal((bad.json as { setting: string }).setting, 'since');
  const an = (await request(`${fx.base}/api/analyzer`, { token: fx.readOnly })).json as { worst: string; findings: Array<{ id: string; severity: string }> };
  assert.equal(an.findings.find((f) => f.id === 'login-type.imap4')?.severity, 'pass');
  assert.equal(an.findings.find((f) => f.id.startsWith('certificate.self-signed.'))?.severity, 'warning');
});

test('unknown routes get 404 and wrong methods 405, as JSON', async () => {
  assert.equal((await request(`${fx.base}/api/nothing`, { token: fx.readOnly })).status, 404);
  const r = await request(`${fx.base}/api/services`, { method: 'DELETE', token: fx.readWrite });
  assert.equal(r.status, 405);
  assert.match((r.json as { error: string }).error, /allowed: GET/);
});

test('the OpenAPI document is served without a token, validates, and lists every route', async () => {
  const r = await request(`${fx.base}/api/openapi.json`);
  assert.equal(r.status, 200);
  const doc = r.json as { paths: Record<string, Record<string, unknown>> };
  assert.deepEqual(checkOpenApi(doc), []);
  for (const route of apiRoutes()) assert.ok(doc.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path} documented`);
  // The validator is not a rubber stamp.
  const broken = structuredClone(doc) as { openapi: string; paths: Record<string, Record<string, { parameters?: unknown[] }>> };
  broken.openapi = '3.0.0';
  delete broken.paths['/api/users/{address}'].delete.parameters;
  assert.equal(checkOpenApi(broken).length, 2);
});

test('the control socket serves the API to the CLI token only', async (t) => {
  const sock = await startControlSocket({ control: fx.control, logger: silentLogger });
  t.after(() => sock.stop());
  const token = readFileSync(cliTokenPath(fx.dataDir), 'utf8').trim();
  assert.equal(statSync(cliTokenPath(fx.dataDir)).mode & 0o777, 0o600);
  const ok = await request('http://localhost/api/services', { socketPath: sock.path, token });
  assert.equal(ok.status, 200);
  const other = await request('http://localhost/api/services', { socketPath: sock.path, token: fx.readWrite });
  assert.equal(other.status, 401);
  const consolePage = await request('http://localhost/console/', { socketPath: sock.path, token });
  assert.equal(consolePage.status, 404);
});

type ApiErrorBody = { error: string; setting?: string; errors?: Array<{ setting: string; message: string }> };
const err = (r: { json: unknown }) => r.json as ApiErrorBody;

test('users: the row shows backend, IMAP/POP access and quota; PATCH changes them, a bad value changes nothing', async () => {
  assert.equal((await request(`${fx.base}/api/users`, { method: 'POST', token: fx.readWrite, body: { address: 'carol@example.test', password: 'carol password' } })).status, 201);
  const row = async () => ((await request(`${fx.base}/api/users`, { token: fx.readOnly })).json as Array<Record<string, unknown>>).find((u) => u.address === 'carol@example.test')!;
  const fresh = await row();
  assert.deepEqual([fresh.backend, fresh.imapEnabled, fresh.popEnabled, fresh.quotaBytes], [null, true, true, null]);
  const url = `${fx.base}/api/users/carol%40example.test`;
  const patch = await request(url, { method: 'PATCH', token: fx.readWrite, body: { backend: ' 10.0.0.5:1993 ', imapEnabled: false, quotaBytes: 5_000_000 } });
  assert.equal(patch.status, 200, patch.text);
  assert.deepEqual(await row(), { ...fresh, backend: '10.0.0.5:1993', imapEnabled: false, quotaBytes: 5_000_000 });
  const bad = await request(url, { method: 'PATCH', token: fx.readWrite, body: { backend: 'no good:99999', popEnabled: 'yes', quotaBytes: -1, colour: 'red' } });
  assert.equal(bad.status, 400);
  assert.deepEqual(err(bad).errors?.map((e) => e.setting), ['backend', 'popEnabled', 'quotaBytes', 'colour']);
  assert.match(err(bad).error, /backend: "no good:99999" is not allowed \(allowed: HOST or HOST:PORT/);
  assert.match(err(bad).error, /quotaBytes: -1 is not allowed \(allowed: a whole number of bytes/);
  assert.equal((await request(url, { method: 'PATCH', token: fx.readWrite, body: {} })).status, 400);
  assert.deepEqual((await row()).backend, '10.0.0.5:1993', 'a refused change writes nothing');
  assert.equal((await request(url, { method: 'PATCH', token: fx.readOnly, body: { imapEnabled: true } })).status, 403);
  const put = await request(url, { method: 'PUT', token: fx.readWrite, body: { backend: '', imapEnabled: true, quotaBytes: null } });
  assert.equal(put.status, 200, put.text);
  assert.deepEqual(await row(), fresh);
  assert.equal((await request(`${fx.base}/api/users/nobody%40example.test`, { method: 'PATCH', token: fx.readWrite, body: { imapEnabled: true } })).status, 404);
});

test('app passwords: add shows the secret once, list never does, revoke removes it', async () => {
  const url = `${fx.base}/api/users/carol%40example.test/app-passwords`;
  const add = await request(url, { method: 'POST', token: fx.readWrite, body: { name: 'phone', protocols: ['imap', 'smtp'] } });
  assert.equal(add.status, 201, add.text);
  const made = add.json as { name: string; protocols: string[]; password: string };
  assert.deepEqual([made.name, made.protocols], ['phone', ['imap4', 'smtp']]);
  assert.match(made.password, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  const list = await request(url, { token: fx.readOnly });
  assert.equal(list.status, 200);
  assert.deepEqual((list.json as Array<Record<string, unknown>>).map((a) => Object.keys(a).sort()), [['createdAt', 'lastUsedAt', 'name', 'protocols']]);
  assert.ok(!list.text.includes(made.password) && !list.text.includes('argon2'), 'neither the secret nor its hash is listed');
  assert.equal((await request(url, { method: 'POST', token: fx.readWrite, body: { name: 'phone', protocols: ['pop3'] } })).status, 409);
  const badProto = await request(url, { method: 'POST', token: fx.readWrite, body: { name: 'tablet', protocols: ['ftp'] } });
  assert.equal(badProto.status, 400);
  assert.match(err(badProto).error, /^protocols: "ftp" is not one of imap4, pop3, smtp/);
  assert.equal((await request(url, { method: 'POST', token: fx.readWrite, body: { name: 'bad name!', protocols: ['pop3'] } })).status, 400);
  assert.equal((await request(url, { method: 'POST', token: fx.readOnly, body: { name: 'tablet', protocols: ['pop3'] } })).status, 403);
  assert.equal((await request(`${url}/phone`, { method: 'DELETE', token: fx.readOnly })).status, 403);
  assert.equal((await request(`${url}/phone`, { method: 'DELETE', token: fx.readWrite })).status, 200);
  assert.equal((await request(`${url}/phone`, { method: 'DELETE', token: fx.readWrite })).status, 404);
  assert.deepEqual((await request(url, { token: fx.readOnly })).json, []);
  assert.equal((await request(`${fx.base}/api/users/nobody%40example.test/app-passwords`, { token: fx.readOnly })).status, 404);
});

test('certificates: import checks key, expiry and chain; remove refuses one a service uses', async () => {
  const url = `${fx.base}/api/certificates`;
  const names = async () => ((await request(url, { token: fx.readOnly })).json as Array<{ name: string; usedBy: string[] }>);
  const a = await caAndLeaf('api.example.net');
  const b = await caAndLeaf('other.example.net');
  const old = await caAndLeaf('old.example.net', { expired: true });
  for (const [body, pattern] of [
    [{ certificate: a.leafPem, key: b.leafKeyPem }, /does not match/],
    [{ certificate: old.leafPem + old.caPem, key: old.leafKeyPem }, /expired/],
    [{ certificate: a.leafPem + b.caPem, key: a.leafKeyPem }, /does not link/],
    [{ certificate: 'junk', key: a.leafKeyPem }, /^certificate: not allowed/],
  ] as const) {
    const r = await request(url, { method: 'POST', token: fx.readWrite, body });
    assert.equal(r.status, 400, r.text);
    assert.match(err(r).error, pattern);
  }
  assert.equal((await request(url, { method: 'POST', token: fx.readOnly, body: { certificate: a.leafPem + a.caPem, key: a.leafKeyPem } })).status, 403);
  assert.deepEqual((await names()).map((c) => c.name), ['mail.example.test'], 'nothing stored after a refusal');
  const ok = await request(url, { method: 'POST', token: fx.readWrite, body: { certificate: a.leafPem + a.caPem, key: a.leafKeyPem, name: 'api-cert' } });
  assert.equal(ok.status, 201, ok.text);
  assert.deepEqual([(ok.json as { name: string }).name, (ok.json as { usedBy: string[] }).usedBy], ['api-cert', []]);
  const inUse = await request(`${url}/mail.example.test`, { method: 'DELETE', token: fx.readWrite });
  assert.equal(inUse.status, 409);
  assert.match(err(inUse).error, /in use by imap4, pop3, submission, admin/);
  assert.deepEqual((await names()).find((c) => c.name === 'mail.example.test')?.usedBy, ['imap4', 'pop3', 'submission', 'admin']);
  assert.equal((await request(`${url}/api-cert`, { method: 'DELETE', token: fx.readOnly })).status, 403);
  assert.equal((await request(`${url}/api-cert`, { method: 'DELETE', token: fx.readWrite })).status, 200);
  assert.equal((await request(`${url}/api-cert`, { method: 'DELETE', token: fx.readWrite })).status, 404);
  assert.deepEqual((await names()).map((c) => c.name), ['mail.example.test']);
});

test('services: the startup type is set in the config and applied; a bad value is refused', async () => {
  const url = `${fx.base}/api/services/pop3-backend/startup-type`;
  const before = readFileSync(configPath(fx.dataDir));
  const bad = await request(url, { method: 'PUT', token: fx.readWrite, body: { startupType: 'sometimes' } });
  assert.equal(bad.status, 400);
  assert.match(err(bad).error, /^startupType: "sometimes" is not allowed \(allowed: Automatic, Disabled\)/);
  assert.equal((await request(url, { method: 'PUT', token: fx.readOnly, body: { startupType: 'automatic' } })).status, 403);
  assert.equal((await request(`${fx.base}/api/services/pop9/startup-type`, { method: 'PUT', token: fx.readWrite, body: { startupType: 'automatic' } })).status, 404);
  assert.deepEqual(readFileSync(configPath(fx.dataDir)), before);
  const on = await request(url, { method: 'PUT', token: fx.readWrite, body: { startupType: 'automatic' } });
  assert.deepEqual([on.status, on.json], [200, { name: 'pop3-backend', startupType: 'Automatic', status: 'Running' }]);
  assert.equal((JSON.parse(readFileSync(configPath(fx.dataDir), 'utf8')) as { services: Record<string, string> }).services['pop3-backend'], 'Automatic');
  const off = await request(url, { method: 'PUT', token: fx.readWrite, body: { startupType: 'Disabled' } });
  assert.deepEqual(off.json, { name: 'pop3-backend', startupType: 'Disabled', status: 'Stopped' });
});

test('blocks: listed from the server, a bad address is refused, clearing needs a read-write token', async () => {
  assert.deepEqual((await request(`${fx.base}/api/blocks`, { token: fx.readOnly })).json, { updatedAt: null, blocks: [] });
  const bad = await request(`${fx.base}/api/blocks/not-an-ip`, { method: 'DELETE', token: fx.readWrite });
  assert.equal(bad.status, 400);
  assert.match(err(bad).error, /^address: "not-an-ip" is not allowed \(allowed: an IPv4 or IPv6 address/);
  assert.equal((await request(`${fx.base}/api/blocks`, { method: 'DELETE', token: fx.readOnly })).status, 403);
});

test('tokens: the last use is recorded and listed, never the secret; an expired token gets 401', async () => {
  assert.equal((await request(`${fx.base}/api/services`, { token: fx.readWrite })).status, 200);
  const r = await request(`${fx.base}/api/tokens`, { token: fx.readOnly });
  assert.equal(r.status, 200);
  const rows = r.json as Array<{ name: string; lastUsedAt: string | null; expiresAt: string | null; expired: boolean }>;
  assert.deepEqual(rows.map((x) => x.name), ['viewer', 'operator']);
  for (const row of rows) assert.ok(row.lastUsedAt && Date.now() - Date.parse(row.lastUsedAt) < 120_000, `${row.name} last used just now`);
  assert.ok(!r.text.includes(fx.readOnly) && !r.text.includes('sha256'));
  const expired = addToken(fx.dataDir, 'short-lived', 'read-write', new Date(Date.now() - 2 * 86_400_000), { expiresInDays: 1 });
  const valid = addToken(fx.dataDir, 'month', 'read-only', new Date(), { expiresInDays: 30 });
  const refused = await request(`${fx.base}/api/services`, { token: expired });
  assert.equal(refused.status, 401);
  assert.match(err(refused).error, /^authorization: token "short-lived" expired at \d{4}-/);
  assert.equal((await request(`${fx.base}/api/services`, { token: valid })).status, 200);
  const after = ((await request(`${fx.base}/api/tokens`, { token: valid })).json as typeof rows);
  const short = after.find((x) => x.name === 'short-lived')!;
  assert.deepEqual([short.expired, short.lastUsedAt], [true, null], 'a refused token is not marked used');
  const month = after.find((x) => x.name === 'month')!;
  assert.equal(month.expired, false);
  assert.ok(Math.abs(Date.parse(month.expiresAt!) - Date.now() - 30 * 86_400_000) < 120_000);
  removeToken(fx.dataDir, 'short-lived');
  removeToken(fx.dataDir, 'month');
});
