// Pinning a user to a backend, as an operator does it: two backend processes on one PostgreSQL
// database (127.0.0.1 and 127.0.0.2, same backend ports), one frontend proxying IMAP and POP3 to
// both. `user set --backend HOST` pins a user to the backend rendezvous hashing would NOT choose;
// their sessions go there (the frontend logs the target). With the pinned backend stopped, the
// pinned user gets the clean "unavailable" replies (IMAP NO [UNAVAILABLE], POP3 -ERR [SYS/TEMP])
// and is not moved to the other backend, which keeps serving everybody else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { rankTargets } from '../../src/frontend/router.js';
import { useCluster } from './helpers/cluster.js';
import { cliOk, serve, type Server } from './harness.js';

const PINNED = 'pia@example.test';
const OTHER = 'otto@example.test';
const PASS = 'pin-test-password';
const cluster = useCluster({ secret: randomBytes(48).toString('hex'), trustedFrontends: '127.0.0.0/8' });
const { live } = cluster;

/** A backend node whose backend listeners bind `host` (port 0: the kernel picks; else the given ports). */
async function backend(host: string, ports: { imap: number; pop: number }): Promise<{ server: Server; imap: number; pop: number }> {
  const dir = cluster.nodeDir(['imap4-backend', 'pop3-backend']);
  cliOk(dir, ['imap', 'set', '--backend-bindings', `${host}:${ports.imap}`]);
  cliOk(dir, ['pop', 'set', '--backend-bindings', `${host}:${ports.pop}`]);
  const server = await serve(dir);
  live.add(server);
  const port = (svc: string) => Number(new RegExp(`^${svc} listening on ${host.replace(/\./g, '\\.')}:(\\d+) \\(internal TLS\\)$`, 'm').exec(server.output())?.[1]);
  return { server, imap: port('imap4-backend'), pop: port('pop3-backend') };
}

/** Connects over implicit TLS, sends each line and waits for its reply (a line matching `done`); returns the last reply. */
async function converse(port: number, lines: string[], done: RegExp): Promise<string> {
  const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false });
  socket.on('error', () => {});
  let buf = '';
  let wake: (() => void) | null = null;
  socket.on('data', (d: Buffer) => { buf += d.toString('latin1'); wake?.(); });
  socket.on('close', () => wake?.());
  const reply = async (from: number, re: RegExp): Promise<string> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const hit = buf.slice(from).split('\r\n').slice(0, -1).find((l) => re.test(l));
      if (hit !== undefined) return hit;
      if (socket.destroyed || Date.now() > deadline) throw new Error(`no line matching ${re}; got: ${buf}`);
      await new Promise<void>((r) => { wake = r; setTimeout(r, 200); });
    }
  };
  try {
    let last = await reply(0, /^(\* OK|\+OK)/);
    for (const line of lines) {
      const from = buf.length;
      socket.write(line + '\r\n');
      last = await reply(from, done);
    }
    return last;
  } finally {
    socket.destroy();
  }
}

const imapLogin = (port: number, user: string) => converse(port, [`l1 LOGIN ${user} ${PASS}`], /^l1 /);
const popLogin = (port: number, user: string) => converse(port, [`USER ${user}`, `PASS ${PASS}`], /^[+-]/);

/** Whether 127.0.0.2 is usable on this machine (it is on Linux; not on every other system). */
async function secondLoopback(): Promise<boolean> {
  const s = net.createServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen(0, '127.0.0.2', () => s.close(() => resolve(true)));
  });
}

test('a pinned user is served by their pinned backend only; with it down they get a clean unavailable reply', { timeout: 120_000 }, async (t) => {
  if (cluster.skip || !cluster.db) return t.skip(String(cluster.skip));
  if (!(await secondLoopback())) return t.skip('127.0.0.2 is not available on this machine');
  const b1 = await backend('127.0.0.1', { imap: 0, pop: 0 });
  // The same ports on the second address: a pin by host name alone then uses proxy-target-port.
  const b2 = await backend('127.0.0.2', { imap: b1.imap, pop: b1.pop });
  assert.ok(b1.imap > 0 && b2.imap === b1.imap && b2.pop === b1.pop, b1.server.output() + b2.server.output());

  const fe = cluster.nodeDir(['imap4', 'pop3']);
  cliOk(fe, ['imap', 'set', '--proxy-targets', '127.0.0.1,127.0.0.2', '--proxy-target-port', String(b1.imap)]);
  cliOk(fe, ['pop', 'set', '--proxy-targets', '127.0.0.1,127.0.0.2', '--proxy-target-port', String(b1.pop)]);
  for (const u of [PINNED, OTHER]) cliOk(fe, ['user', 'add', u, '--password-stdin'], PASS + '\n');
  // Pin to the backend that hashing does not pick for this user.
  const hashed = rankTargets([`127.0.0.1:${b1.imap}`, `127.0.0.2:${b1.imap}`], PINNED)[0]!;
  const pinHost = hashed.startsWith('127.0.0.1:') ? '127.0.0.2' : '127.0.0.1';
  const pinned = pinHost === '127.0.0.1' ? b1 : b2;
  cliOk(fe, ['user', 'set', PINNED, '--backend', pinHost]);
  const frontend = await serve(fe);
  live.add(frontend);
  const imaps = frontend.ports.imaps!;
  const pop3s = frontend.ports.pop3s!;

  // Served by the pinned backend although hashing would choose the other.
  assert.match(await imapLogin(imaps, PINNED), /^l1 OK/, frontend.output());
  const proxied = () => frontend.output().split('\n').filter((l) => l.includes('"imap-proxied"') && l.includes(PINNED));
  assert.equal(proxied().length, 1, frontend.output());
  assert.match(proxied()[0]!, new RegExp(`"target":"${pinHost.replace(/\./g, '\\.')}:${b1.imap}"`));
  assert.match(await popLogin(pop3s, PINNED), /^\+OK/);

  // The pinned backend goes away: the pinned user gets clean refusals and is not moved, while
  // the other backend keeps serving an unpinned user.
  await pinned.server.stop();
  live.delete(pinned.server);
  assert.match(await imapLogin(imaps, PINNED), /^l1 NO \[UNAVAILABLE\]/);
  assert.match(await popLogin(pop3s, PINNED), /^-ERR \[SYS\/TEMP\]/);
  assert.equal(proxied().length, 1, 'no second hand-off of the pinned user');
  assert.match(frontend.output(), /"imap-handoff-failed".*pinned backend/);
  assert.match(await imapLogin(imaps, OTHER), /^l1 OK/);
  assert.match(await popLogin(pop3s, OTHER), /^\+OK/);

  // Removing the pin lets hashing place the user on the backend that is up.
  cliOk(fe, ['user', 'set', PINNED, '--backend', '']);
  assert.match(await imapLogin(imaps, PINNED), /^l1 OK/);
});
