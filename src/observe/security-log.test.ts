import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecurityLog, failedLogins, insecureLogins } from './security-log.js';
import { loginEvent, type LoginEvent } from './types.js';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'seclog-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function ev(over: Partial<LoginEvent>): LoginEvent {
  return {
    time: new Date('2024-03-04T10:00:00Z'), protocol: 'imap4', port: 143, sessionId: 's', clientAddress: '127.0.0.2',
    user: 'alice@example.org', mechanism: 'LOGIN', result: 'success', reason: '', secure: false, tlsMode: 'none',
    tlsVersion: null, tlsCipher: null, ...over,
  };
}

test('records one JSON event per line in a daily file, user sanitised, no secrets', async (t) => {
  const dir = await tempDir(t);
  let now = new Date('2024-03-04T23:59:59Z');
  const log = createSecurityLog({ dir, now: () => now });
  log.record(ev({ user: 'evil\r\nuser' }));
  await log.flush();
  now = new Date('2024-03-05T00:00:01Z');
  log.record(ev({ secure: true, tlsMode: 'implicit', tlsVersion: 'TLSv1.3', tlsCipher: 'TLS_AES_256_GCM_SHA384', port: 993 }));
  await log.close();
  assert.deepEqual((await readdir(dir)).sort(), ['security-20240304.jsonl', 'security-20240305.jsonl']);
  const lines = (await readFile(join(dir, 'security-20240304.jsonl'), 'utf8')).trim().split('\n');
  assert.equal(lines.length, 1);
  const e = JSON.parse(lines[0]);
  assert.equal(e.user, 'evil??user');
  assert.equal(e.time, '2024-03-04T10:00:00.000Z');
  assert.deepEqual(Object.keys(e).sort(), ['clientAddress', 'mechanism', 'port', 'protocol', 'reason', 'result', 'secure', 'sessionId', 'time', 'tlsCipher', 'tlsMode', 'tlsVersion', 'user']);
});

test('retention keeps 90 days by default and never the current file', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'security-20231201.jsonl'), '{}\n');
  await writeFile(join(dir, 'security-20240301.jsonl'), '{}\n');
  const log = createSecurityLog({ dir, now: () => new Date('2024-03-04T10:00:00Z') });
  log.record(ev({}));
  await log.close();
  assert.deepEqual((await readdir(dir)).sort(), ['security-20240301.jsonl', 'security-20240304.jsonl']);
  const tiny = createSecurityLog({ dir, maxTotalBytes: 1, now: () => new Date('2024-03-05T10:00:00Z') });
  tiny.record(ev({}));
  await tiny.close();
  assert.deepEqual(await readdir(dir), ['security-20240305.jsonl']);
});

test('insecure-logins: successful cleartext logins grouped by user, address and protocol, most recent first', async (t) => {
  const dir = await tempDir(t);
  const log = createSecurityLog({ dir, now: () => new Date('2024-03-04T12:00:00Z') });
  log.record(ev({ time: new Date('2024-03-04T10:00:00Z') }));
  log.record(ev({ time: new Date('2024-03-04T11:00:00Z') }));
  log.record(ev({ time: new Date('2024-03-04T10:30:00Z'), clientAddress: '127.0.0.3', protocol: 'pop3', port: 110, user: 'bob@example.org', mechanism: 'USER' }));
  log.record(ev({ time: new Date('2024-03-04T11:30:00Z'), secure: true, tlsMode: 'starttls', tlsVersion: 'TLSv1.3' }));
  log.record(ev({ time: new Date('2024-03-04T11:40:00Z'), result: 'failure', reason: 'credentials', user: 'mallory' }));
  log.record(ev({ time: new Date('2024-03-04T11:45:00Z'), result: 'failure', reason: 'policy', user: 'mallory' }));
  await log.close();
  await appendFile(join(dir, 'security-20240304.jsonl'), 'not json\n{"half":\n');

  const rows = await insecureLogins(dir);
  assert.deepEqual(rows, [
    { user: 'alice@example.org', clientAddress: '127.0.0.2', protocol: 'imap4', count: 2, firstSeen: '2024-03-04T10:00:00.000Z', lastSeen: '2024-03-04T11:00:00.000Z' },
    { user: 'bob@example.org', clientAddress: '127.0.0.3', protocol: 'pop3', count: 1, firstSeen: '2024-03-04T10:30:00.000Z', lastSeen: '2024-03-04T10:30:00.000Z' },
  ]);
  assert.deepEqual((await insecureLogins(dir, { protocol: 'pop3' })).map((r) => r.user), ['bob@example.org']);
  assert.deepEqual((await insecureLogins(dir, { since: new Date('2024-03-04T10:45:00Z') })).map((r) => [r.user, r.count]), [['alice@example.org', 1]]);
  assert.deepEqual(await insecureLogins(join(dir, 'missing')), []);

  const failed = await failedLogins(dir);
  assert.equal(failed.length, 1);
  assert.equal(failed[0].user, 'mallory');
  assert.equal(failed[0].count, 2);
  assert.deepEqual(failed[0].reasons, { credentials: 1, policy: 1 });
  assert.equal(failed[0].lastSeen, '2024-03-04T11:45:00.000Z');
});

test('loginEvent builds an event from the authenticator context, without the secret', () => {
  const ctx = { protocol: 'pop3' as const, sessionId: 'x1', remoteAddress: '127.0.0.5', localPort: 995, secure: true, tlsVersion: 'TLSv1.3', tlsCipher: 'TLS_AES_128_GCM_SHA256' };
  const e = loginEvent(ctx, { username: 'bob\u0000', mechanism: 'USER' }, { ok: false, reason: 'credentials' }, { time: new Date(0) });
  assert.deepEqual(e, {
    time: new Date(0), protocol: 'pop3', port: 995, sessionId: 'x1', clientAddress: '127.0.0.5', user: 'bob?', mechanism: 'USER',
    result: 'failure', reason: 'credentials', secure: true, tlsMode: 'implicit', tlsVersion: 'TLSv1.3', tlsCipher: 'TLS_AES_128_GCM_SHA256',
  });
  assert.equal(loginEvent({ ...ctx, localPort: 110 }, { username: 'b', mechanism: 'USER' }, { ok: true }).tlsMode, 'starttls');
  assert.equal(loginEvent({ ...ctx, secure: false }, { username: 'b', mechanism: 'USER' }, { ok: true }, { tlsMode: 'none' }).tlsMode, 'none');
});
