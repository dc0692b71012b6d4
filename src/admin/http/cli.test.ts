import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configPath, defaultConfig, saveConfig } from '../../config/config.js';
import { openStore } from '../../store/open.js';
import { silentLogger } from '../../core/log.js';
import { CliError, type CliContext } from '../cli/errors.js';
import { adminCommands } from '../cli/admin-token.js';
import { certCommands } from '../cli/cert.js';
import { CertStore } from '../../tls/certstore.js';
import { configCheckCommand } from '../cli/config-check.js';
import { serviceControlCommands } from '../cli/service-control.js';
import { createDataDirControl } from './control.js';
import { startControlSocket } from './server.js';
import { tokenFilePath } from './tokens.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'pc-admin-cli-'));
  dirs.push(d);
  saveConfig(d, defaultConfig('mail.example.test'));
  return d;
}

function ctx(dir: string, args: string[]): CliContext & { out: string[] } {
  const out: string[] = [];
  return { dataDir: dir, args, out, stdout: (s) => out.push(s), readStdin: async () => Buffer.alloc(0) };
}

test('admin token add prints the secret once; list shows names and scopes, never secrets; remove', async () => {
  const dir = dataDir();
  const c = ctx(dir, ['add', 'ops', '--scope', 'read-write']);
  assert.equal(await adminCommands.token(c), 0);
  assert.match(c.out[0], /^pct_[A-Za-z0-9_-]{43}$/);
  const l = ctx(dir, ['list', '--json']);
  await adminCommands.token(l);
  assert.deepEqual((JSON.parse(l.out[0]) as Array<{ name: string; scope: string }>).map((r) => [r.name, r.scope]), [['ops', 'read-write']]);
  assert.ok(!readFileSync(tokenFilePath(dir), 'utf8').includes(c.out[0]));
  await assert.rejects(adminCommands.token(ctx(dir, ['add', 'x', '--scope', 'admin'])), (e: unknown) => e instanceof CliError && /--scope: "admin" is not allowed/.test(e.message));
  await assert.rejects(adminCommands.token(ctx(dir, ['add', 'ops', '--scope', 'read-only'])), /already exists/);
  await assert.rejects(adminCommands.token(ctx(dir, ['remove', 'nobody'])), /no token "nobody"/);
  assert.equal(await adminCommands.token(ctx(dir, ['remove', 'ops'])), 0);
});

test('admin token add --expires-in-days sets an expiry that list shows; a bad count is refused and nothing written', async () => {
  const dir = dataDir();
  for (const bad of ['0', '3.5', 'soon', '36500']) {
    await assert.rejects(adminCommands.token(ctx(dir, ['add', 'tmp', '--scope', 'read-only', '--expires-in-days', bad])),
      (e: unknown) => e instanceof CliError && /^--expires-in-days: ".*" is not allowed \(allowed: a whole number from 1 to 3650\)$/.test(e.message));
  }
  assert.equal(existsSync(tokenFilePath(dir)), false, 'nothing written');
  assert.equal(await adminCommands.token(ctx(dir, ['add', 'tmp', '--scope', 'read-only', '--expires-in-days', '7'])), 0);
  assert.equal(await adminCommands.token(ctx(dir, ['add', 'forever', '--scope', 'read-only'])), 0);
  const l = ctx(dir, ['list', '--json']);
  await adminCommands.token(l);
  const rows = JSON.parse(l.out[0]) as Array<{ name: string; expiresAt: string | null; lastUsedAt: string | null; expired: boolean }>;
  assert.ok(Math.abs(Date.parse(rows[0].expiresAt!) - Date.now() - 7 * 86_400_000) < 60_000);
  assert.deepEqual(rows.map((r) => [r.name, r.lastUsedAt, r.expired]), [['tmp', null, false], ['forever', null, false]]);
  assert.equal(rows[1].expiresAt, null);
  const text = ctx(dir, ['list']);
  await adminCommands.token(text);
  assert.match(text.out[0], /^NAME\s+SCOPE\s+CREATED\s+LAST USED\s+EXPIRES$/);
  assert.match(text.out[1], /^tmp\s+read-only\s+\S+\s+never\s+\d{4}-\d\d-\d\dT/);
  assert.match(text.out[2], /^forever\s+read-only\s+\S+\s+never\s+never$/);
});

test('config check: 0 when sound, 2 with each problem printed', async () => {
  const dir = dataDir();
  const ok = ctx(dir, []);
  assert.equal(await configCheckCommand(ok), 0);
  assert.match(ok.out[0], /OK$/);
  const raw = JSON.parse(readFileSync(configPath(dir), 'utf8')) as Record<string, unknown>;
  writeFileSync(configPath(dir), JSON.stringify({ ...raw, imap: { 'max-connections': -1 }, extra: {} }));
  const bad = ctx(dir, []);
  assert.equal(await configCheckCommand(bad), 2);
  assert.match(bad.out.join('\n'), /max-connections: "-1" is not allowed/);
  assert.match(bad.out.join('\n'), /extra: unknown section/);
});

test('service start|stop talk to the running server over the control socket', async (t) => {
  const dir = dataDir();
  await assert.rejects(serviceControlCommands.start(ctx(dir, ['imap4'])), (e: unknown) => e instanceof CliError && e.exitCode === 75 && /not running/.test(e.message));
  const store = await openStore(dir, defaultConfig('mail.example.test'));
  const sock = await startControlSocket({ control: createDataDirControl(dir, store), logger: silentLogger });
  t.after(async () => { await sock.stop(); await store.close(); });
  const started = ctx(dir, ['pop3']);
  assert.equal(await serviceControlCommands.start(started), 0);
  assert.equal(started.out[0], 'pop3: Degraded (startup type Disabled, unchanged)');
  const stopped = ctx(dir, ['pop3']);
  await serviceControlCommands.stop(stopped);
  assert.equal(stopped.out[0], 'pop3: Stopped (startup type Disabled, unchanged)');
  await assert.rejects(serviceControlCommands.restart(ctx(dir, ['pop4'])), /unknown service "pop4"/);
});

test('cert list and cert remove count every service that presents a certificate, submission and admin included', async () => {
  const dir = dataDir();
  await CertStore.forDataDir(dir).generateSelfSigned('mail.example.test');
  const l = ctx(dir, ['--json']);
  assert.equal(await certCommands.list(l), 0);
  assert.deepEqual((JSON.parse(l.out[0]) as Array<{ usedBy: string[] }>)[0].usedBy, ['imap4', 'pop3', 'submission', 'admin']);
  await assert.rejects(certCommands.remove(ctx(dir, ['mail.example.test'])),
    (e: unknown) => e instanceof CliError && /^NAME: "mail.example.test" is in use by imap4, pop3, submission, admin \(allowed: /.test(e.message));
  assert.ok(CertStore.forDataDir(dir).get('mail.example.test'), 'not removed');
});
