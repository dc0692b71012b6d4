// The server on PostgreSQL: `init --store postgres://...`, then IMAP, POP3 and deliver work as on
// SQLite, and two server processes (two nodes) on one database see each other's changes.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { ImapFlow } from 'imapflow';
import { createTestDatabase, type TestDatabase } from '../../src/store/postgres/testing.js';
import { cli, cliOk, makeDataDir, serve, python, type Server } from './harness.js';
import { eventually } from './log-reader.js';

let db: TestDatabase | null = null;
let skip: string | false = false;
const servers: Server[] = [];
const dirs: string[] = [];
before(async () => {
  try {
    db = await createTestDatabase();
  } catch (err) {
    skip = `PostgreSQL not reachable: ${(err as Error).message}`;
  }
});
after(async () => {
  for (const s of servers) await s.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  await db?.drop();
});

function node(url: string, first: boolean): string {
  const root = makeDataDir();
  dirs.push(root);
  const dataDir = join(root, 'data');
  cliOk(dataDir, ['init', '--hostname', 'localhost', '--store', url]);
  for (const s of ['imap4', 'imap4-backend']) cliOk(dataDir, ['service', 'enable', s]);
  cliOk(dataDir, ['imap', 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
  for (const p of ['pop', 'smtp']) cliOk(dataDir, [p, 'set', '--ssl-bindings', '127.0.0.1:0', '--unencrypted-or-tls-bindings', '127.0.0.1:0']);
  if (first) cliOk(dataDir, ['user', 'add', 'pat@example.test', '--password-stdin'], 'pat-postgres-pw\n');
  return dataDir;
}

test('init refuses a store URL that is not postgres://, and one it cannot reach, leaving nothing', () => {
  const root = makeDataDir();
  dirs.push(root);
  const bad = cli(join(root, 'a'), ['init', '--hostname', 'localhost', '--store', 'mysql://x']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--store: "mysql:\/\/x" is not allowed/);
  const down = cli(join(root, 'b'), ['init', '--hostname', 'localhost', '--store', 'postgres://postgres@127.0.0.1:1/none']);
  assert.equal(down.code, 2);
  assert.match(down.stderr, /--store: /);
});

test('two server processes on one PostgreSQL database: delivery through one is seen in IDLE on the other', { timeout: 120_000 }, async (t) => {
  if (skip || !db) return t.skip(String(skip));
  const a = await serve(node(db.url, true));
  servers.push(a);
  const b = await serve(node(db.url, false));
  servers.push(b);
  const mk = (port: number) => {
    const c = new ImapFlow({ host: '127.0.0.1', port, secure: true, auth: { user: 'pat@example.test', pass: 'pat-postgres-pw' }, tls: { rejectUnauthorized: false }, logger: false });
    c.on('error', () => {});
    return c;
  };
  const onB = mk(b.ports.imaps!);
  await onB.connect();
  await onB.mailboxOpen('INBOX');
  const exists = new Promise<number>((resolve) => onB.on('exists', (ev) => resolve(ev.count)));
  const idling = onB.idle().catch(() => {});
  const onA = mk(a.ports.imaps!);
  await onA.connect();
  await onA.append('INBOX', 'From: x@example.test\r\nSubject: across nodes\r\nMessage-ID: <pg1@x>\r\n\r\nhello\r\n');
  assert.equal(await exists, 1);
  await onA.logout();
  await onB.logout();
  await idling;
  cliOk(a.dataDir, ['deliver', '--to', 'pat@example.test'], 'Subject: by deliver\r\nMessage-ID: <pg2@x>\r\n\r\nhi\r\n');
  const state = await python('imap_tool.py', ['state', '127.0.0.1', String(b.ports.imaps), 'pat@example.test', 'pat-postgres-pw']);
  assert.equal(state.code, 0, state.stderr);
  assert.deepEqual(Object.keys((JSON.parse(state.stdout) as Record<string, Record<string, unknown>>).INBOX).sort(), ['pg1@x', 'pg2@x']);
});

test('app passwords on PostgreSQL: added with the CLI, log in over IMAP, listed with their last use, removed', { timeout: 120_000 }, async (t) => {
  if (skip || !db) return t.skip(String(skip));
  const dataDir = node(db.url, false);
  const users = JSON.parse(cliOk(dataDir, ['user', 'list', '--json'])) as Array<{ address: string }>;
  if (!users.some((u) => u.address === 'pat@example.test')) cliOk(dataDir, ['user', 'add', 'pat@example.test', '--password-stdin'], 'pat-postgres-pw\n');
  const out = cliOk(dataDir, ['user', 'app-password', 'add', 'pat@example.test', '--name', 'tablet', '--protocols', 'imap4']);
  const appPw = /^ {4}([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$/m.exec(out)?.[1];
  assert.ok(appPw, out);
  const s = await serve(dataDir);
  servers.push(s);
  const login = async (password: string) => {
    const r = await python('login_from.py', ['imap', '127.0.0.1', String(s.ports.imaps), 'tls', '127.0.0.1', 'pat@example.test', password]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { ok: boolean; reply: string };
  };
  assert.equal((await login(appPw)).ok, true);
  type Row = { name: string; protocols: string[]; lastUsedAt: string | null };
  const rows = (): Row[] => JSON.parse(cliOk(dataDir, ['user', 'app-password', 'list', 'pat@example.test', '--json'])) as Row[];
  const used = await eventually(() => rows().find((r) => r.name === 'tablet' && r.lastUsedAt !== null), 'the last use to be recorded');
  assert.deepEqual(used.protocols, ['imap4']);
  cliOk(dataDir, ['user', 'app-password', 'remove', 'pat@example.test', 'tablet']);
  assert.equal((await login(appPw)).ok, false, 'revoked');
  assert.equal((await login('pat-postgres-pw')).ok, true, 'the account password is unaffected');
});
