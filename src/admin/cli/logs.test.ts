import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logsCommands, parseSince } from './logs.js';
import { CliError, type CliContext } from './errors.js';
import { defaultConfig, saveConfig } from '../../config/config.js';
import { createSecurityLog, securityLogDir } from '../../observe/security-log.js';
import type { LoginEvent } from '../../observe/types.js';

function ctxFor(dataDir: string, args: string[]): { ctx: CliContext; out: string[] } {
  const out: string[] = [];
  return { out, ctx: { dataDir, args, stdout: (t) => out.push(t), readStdin: async () => Buffer.alloc(0) } };
}

function ev(over: Partial<LoginEvent>): LoginEvent {
  return {
    time: new Date(), protocol: 'imap4', port: 143, sessionId: 's', clientAddress: '127.0.0.2', user: 'alice@example.org',
    mechanism: 'LOGIN', result: 'success', reason: '', secure: false, tlsMode: 'none', tlsVersion: null, tlsCipher: null, ...over,
  };
}

test('parseSince: ISO and relative values; bad values name the flag', () => {
  const now = new Date('2024-03-08T00:00:00Z');
  assert.equal(parseSince('24h', now).toISOString(), '2024-03-07T00:00:00.000Z');
  assert.equal(parseSince('7d', now).toISOString(), '2024-03-01T00:00:00.000Z');
  assert.equal(parseSince('2024-03-01', now).toISOString(), '2024-03-01T00:00:00.000Z');
  assert.equal(parseSince('2024-03-01T10:00Z', now).toISOString(), '2024-03-01T10:00:00.000Z');
  for (const bad of ['yesterday', '7 days', '-1d', '2024-13-45', '']) {
    assert.throws(() => parseSince(bad, now), (err: unknown) => err instanceof CliError && err.exitCode === 2 && /^--since: /.test(err.message), bad);
  }
});

test('logs insecure-logins and failed-logins read the security log', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'logs-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  saveConfig(dataDir, defaultConfig('mail.example.org'));
  const log = createSecurityLog({ dir: securityLogDir(dataDir) });
  log.record(ev({}));
  log.record(ev({ protocol: 'pop3', port: 110, clientAddress: '127.0.0.3', user: 'bob@example.org', mechanism: 'USER' }));
  log.record(ev({ secure: true, tlsMode: 'implicit', tlsVersion: 'TLSv1.3', clientAddress: '127.0.0.4' }));
  log.record(ev({ result: 'failure', reason: 'credentials', user: 'mallory' }));
  await log.close();

  const all = ctxFor(dataDir, ['--json']);
  assert.equal(await logsCommands['insecure-logins'](all.ctx), 0);
  const rows = JSON.parse(all.out.join('')) as Array<{ user: string; clientAddress: string; protocol: string; count: number }>;
  assert.deepEqual(rows.map((r) => [r.user, r.clientAddress, r.protocol, r.count]).sort(), [
    ['alice@example.org', '127.0.0.2', 'imap4', 1], ['bob@example.org', '127.0.0.3', 'pop3', 1],
  ]);

  const pop = ctxFor(dataDir, ['--protocol', 'pop3']);
  await logsCommands['insecure-logins'](pop.ctx);
  assert.match(pop.out.join('\n'), /^LAST SEEN +FIRST SEEN +COUNT +PROTOCOL +CLIENT +USER\n.*pop3 +127\.0\.0\.3 +bob@example\.org$/);

  const future = ctxFor(dataDir, ['--since', '2999-01-01']);
  await logsCommands['insecure-logins'](future.ctx);
  assert.match(future.out.join(''), /^No logins without TLS recorded since 2999-01-01/);

  const failed = ctxFor(dataDir, ['--json']);
  await logsCommands['failed-logins'](failed.ctx);
  const f = JSON.parse(failed.out.join('')) as Array<{ user: string; reasons: Record<string, number> }>;
  assert.deepEqual(f.map((r) => [r.user, r.reasons]), [['mallory', { credentials: 1 }]]);

  await assert.rejects(logsCommands['insecure-logins'](ctxFor(dataDir, ['--protocol', 'http']).ctx), /^CliError: --protocol: "http" is not allowed/);
  await assert.rejects(logsCommands['insecure-logins'](ctxFor(dataDir, ['--bogus']).ctx), (e: unknown) => e instanceof CliError && /--bogus/.test(e.message));
  await assert.rejects(logsCommands['failed-logins'](ctxFor(join(dataDir, 'nope'), []).ctx), /--data-dir: .* is not a Portcullis data dir/);
});
