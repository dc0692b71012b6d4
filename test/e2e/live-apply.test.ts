// Settings applied to a running `serve` by `imap set` itself (through the control socket): moving
// a listener keeps sessions on the old one alive, a port that cannot be bound leaves the old
// listeners serving and the CLI reports it, and `set` says whether the change applied live.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliOk, startServer, type Server } from './harness.js';
import { eventually, readProtocolLog } from './log-reader.js';

const USER = 'lia@example.test';
const PASS = 'live-apply-password';
let server: Server;
let plainPort: number;
/** The TLS port after the first move. */
let movedTo = 0;

/** A port free right now (bound on 127.0.0.1 by the kernel, then released). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** An IMAP client over implicit TLS: command() sends one tagged command and resolves its tagged reply. */
async function imapsSession(port: number) {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  socket.on('error', () => {});
  let buf = '';
  let wake: () => void = () => {};
  socket.on('data', (d: Buffer) => { buf += d.toString('latin1'); wake(); });
  socket.on('close', () => wake());
  const line = async (re: RegExp, from: number): Promise<string> => {
    for (;;) {
      const hit = buf.slice(from).split('\r\n').slice(0, -1).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (socket.destroyed) throw new Error(`connection closed; got: ${buf}`);
      await new Promise<void>((r) => { wake = r; });
    }
  };
  const greeting = await line(/^\* (OK|BYE)/, 0);
  let n = 0;
  return {
    greeting,
    async command(text: string): Promise<string> {
      const tag = `t${++n}`;
      const from = buf.length;
      socket.write(`${tag} ${text}\r\n`);
      return line(new RegExp(`^${tag} (OK|NO|BAD)`), from);
    },
    close: () => socket.destroy(),
  };
}

/** Resolves the error code of a TCP connection attempt (null when it was accepted). */
function connectError(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => { s.destroy(); resolve(null); });
    s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

before(async () => {
  plainPort = await freePort();
  server = await startServer({ services: ['imap4', 'imap4-backend'], imap: { 'unencrypted-or-tls-bindings': `127.0.0.1:${plainPort}` }, users: [{ address: USER, password: PASS }] });
});
after(async () => { await server?.stop(); });

test('imap set --ssl-bindings moves the listener live; the open session continues', async () => {
  const oldPort = server.ports.imaps!;
  const session = await imapsSession(oldPort);
  assert.match(await session.command(`LOGIN ${USER} ${PASS}`), /^t1 OK/);
  const newPort = await freePort();
  movedTo = newPort;
  // The cleartext binding stays on its port: the old listeners are released for it, then rebound.
  const out = cliOk(server.dataDir, ['imap', 'set', '--ssl-bindings', `127.0.0.1:${newPort}`]);
  assert.match(out, new RegExp(`^ssl-bindings = 127\\.0\\.0\\.1:${newPort} \\(applied live by the running server\\)$`, 'm'));
  const fresh = await imapsSession(newPort);
  assert.match(fresh.greeting, /^\* OK/);
  fresh.close();
  assert.equal(await connectError(oldPort), 'ECONNREFUSED', 'the old port takes no new connection');
  assert.equal(await connectError(plainPort), null, 'the unchanged cleartext port still accepts');
  assert.match(await session.command('NOOP'), /^t2 OK/, 'the session on the old port still answers');
  session.close();
});

test('a busy port: the running listeners stay and imap set reports the failure', async () => {
  const current = movedTo;
  assert.ok(current, 'runs after the move');
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const busy = (blocker.address() as net.AddressInfo).port;
  try {
    const r = cli(server.dataDir, ['imap', 'set', '--ssl-bindings', `127.0.0.1:${busy}`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^ssl-bindings = .*\(saved; the running server reported a problem applying the config \(see below\)\)$/m);
    assert.match(r.stderr, new RegExp(`did not apply everything: .*cannot listen on 127\\.0\\.0\\.1:${busy}.*the previous listeners of imap4 stay`));
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    const still = await imapsSession(current);
    assert.match(still.greeting, /^\* OK/, 'the previous TLS port still serves');
    still.close();
    assert.equal(await connectError(plainPort), null);
    assert.match(cliOk(server.dataDir, ['service', 'list']), /^imap4\s+Automatic\s+Running/m);

    // The TLS binding stays on its port (held by the running listeners, so they are released
    // first) while the cleartext one moves to the busy port: the old bindings are bound again.
    cliOk(server.dataDir, ['imap', 'set', '--ssl-bindings', `127.0.0.1:${current}`]);
    const moved = cli(server.dataDir, ['imap', 'set', '--unencrypted-or-tls-bindings', `127.0.0.1:${busy}`]);
    assert.equal(moved.code, 1, moved.stderr);
    assert.match(moved.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busy}.*the previous listeners of imap4 stay`));
    const back = await imapsSession(current);
    assert.match(back.greeting, /^\* OK/, 'the TLS port is bound again');
    back.close();
    assert.equal(await connectError(plainPort), null, 'the cleartext port is bound again');
    cliOk(server.dataDir, ['imap', 'set', '--unencrypted-or-tls-bindings', `127.0.0.1:${plainPort}`]);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    // The file names the busy port; name the port in use again so later reloads keep it.
    cliOk(server.dataDir, ['imap', 'set', '--ssl-bindings', `127.0.0.1:${current}`]);
  }
});

test('max-connections-per-user: set live, one session more than the limit gets NO [LIMIT]', async () => {
  assert.match(cliOk(server.dataDir, ['imap', 'set', '--max-connections-per-user', '2']), /^max-connections-per-user = 2 \(applied live by the running server\)$/m);
  const restartOnly = cliOk(server.dataDir, ['auth', 'set', '--free-failures', '2']);
  assert.match(restartOnly, /^free-failures = 2 \(saved; needs a restart of the server\)$/m);
  cliOk(server.dataDir, ['auth', 'set', '--free-failures', '1']);
  const sessions = [await imapsSession(movedTo), await imapsSession(movedTo), await imapsSession(movedTo)];
  try {
    assert.match(await sessions[0].command(`LOGIN ${USER} ${PASS}`), /^t1 OK/);
    assert.match(await sessions[1].command(`LOGIN ${USER} ${PASS}`), /^t1 OK/);
    assert.match(await sessions[2].command(`LOGIN ${USER} ${PASS}`), /^t1 NO \[LIMIT\] Too many sessions for this user \(at most 2\)/);
    assert.match(await sessions[0].command('LOGOUT'), /^t2 OK/);
    const again = await imapsSession(movedTo);
    assert.match(await again.command(`LOGIN ${USER} ${PASS}`), /^t1 OK/, 'a freed slot can be used');
    again.close();
  } finally {
    for (const s of sessions) s.close();
    cliOk(server.dataDir, ['imap', 'set', '--max-connections-per-user', '16']);
  }
});

test('log-file-location changes live: new protocol-log rows go to the new directory', async () => {
  const logs = mkdtempSync(join(tmpdir(), 'portcullis-live-logs-'));
  try {
    const [first, second] = [join(logs, 'first'), join(logs, 'second')];
    const out = cliOk(server.dataDir, ['imap', 'set', '--protocol-log-enabled', 'true', '--log-file-location', first]);
    assert.match(out, /^log-file-location = .* \(applied live by the running server\)$/m);
    const rowsWith = (dir: string, command: string) => readProtocolLog(server.dataDir, 'imap4', dir).rows.filter((r) => Object.values(r).some((v) => v.includes(command)));
    let session = await imapsSession(movedTo);
    await session.command('NOOP-FIRST');
    session.close();
    await eventually(() => (rowsWith(first, 'NOOP-FIRST').length ? true : undefined), 'a row in the first directory');
    assert.equal(statSync(first).mode & 0o777, 0o700);

    cliOk(server.dataDir, ['imap', 'set', '--log-file-location', second]);
    session = await imapsSession(movedTo);
    await session.command('NOOP-SECOND');
    session.close();
    await eventually(() => (rowsWith(second, 'NOOP-SECOND').length ? true : undefined), 'a row in the second directory');
    assert.equal(rowsWith(first, 'NOOP-SECOND').length, 0, 'nothing new in the old directory');
  } finally {
    cliOk(server.dataDir, ['imap', 'set', '--protocol-log-enabled', 'false', '--log-file-location', '']);
    rmSync(logs, { recursive: true, force: true });
  }
});
