// startListeners with trusted-proxies: the PROXY header of a trusted peer gives the Connection its
// client address (also on implicit-TLS ports, header before the handshake) and drives the
// per-address cap; missing, slow or bad headers close the connection; a header from an
// untrusted peer is refused while its plain clients are served; the list is read live.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { silentLogger } from '../core/log.js';
import { createTestTlsProvider, type TestTlsProvider } from '../tls/provider.js';
import { startListeners, type RunningListeners } from './listener.js';
import { PROXY_V2_SIGNATURE } from './proxy-protocol.js';
import type { Connection } from './types.js';

let provider: TestTlsProvider;
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

interface Server { running: RunningListeners; conns: Connection[]; lines: string[]; trusted: string[]; port(kind: 'implicit' | 'starttls'): number }

async function serve(opts: { perIp?: number } = {}): Promise<Server> {
  provider ??= await createTestTlsProvider('mail.test');
  const conns: Connection[] = [];
  const lines: string[] = [];
  const trusted = ['127.0.0.1/32'];
  const running = await startListeners({
    service: 'echo',
    listeners: (['implicit', 'starttls'] as const).map((kind) => ({ kind, binding: { host: '127.0.0.1', port: 0 } })),
    tls: provider,
    limits: () => ({ maxConnections: 100, maxConnectionFromSingleIp: opts.perIp ?? 100 }),
    refusal: (reason) => `refused ${reason}\r\n`,
    logger: silentLogger,
    trustedProxies: () => trusted,
    proxyHeaderTimeoutMs: 300,
    handshakeTimeoutMs: 3000,
    onConnection: (c) => {
      conns.push(c);
      c.write(`hello ${c.remoteAddress} ${c.remotePort} ${c.tlsMode}\r\n`);
      let buf = '';
      c.onData((d) => {
        buf += d.toString('latin1');
        let i: number;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          lines.push(line);
          c.write(`echo ${line}\r\n`);
        }
      });
    },
  });
  cleanups.push(async () => { await running.close(); for (const c of running.connections()) c.close(); });
  const port = (kind: 'implicit' | 'starttls'): number => running.addresses().find((a) => a.kind === kind)!.port;
  return { running, conns, lines, trusted, port };
}

function connect(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => { s.destroy(); });
  });
}

/** Everything a socket receives until `pattern` shows, or until it closes (then `closed` is true). */
function read(sock: net.Socket, pattern: RegExp | null): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer): void => { text += d.toString('latin1'); if (pattern?.test(text)) { cleanup(); resolve({ text, closed: false }); } };
    const onClose = (): void => { cleanup(); resolve({ text, closed: true }); };
    const cleanup = (): void => { sock.removeListener('data', onData); sock.removeListener('close', onClose); };
    sock.on('data', onData);
    sock.on('close', onClose);
    sock.on('error', () => {});
  });
}

function v2Inet6(src: Buffer, sport: number): Buffer {
  const body = Buffer.alloc(36 + 7);
  src.copy(body, 0);
  body[31] = 1; // destination ::1
  body.writeUInt16BE(sport, 32);
  body.writeUInt16BE(993, 34);
  Buffer.from([0x04, 0x00, 0x04, 1, 2, 3, 4]).copy(body, 36); // a TLV, skipped
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x21]), len, body]);
}

test('trusted v1 on a cleartext port: client address from the header, pipelined bytes delivered', async () => {
  const srv = await serve();
  const s = await connect(srv.port('starttls'));
  s.write('PROXY TCP4 203.0.113.7 192.0.2.1 51234 143\r\nfirst\r\n');
  const { text } = await read(s, /echo first\r\n/);
  assert.equal(text, 'hello 203.0.113.7 51234 none\r\necho first\r\n');
  assert.equal(srv.conns[0].remoteAddress, '203.0.113.7');
});

test('trusted v2 (IPv6, TLV) on an implicit-TLS port: header, then the TLS handshake', async () => {
  const srv = await serve();
  const raw = await connect(srv.port('implicit'));
  const src = Buffer.alloc(16);
  src.writeUInt16BE(0x2001, 0); src.writeUInt16BE(0x0db8, 2); src.writeUInt16BE(7, 14);
  raw.write(v2Inet6(src, 40000));
  const secure = tls.connect({ socket: raw, servername: 'mail.test', ca: provider.certPem });
  cleanups.push(() => { secure.destroy(); });
  const { text } = await read(secure, /\r\n/);
  assert.equal(text, 'hello 2001:db8::7 40000 implicit\r\n');
});

test('trusted peer: no header in time, a bad header, or LOCAL/UNKNOWN', async () => {
  const srv = await serve();
  const silent = await connect(srv.port('starttls'));
  const bad = await connect(srv.port('implicit'));
  bad.write('a1 LOGIN alice secret\r\n');
  const [silentEnd, badEnd] = await Promise.all([read(silent, null), read(bad, null)]);
  assert.deepEqual(silentEnd, { text: '', closed: true }, 'closed after the header timeout, nothing sent');
  assert.deepEqual(badEnd, { text: '', closed: true });
  const unknown = await connect(srv.port('starttls'));
  unknown.write('PROXY UNKNOWN\r\n');
  assert.match((await read(unknown, /\r\n/)).text, /^hello 127\.0\.0\.1 \d+ none\r\n$/, 'UNKNOWN keeps the real peer');
  assert.equal(srv.conns.length, 1);
});

test('untrusted peer: a PROXY header is refused, a plain client is served', async () => {
  const srv = await serve();
  const viaTls = await connect(srv.port('implicit'), '127.0.0.2');
  viaTls.write('PROXY TCP4 198.51.100.1 192.0.2.1 1 993\r\n');
  assert.deepEqual(await read(viaTls, null), { text: '', closed: true });
  const clear = await connect(srv.port('starttls'), '127.0.0.2');
  assert.match((await read(clear, /\r\n/)).text, /^hello 127\.0\.0\.2 /);
  clear.write(v2Inet6(Buffer.alloc(16, 1), 1));
  assert.equal((await read(clear, null)).closed, true);
  assert.deepEqual(srv.lines, [], 'the header never reached the session');
  // Plain clients from the same address work on both ports.
  const plain = await connect(srv.port('starttls'), '127.0.0.2');
  plain.write('hi\r\n');
  assert.match((await read(plain, /echo hi\r\n/)).text, /^hello 127\.0\.0\.2 \d+ none\r\necho hi\r\n$/);
  const secure = tls.connect({ socket: await connect(srv.port('implicit'), '127.0.0.2'), servername: 'mail.test', ca: provider.certPem });
  cleanups.push(() => { secure.destroy(); });
  assert.match((await read(secure, /\r\n/)).text, /^hello 127\.0\.0\.2 \d+ implicit\r\n$/);
});

test('the per-address cap counts proxied clients; the trusted list is read live', async () => {
  const srv = await serve({ perIp: 1 });
  const open = async (client: string): Promise<string> => {
    const s = await connect(srv.port('starttls'));
    s.write(`PROXY TCP4 ${client} 192.0.2.1 1000 143\r\n`);
    return (await read(s, /\r\n/)).text;
  };
  assert.match(await open('203.0.113.1'), /^hello 203\.0\.113\.1 /);
  assert.match(await open('203.0.113.2'), /^hello 203\.0\.113\.2 /);
  assert.equal(await open('203.0.113.1'), 'refused max-per-ip\r\n');
  // No longer trusted: the header is refused like anyone's (the greeting shows the real peer).
  srv.trusted.length = 0;
  const s = await connect(srv.port('starttls'));
  assert.match((await read(s, /\r\n/)).text, /^hello 127\.0\.0\.1 /);
  s.write('PROXY TCP4 203.0.113.3 192.0.2.1 1000 143\r\n');
  assert.equal((await read(s, null)).closed, true);
});
