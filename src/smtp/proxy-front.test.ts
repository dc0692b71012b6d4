// PROXY protocol in front of submission (proxy-front.ts) over real sockets: the header's client
// address drives the per-address connection cap and the Received: header; a v2 header split over
// several writes, with the TLS ClientHello right behind it, works on 465; a LOCAL header keeps the
// proxy's address; a trusted peer that sends nothing or garbage is closed with nothing sent;
// trusted-proxies is read for each connection.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { RunningService } from '../net/listener.js';
import { PROXY_V2_SIGNATURE, ipv6Bytes } from '../net/proxy-protocol.js';
import type { OutboundQueue } from './queue.js';
import { testSmtpSettings, type SmtpSettings } from './settings.js';
import { RawSmtpClient, startTestSubmission, b64, makeEnv, messagesIn, withPrefixOnFirstWrite, type Env } from './testkit.js';

const ALICE = 'alice@example.test';
let env: Env;
let svc: RunningService;
let queue: OutboundQueue;
let trustedProxies: string[] = ['127.0.0.1/32'];
let port587 = 0;
let port465 = 0;

before(async () => {
  env = await makeEnv([{ address: ALICE, password: 'alice-pw-1' }]);
  const settings: SmtpSettings = testSmtpSettings({
    fqdn: 'mx.example.test',
    sslBindings: [{ host: '127.0.0.1', port: 0 }],
    unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }],
    maxConnectionFromSingleIp: 1,
  });
  ({ svc, queue, port465, port587 } = await startTestSubmission(env, () => settings, { trustedProxies: () => trustedProxies, proxyHeaderTimeoutMs: 300 }));
});

after(async () => {
  await svc?.stop();
  await queue?.stop();
  await env?.cleanup();
});

const v1 = (client: string, port: number): string => `PROXY TCP4 ${client} 192.0.2.1 ${port} 587\r\n`;

function v2Ipv6(client: string, port: number): Buffer {
  const body = Buffer.alloc(36);
  ipv6Bytes(client).copy(body, 0);
  ipv6Bytes('2001:db8::1').copy(body, 16);
  body.writeUInt16BE(port, 32);
  body.writeUInt16BE(465, 34);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x21, 0x00, 36]), body]);
}

/** A cleartext client on 587 that sent `header` first. */
async function viaProxy(t: { after: (fn: () => void) => void }, header: string): Promise<RawSmtpClient> {
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  c.write(header);
  return c;
}

test('the per-address cap counts the address from the header, not the proxy', async (t) => {
  const first = await viaProxy(t, v1('203.0.113.1', 40001));
  assert.equal((await first.reply()).code, 220);
  const other = await viaProxy(t, v1('203.0.113.2', 40002));
  assert.equal((await other.reply()).code, 220, 'another client behind the same proxy');
  const again = await viaProxy(t, v1('203.0.113.1', 40003));
  const refused = await again.reply();
  assert.equal(refused.code, 421);
  assert.match(refused.text, /4\.7\.0 Too many connections from your address/);
});

test('465: a v2 header (IPv6 client) in pieces, the ClientHello behind it; the address reaches Received:', async (t) => {
  const raw = net.connect({ host: '127.0.0.1', port: port465 });
  t.after(() => raw.destroy());
  await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
  const header = v2Ipv6('2001:db8:0:0::77', 40004);
  raw.write(header.subarray(0, 5));
  raw.write(header.subarray(5, 17));
  // The rest of the header leaves in one write with the ClientHello, as a load balancer sends it.
  const secure = await new Promise<tls.TLSSocket>((resolve, reject) => {
    const s = tls.connect({ socket: withPrefixOnFirstWrite(raw, header.subarray(17)), ca: env.tls.certPem, servername: 'localhost' }, () => resolve(s));
    s.once('error', reject);
  });
  const c = RawSmtpClient.over(secure);
  assert.equal((await c.reply()).code, 220);
  await c.cmd('EHLO client.example.test');
  assert.equal((await c.cmd('AUTH PLAIN ' + b64(`\0${ALICE}\0alice-pw-1`))).code, 235);
  assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
  assert.equal((await c.cmd(`RCPT TO:<${ALICE}>`)).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  assert.equal((await c.cmd('Subject: via proxy\r\n\r\nhello\r\n.')).code, 250);
  await c.cmd('QUIT');
  const [message] = await messagesIn(env, ALICE);
  assert.match(message.toString('latin1'), /^Received: from client\.example\.test \(\[IPv6:2001:db8::77\]\)/);
});

test('a LOCAL header (load-balancer health check) keeps the proxy address and is served', async (t) => {
  const local = Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  c.write(local);
  assert.equal((await c.reply()).code, 220);
  assert.equal((await c.cmd('NOOP')).code, 250);
  // The cap of one connection per address now holds for 127.0.0.1, the proxy's own address.
  const second = await RawSmtpClient.connect({ port: port587 });
  t.after(() => second.close());
  second.write(local);
  assert.equal((await second.reply()).code, 421);
});

test('a trusted peer that sends nothing, or no PROXY header, is closed with nothing sent', async (t) => {
  for (const port of [port587, port465]) {
    const silent = await RawSmtpClient.connect({ port });
    t.after(() => silent.close());
    const garbage = await RawSmtpClient.connect({ port });
    t.after(() => garbage.close());
    garbage.write('EHLO client.example.test\r\n');
    await Promise.all([silent.waitClosed(), garbage.waitClosed()]);
    assert.deepEqual([silent.received, garbage.received], ['', '']);
  }
});

test('trusted-proxies is read per connection: once the proxy is no longer trusted its header is refused', async (t) => {
  trustedProxies = [];
  t.after(() => { trustedProxies = ['127.0.0.1/32']; });
  const c = await RawSmtpClient.connect({ port: port587 });
  t.after(() => c.close());
  assert.equal((await c.reply()).code, 220);
  c.write(v1('203.0.113.9', 40009));
  await c.waitClosed();
  assert.equal(c.pending(), '', 'no reply to the header');
  const direct = await RawSmtpClient.connect({ port: port587 });
  t.after(() => direct.close());
  assert.equal((await direct.reply()).code, 220, 'a plain client from the same address is served');
});
