// Python's imaplib and poplib, unmodified, against a real server process over real TLS.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, python, cliOk, type Server } from './harness.js';

let server: Server;
const user = 'dana@example.test';
const password = 'dana-secret-pw';

before(async () => {
  server = await startServer({ users: [{ address: user, password }] });
});
after(async () => {
  await server?.stop();
});

test('imaplib: SecureLogin before TLS, then a full session over STARTTLS and implicit TLS', async () => {
  const r = await python('imap_basic.py', ['127.0.0.1', String(server.ports.imap), String(server.ports.imaps), user, password]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /implicit TLS: login and examine ok/);
});

test('poplib: SecureLogin before STLS, then STAT/RETR/UIDL/DELE over STLS and implicit TLS', async () => {
  for (let i = 0; i < 3; i++) {
    cliOk(server.dataDir, ['deliver', '--to', user], `From: x@example.test\r\nSubject: pop ${i}\r\n\r\nline\r\n.dot line\r\n`);
  }
  const r = await python('pop_basic.py', ['127.0.0.1', String(server.ports.pop3), String(server.ports.pop3s), user, password, '3']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /DELE applied at QUIT/);
});

test('curl lists and retrieves over pop3s://', async () => {
  const { spawnSync } = await import('node:child_process');
  const body = 'From: c@example.test\r\nSubject: for curl pop\r\n\r\ncurl pop body\r\n';
  cliOk(server.dataDir, ['deliver', '--to', user], body);
  const list = spawnSync('curl', ['-sS', '-k', `pop3s://127.0.0.1:${server.ports.pop3s}/`, '-u', `${user}:${password}`], { encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  const lines = list.stdout.trim().split(/\r?\n/);
  const last = lines[lines.length - 1].split(' ')[0];
  const msg = spawnSync('curl', ['-sS', '-k', `pop3s://127.0.0.1:${server.ports.pop3s}/${last}`, '-u', `${user}:${password}`], { encoding: 'utf8' });
  assert.equal(msg.status, 0, msg.stderr);
  assert.equal(msg.stdout, body);
  // Without TLS under SecureLogin, curl cannot log in.
  const plain = spawnSync('curl', ['-sS', `pop3://127.0.0.1:${server.ports.pop3}/`, '-u', `${user}:${password}`], { encoding: 'utf8' });
  assert.notEqual(plain.status, 0);
});
