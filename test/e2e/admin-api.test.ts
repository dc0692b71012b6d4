// The admin API on a running server, where what it changes must show in the live server: lifting a
// login block, app passwords and IMAP access as a client sees them.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cliOk, python, type Server } from './harness.js';

const user = { address: 'bea@example.test', password: 'bea-blocks-pw' };
let server: Server;
let token: string;
before(async () => {
  server = await startServer({ services: ['imap4', 'imap4-backend', 'admin'], users: [user], auth: { 'ip-block-after': '1', 'max-delay-ms': '0' } });
  token = cliOk(server.dataDir, ['admin', 'token', 'add', 'ops', '--scope', 'read-write']).trim();
});
after(async () => {
  await server?.stop();
});

const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const r = await fetch(`http://127.0.0.1:${server.ports.admin}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
};
const login = async (source: string, password: string): Promise<{ ok: boolean; reply: string }> => {
  const r = await python('login_from.py', ['imap', '127.0.0.1', String(server.ports.imaps), 'tls', source, user.address, password]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { ok: boolean; reply: string };
};

test('a network blocked after failed logins is listed by the API, and clearing it lets the user log in again', { timeout: 60_000 }, async () => {
  // One failure blocks a network here (ip-block-after 1); each login costs a python process and a hash.
  for (const source of ['127.0.0.7', '127.0.0.8']) assert.equal((await login(source, 'wrong password')).ok, false);
  const refused = await login('127.0.0.7', user.password);
  assert.deepEqual(refused, { ok: false, reply: refused.reply });
  assert.match(refused.reply, /Too many failed logins from your network/);
  const listed = await api('GET', '/api/blocks');
  assert.equal(listed.status, 200);
  assert.deepEqual((listed.json as { blocks: Array<{ network: string }> }).blocks.map((b) => b.network).sort(), ['127.0.0.7', '127.0.0.8']);
  const one = await api('DELETE', '/api/blocks/127.0.0.7');
  assert.equal(one.status, 200, JSON.stringify(one.json));
  assert.deepEqual((one.json as { cleared: string; blocks: Array<{ network: string }> }).blocks.map((b) => b.network), ['127.0.0.8']);
  assert.equal((await login('127.0.0.7', user.password)).ok, true);
  assert.equal((await login('127.0.0.8', user.password)).ok, false, 'only the named network is lifted');
  const all = await api('DELETE', '/api/blocks');
  assert.equal(all.status, 200, JSON.stringify(all.json));
  assert.deepEqual(all.json, { cleared: 'all', updatedAt: (all.json as { updatedAt: string }).updatedAt, blocks: [] });
  assert.equal((await login('127.0.0.8', user.password)).ok, true);
});

test('an app password made through the API logs in until it is revoked; IMAP access switched off refuses the login', { timeout: 60_000 }, async () => {
  // Each login comes from its own address: here one failure blocks a network.
  const users = `/api/users/${encodeURIComponent(user.address)}`;
  const made = await api('POST', `${users}/app-passwords`, { name: 'mua', protocols: ['imap4'] });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  const secret = (made.json as { password: string }).password;
  assert.equal((await login('127.0.0.10', secret)).ok, true);
  assert.equal((await api('DELETE', `${users}/app-passwords/mua`)).status, 200);
  assert.equal((await login('127.0.0.11', secret)).ok, false);
  assert.equal((await api('PATCH', users, { imapEnabled: false })).status, 200);
  assert.equal((await login('127.0.0.12', user.password)).ok, false);
  assert.equal((await api('PATCH', users, { imapEnabled: true })).status, 200);
  assert.equal((await login('127.0.0.13', user.password)).ok, true);
});
