// `serve` started as root binds a low port and then runs as the unprivileged `run-as-user`;
// a data dir that user does not own is refused before any port is bound.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { cli, cliOk, makeDataDir, python, serve, type Server } from './harness.js';

const isRoot = process.getuid?.() === 0;
const hasNobody = spawnSync('id', ['-u', 'nobody']).status === 0;
const skip = !isRoot ? 'needs root (it tests dropping root)' : !hasNobody ? 'no "nobody" user' : false;
let server: Server | undefined;
const dirs: string[] = [];
after(async () => {
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A free port below 1024, found by trying to bind (never a fixed one). */
async function freeLowPort(): Promise<number> {
  for (let port = 1023; port > 600; port--) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port below 1024');
}

function prepare(): string {
  const root = makeDataDir();
  dirs.push(root);
  const dataDir = join(root, 'data');
  cliOk(dataDir, ['init', '--hostname', 'localhost']);
  cliOk(dataDir, ['service', 'enable', 'imap4']);
  cliOk(dataDir, ['service', 'enable', 'imap4-backend']);
  cliOk(dataDir, ['pop', 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
  cliOk(dataDir, ['smtp', 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
  cliOk(dataDir, ['server', 'set', '--run-as-user', 'nobody']);
  cliOk(dataDir, ['user', 'add', 'root-test@example.test', '--password-stdin'], 'drop-privs-pw\n');
  return dataDir;
}

test('as root: binds a low port, then runs as nobody and still serves mail', { skip }, async () => {
  const dataDir = prepare();
  const low = await freeLowPort();
  cliOk(dataDir, ['imap', 'set', '--ssl-bindings', `127.0.0.1:${low}`, '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
  execFileSync('chown', ['-R', 'nobody:', join(dataDir, '..')]);
  server = await serve(dataDir);
  assert.match(server.output(), /dropped privileges: now running as nobody/);
  assert.equal(server.ports.imaps, low);
  const user = execFileSync('ps', ['-o', 'user=', '-p', String(server.proc.pid)], { encoding: 'utf8' }).trim();
  assert.equal(user, 'nobody');
  cliOk(dataDir, ['deliver', '--to', 'root-test@example.test'], 'Subject: as nobody\r\nMessage-ID: <n1@x>\r\n\r\nhi\r\n');
  execFileSync('chown', ['-R', 'nobody:', join(dataDir, '..')]); // deliver ran as root and may have made files
  const r = await python('imap_tool.py', ['state', '127.0.0.1', String(low), 'root-test@example.test', 'drop-privs-pw']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok((JSON.parse(r.stdout) as Record<string, Record<string, unknown>>).INBOX['n1@x']);
});

test('as root: a data dir the run-as-user does not own is refused before binding', { skip }, () => {
  const dataDir = prepare();
  cliOk(dataDir, ['imap', 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
  const r = cli(dataDir, ['serve']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /run-as-user: .* not owned by nobody \(fix: chown -R nobody: /);
});
