import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { silentLogger } from '../core/log.js';
import { createTestTlsProvider, type TestTlsProvider } from '../tls/provider.js';
import { startListeners, type ListenerSpec, type RunningListeners } from './listener.js';
import type { Connection } from './types.js';

/** A tiny line protocol: greeting, "STARTTLS" upgrades, anything else is echoed. */
function echoSession(conn: Connection, received: string[]): void {
  let buf = '';
  conn.write(`hello ${conn.tlsMode}\r\n`);
  conn.onData((chunk) => {
    buf += chunk.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      received.push(line);
      if (line === 'STARTTLS') {
        conn.write('go\r\n');
        buf = ''; // the framer's part: bytes pipelined after STARTTLS are dropped
        conn.startTls().then(
          () => conn.write(`secure ${conn.tls?.version}\r\n`),
          () => {},
        );
        return;
      }
      if (line === 'QUIT') return conn.close('bye\r\n');
      conn.write(`echo ${line}\r\n`);
    }
  });
}

interface Server { running: RunningListeners; received: string[]; conns: Connection[] }

let provider: TestTlsProvider;
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

async function serve(kinds: ListenerSpec['kind'][], limits = { maxConnections: 100, maxConnectionFromSingleIp: 100 }): Promise<Server> {
  provider ??= await createTestTlsProvider('mail.test');
  const received: string[] = [];
  const conns: Connection[] = [];
  const running = await startListeners({
    service: 'echo',
    listeners: kinds.map((kind) => ({ kind, binding: { host: '127.0.0.1', port: 0 } })),
    tls: provider,
    limits: () => limits,
    refusal: (reason) => `refused ${reason}\r\n`,
    logger: silentLogger,
    onConnection: (c) => { conns.push(c); echoSession(c, received); },
    handshakeTimeoutMs: 2000,
  });
  cleanups.push(async () => { await running.close(); for (const c of running.connections()) c.close(); });
  return { running, received, conns };
}

/** Reads from a socket until `pattern` has appeared in the accumulated text. */
function readUntil(sock: net.Socket, pattern: string | RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const check = (): boolean => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
    const onData = (d: Buffer): void => { text += d.toString('latin1'); if (check()) { cleanup(); resolve(text); } };
    const onEnd = (): void => { cleanup(); check() ? resolve(text) : reject(new Error(`closed before ${pattern}; got ${JSON.stringify(text)}`)); };
    const cleanup = (): void => { sock.removeListener('data', onData); sock.removeListener('end', onEnd); sock.removeListener('close', onEnd); };
    sock.on('data', onData);
    sock.on('end', onEnd);
    sock.on('close', onEnd);
  });
}

function connectPlain(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => { s.destroy(); });
  });
}

function connectTls(port: number, extra: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'mail.test', ca: provider.certPem, ...extra }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => { s.destroy(); });
  });
}

test('implicit TLS: connection handed over after the handshake, with TLS facts', async () => {
  const srv = await serve(['implicit']);
  const [addr] = srv.running.addresses();
  assert.equal(addr.kind, 'implicit');
  assert.ok(addr.port > 0);
  const client = await connectTls(addr.port);
  const text = await readUntil(client, 'hello implicit\r\n');
  assert.equal(text, 'hello implicit\r\n');
  client.write('ping\r\n');
  await readUntil(client, 'echo ping\r\n');
  const conn = srv.conns[0];
  assert.equal(conn.tlsMode, 'implicit');
  assert.match(conn.tls?.version ?? '', /^TLSv1\.[23]$/);
  assert.equal(conn.tls?.servername, 'mail.test');
  assert.equal(conn.remoteAddress, '127.0.0.1');
});

test('implicit TLS port sends nothing before the handshake', async () => {
  const srv = await serve(['implicit']);
  const raw = await connectPlain(srv.running.addresses()[0].port);
  raw.write('hello?\r\n'); // not a ClientHello: the handshake fails, nothing readable is sent
  let got = '';
  raw.on('data', (d: Buffer) => { got += d.toString('latin1'); });
  await new Promise((r) => raw.once('close', r));
  assert.ok(!got.includes('hello'), `plaintext leaked: ${JSON.stringify(got)}`);
  assert.equal(srv.conns.length, 0);
});

test('STARTTLS: bytes pipelined after the upgrade command are never delivered', async () => {
  const srv = await serve(['starttls']);
  const port = srv.running.addresses()[0].port;
  const raw = await connectPlain(port);
  await readUntil(raw, 'hello none\r\n');
  raw.write('STARTTLS\r\nINJECTED\r\n');
  await readUntil(raw, 'go\r\n');
  const client = tls.connect({ socket: raw, servername: 'mail.test', ca: provider.certPem });
  cleanups.push(() => { client.destroy(); });
  await new Promise<void>((resolve, reject) => { client.once('secureConnect', resolve); client.once('error', reject); });
  await readUntil(client, /secure TLSv1\.[23]\r\n/);
  client.write('after\r\n');
  await readUntil(client, 'echo after\r\n');
  assert.deepEqual(srv.received, ['STARTTLS', 'after']);
  assert.equal(srv.conns[0].tlsMode, 'starttls');
});

test('STARTTLS: cleartext sent in a separate write before the handshake is discarded or closes', async () => {
  const srv = await serve(['starttls']);
  const raw = await connectPlain(srv.running.addresses()[0].port);
  await readUntil(raw, 'hello none\r\n');
  raw.write('STARTTLS\r\n');
  await readUntil(raw, 'go\r\n');
  raw.write('INJECTED\r\n');
  await new Promise((r) => raw.once('close', r)); // the handshake sees garbage and fails
  assert.deepEqual(srv.received, ['STARTTLS']);
  await waitFor(() => srv.running.connections().length === 0);
  assert.equal(srv.conns[0].closed, true);
});

test('TLS 1.0 and 1.1 are refused; 1.2 and 1.3 work', async () => {
  const srv = await serve(['implicit']);
  const port = srv.running.addresses()[0].port;
  await assert.rejects(connectTls(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }));
  for (const v of ['TLSv1.2', 'TLSv1.3'] as const) {
    const c = await connectTls(port, { minVersion: v, maxVersion: v });
    assert.equal(c.getProtocol(), v);
    c.destroy();
  }
});

test('TLS 1.2 offers only forward-secret AEAD suites', async () => {
  const srv = await serve(['implicit']);
  const port = srv.running.addresses()[0].port;
  await assert.rejects(connectTls(port, { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA:AES256-SHA:AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA' }));
  const c = await connectTls(port, { maxVersion: 'TLSv1.2' });
  assert.match(c.getCipher().name, /^ECDHE-ECDSA-(AES(128|256)-GCM|CHACHA20)/);
  c.destroy();
});

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}

test('connection caps: per IP and total, refused with the refusal text', async () => {
  const limits = { maxConnections: 3, maxConnectionFromSingleIp: 2 };
  const srv = await serve(['starttls'], limits);
  const port = srv.running.addresses()[0].port;
  const a = await connectPlain(port); await readUntil(a, 'hello');
  const b = await connectPlain(port); await readUntil(b, 'hello');
  const c = await connectPlain(port);
  assert.equal(await readUntil(c, 'refused max-per-ip\r\n'), 'refused max-per-ip\r\n');
  limits.maxConnectionFromSingleIp = 10;
  const d = await connectPlain(port); await readUntil(d, 'hello');
  const e = await connectPlain(port);
  assert.equal(await readUntil(e, 'refused max-connections\r\n'), 'refused max-connections\r\n');
  // A closed connection frees its slot.
  a.write('QUIT\r\n');
  await readUntil(a, 'bye');
  await waitFor(() => srv.running.connections().length === 2);
  const f = await connectPlain(port);
  await readUntil(f, 'hello none');
});

test('close() stops accepting and leaves live connections alone', async () => {
  const srv = await serve(['starttls', 'implicit']);
  const [plain, secure] = srv.running.addresses();
  const a = await connectPlain(plain.port); await readUntil(a, 'hello');
  const t = await connectTls(secure.port); await readUntil(t, 'hello');
  await srv.running.close();
  await assert.rejects(connectPlain(plain.port));
  a.write('still\r\n');
  await readUntil(a, 'echo still\r\n');
  t.write('there\r\n');
  await readUntil(t, 'echo there\r\n');
  assert.equal(srv.running.connections().length, 2);
});

test('IPv6 binding and an exception in one session does not disturb others', async (t) => {
  provider ??= await createTestTlsProvider('mail.test');
  let n = 0;
  const running = await startListeners({
    service: 'boom', listeners: [{ kind: 'starttls', binding: { host: '::1', port: 0 } }], tls: provider,
    limits: () => ({ maxConnections: 10, maxConnectionFromSingleIp: 10 }), refusal: () => '', logger: silentLogger,
    onConnection: (c) => {
      const id = ++n;
      c.write(`hi ${id}\r\n`);
      c.onData((d) => { if (d.toString().startsWith('boom')) throw new Error('session bug'); c.write(`ok ${id}\r\n`); });
    },
  }).catch((err: Error) => { t.skip(`no IPv6 loopback: ${err.message}`); return null; });
  if (!running) return;
  cleanups.push(() => running.close());
  const addr = running.addresses()[0];
  assert.equal(addr.address, '::1');
  const one = net.connect(addr.port, '::1'); cleanups.push(() => { one.destroy(); });
  await readUntil(one, 'hi 1');
  const two = net.connect(addr.port, '::1'); cleanups.push(() => { two.destroy(); });
  await readUntil(two, 'hi 2');
  one.write('boom\r\n');
  await new Promise((r) => one.once('close', r));
  two.write('x\r\n');
  await readUntil(two, 'ok 2');
});
