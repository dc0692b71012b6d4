/**
 * `serve --workers 2`: two worker processes share the listeners and the data dir; a change made
 * through one worker reaches IDLE sessions on the other (the IPC change feed); the ports are
 * printed once; a worker that dies is replaced.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { cliOk, startServer, type Server } from './harness.js';
import { parseOpenMetrics, sampleValue } from '../../src/observe/openmetrics-parse.js';
import { ImapClient, quote } from '../../bench/loadgen/imap.js';
import { csvFields, eventually, filesUnder } from './log-reader.js';

const USER = 'alice@example.org';
const PASSWORD = 'correct horse battery staple';

async function withWorkers<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.PORTCULLIS_WORKERS;
  process.env.PORTCULLIS_WORKERS = '2'; // the harness's `serve` inherits the environment
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.PORTCULLIS_WORKERS;
    else process.env.PORTCULLIS_WORKERS = before;
  }
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

async function login(server: Server): Promise<ImapClient> {
  const c = await ImapClient.connect({ host: '127.0.0.1', port: server.ports.imaps!, tls: true });
  const r = await c.command(`LOGIN ${quote(USER)} ${quote(PASSWORD)}`);
  assert.ok(r.ok, r.status);
  return c;
}

/** Polls (no fixed sleep) until cond() holds or the deadline passes. */
async function until(cond: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('serve --workers 2: an IDLE session on one worker hears of an APPEND through the other', async (t) => {
  const server = await withWorkers(() => startServer({ imap: { 'login-type': 'SecureLogin' }, users: [{ address: USER, password: PASSWORD }] }));
  t.after(() => server.stop());
  const out = server.output();
  assert.match(out, /^2 worker processes$/m);
  assert.equal((out.match(/^imap4 listening on .*\(implicit TLS\)$/gm) ?? []).length, 1, 'each listener is printed once');
  assert.equal((out.match(/^ready$/gm) ?? []).length, 1);
  assert.equal(children(server.proc.pid!).length, 2);

  // Connections are handed to the workers in turn: with four IDLE sessions both workers hold some,
  // so whichever worker takes the APPEND, another worker's sessions must be told.
  const idlers: ImapClient[] = [];
  for (let i = 0; i < 4; i++) {
    const c = await login(server);
    t.after(() => c.destroy());
    const sel = await c.command('SELECT INBOX', true);
    assert.ok(sel.ok, sel.status);
    idlers.push(c);
  }
  const told = idlers.map(() => false);
  const idling = idlers.map((c, i) => c.idle(20_000, (line) => {
    if (/^\* 1 EXISTS/.test(line)) told[i] = true;
    return told[i];
  }));
  const writer = await login(server);
  t.after(() => writer.destroy());
  const msg = Buffer.from('From: bob@example.org\r\nTo: alice@example.org\r\nSubject: across workers\r\n\r\nhello\r\n');
  const appended = await writer.append('INBOX', '', msg);
  assert.ok(appended.ok, appended.status);
  await Promise.all(idling);
  assert.deepEqual(told, [true, true, true, true], 'every IDLE session saw * 1 EXISTS');
});

test('serve --workers 2: a worker that dies is replaced and logins keep working', async (t) => {
  const server = await withWorkers(() => startServer({ users: [{ address: USER, password: PASSWORD }] }));
  t.after(() => server.stop());
  const first = children(server.proc.pid!);
  assert.equal(first.length, 2);
  process.kill(first[0], 'SIGKILL');
  await until(() => {
    const now = children(server.proc.pid!);
    return now.length === 2 && !now.includes(first[0]);
  }, 'a replacement worker');
  await until(() => /"event":"worker-exited"/.test(server.output()), 'the worker-exited log line');
  // Several logins: whichever worker each lands on, all succeed.
  for (let i = 0; i < 4; i++) {
    const c = await login(server);
    await c.logout();
  }
  const code = await server.stop();
  assert.equal(code, 0, 'SIGTERM stops every worker and the primary exits 0');
});

test('serve --workers 2: each worker writes its own protocol-log files, each with one header at the top', async (t) => {
  const server = await withWorkers(() => startServer({ imap: { 'login-type': 'SecureLogin', 'protocol-log-enabled': 'true' }, users: [{ address: USER, password: PASSWORD }] }));
  t.after(() => server.stop());
  for (let i = 0; i < 6; i++) {
    const c = await login(server);
    await c.logout();
  }
  const logDir = `${server.dataDir}/logs/imap4`;
  const loginRows = (): number => filesUnder(logDir).reduce((n, f) => n + readFileSync(f, 'utf8').split('\r\n').filter((l) => l && !l.startsWith('#') && csvFields(l)[9] === 'LOGIN').length, 0);
  await eventually(() => (loginRows() === 6 ? true : undefined), 'six LOGIN rows in the protocol logs');
  const files = filesUnder(logDir);
  const names = files.map((f) => f.slice(logDir.length + 1)).sort();
  assert.ok(names.every((n) => /^IMAP4\d{10}-w[01]-\d+\.LOG$/.test(n)), names.join(' '));
  assert.ok(names.some((n) => n.includes('-w0-')) && names.some((n) => n.includes('-w1-')), `both workers wrote: ${names.join(' ')}`);
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.ok(text.startsWith('#Software: Portcullis\r\n'), `${f} begins with the header`);
    assert.equal(text.match(/^#Fields: /gm)?.length, 1, `${f} has one #Fields line`);
    assert.doesNotMatch(text, new RegExp(PASSWORD));
    for (const line of text.split('\r\n').filter((l) => l && !l.startsWith('#'))) assert.equal(csvFields(line).length, 15, line);
  }
});

test('serve --workers 2: /metrics counts the logins of every worker, whichever worker answers', async (t) => {
  const server = await withWorkers(() => startServer({ services: ['imap4', 'imap4-backend', 'admin'], users: [{ address: USER, password: PASSWORD }] }));
  t.after(() => server.stop());
  const token = cliOk(server.dataDir, ['admin', 'token', 'add', 'prometheus', '--scope', 'read-only']).trim().split(/\s+/).pop()!;
  const logins = async (): Promise<number> => {
    const r = await fetch(`http://127.0.0.1:${server.ports.admin}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.status, 200);
    return sampleValue(parseOpenMetrics(await r.text()), 'portcullis_logins_total', { protocol: 'imap4', result: 'success', secure: 'true' }) ?? 0;
  };
  const N = 6;
  for (let i = 0; i < N; i++) {
    const c = await login(server);
    await c.logout();
  }
  // Connections go to the workers in turn: among four scrapes each worker answers some.
  const seen: number[] = [];
  for (let i = 0; i < 4; i++) seen.push(await logins());
  assert.deepEqual(seen, [N, N, N, N]);
});
