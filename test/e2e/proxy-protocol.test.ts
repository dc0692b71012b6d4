// Issue 9 item 4 end to end: PROXY protocol from a trusted load balancer (127.0.0.1, set live with
// `server set --trusted-proxies` + SIGHUP) gives IMAP sessions the real client address in the
// protocol log, the security log and `logs insecure-logins`; v1 on the cleartext port and v2 before
// the handshake on the implicit-TLS port. From an untrusted address (127.0.0.2) a header is refused
// while plain clients are served; a trusted peer sending a bad header, or none, is closed.
// Submission does the same on 587 (header, then STARTTLS and AUTH) and 465 (header before the
// handshake, sent in one packet with the ClientHello), v1 and v2: the smtp protocol log and the
// security log show the address from the header; untrusted senders of a header are closed.
// GET /health on the admin listener answers without a token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as http from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk, startServer, type Server } from './harness.js';
import { eventually, readProtocolLog, type LogRow } from './log-reader.js';
import { authPlain, smtpDialog, startTls, withPrefixOnFirstWrite } from './helpers/smtp-dialog.js';

const ALICE = { address: 'alice@lb.test', password: 'Alice-Behind-Lb-42' };
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

let server: Server;
const sockets: net.Socket[] = [];

before(async () => {
  server = await startServer({
    services: ['imap4', 'imap4-backend', 'submission', 'admin'],
    imap: { 'login-type': 'PlainTextLogin', 'protocol-log-enabled': 'true' },
    smtp: { 'protocol-log-enabled': 'true' },
    users: [ALICE],
  });
  cliOk(server.dataDir, ['server', 'set', '--trusted-proxies', '127.0.0.1/32']);
  await server.reload(); // trusted-proxies applies live
});
after(async () => {
  for (const s of sockets) s.destroy();
  await server?.stop();
});

function connect(port: number, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.once('error', reject);
    sockets.push(s);
  });
}

/** A socket's input as it arrives; `until` resolves when the text matches or the socket closes. */
function reader(sock: net.Socket): { until(re: RegExp | null): Promise<{ text: string; closed: boolean }> } {
  let text = '';
  let closed = false;
  let wake = (): void => {};
  sock.on('data', (d: Buffer) => { text += d.toString('latin1'); wake(); });
  sock.on('close', () => { closed = true; wake(); });
  sock.on('error', () => {});
  return {
    until: (re) => new Promise((resolve) => {
      const check = (): void => {
        if ((re && re.test(text)) || closed) resolve({ text, closed });
        else wake = check;
      };
      check();
    }),
  };
}

/** Greeting, LOGIN, LOGOUT over an open stream; returns the LOGIN reply line. */
async function imapLogin(sock: net.Socket): Promise<string> {
  const r = reader(sock);
  const greeting = await r.until(/\r\n/);
  assert.match(greeting.text, /^\* OK/, 'greeting');
  sock.write(`a1 LOGIN ${ALICE.address} ${ALICE.password}\r\n`);
  const { text } = await r.until(/^a1 .*\r\n/m);
  sock.write('a2 LOGOUT\r\n');
  await r.until(/^a2 OK/m);
  return /^a1 .*$/m.exec(text)![0].trim();
}

function v2Header(client: [number, number, number, number], port: number, serverPort = server.ports.imaps!): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(client).copy(body, 0);
  Buffer.from([127, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(port, 8);
  body.writeUInt16BE(serverPort, 10);
  return Buffer.concat([V2_SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 12]), body]);
}

type Row = LogRow;

/** imap4 protocol-log rows. */
const protocolRows = (): Row[] => readProtocolLog(server.dataDir, 'imap4').rows;


/** Security-log events (one JSON object per line). */
function securityEvents(): Array<{ protocol: string; clientAddress: string; user: string; result: string; secure: boolean }> {
  const dir = join(server.dataDir, 'logs', 'security');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
}


test('a trusted load balancer passes the client address: v1 in clear, v2 before implicit TLS', async () => {
  // A trusted peer that never sends its header: watched until the server closes it (a few s).
  const silent = await connect(server.ports.imap!, '127.0.0.1');
  const silentEnd = reader(silent).until(null);

  const v1 = await connect(server.ports.imap!, '127.0.0.1');
  v1.write('PROXY TCP4 203.0.113.7 192.0.2.10 40001 143\r\n');
  assert.match(await imapLogin(v1), /^a1 OK/);

  const raw = await connect(server.ports.imaps!, '127.0.0.1');
  raw.write(v2Header([198, 51, 100, 20], 40002));
  const secure = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
  sockets.push(secure);
  assert.match(await imapLogin(secure), /^a1 OK/);

  const logins = await eventually(() => {
    const rows = protocolRows().filter((r) => r.command === 'LOGIN');
    return rows.length >= 2 ? rows : undefined;
  }, 'two LOGIN rows');
  const plain = logins.find((r) => r.cIp === '203.0.113.7:40001');
  assert.ok(plain, JSON.stringify(logins));
  assert.deepEqual([plain.user, plain.tls, plain.context], [ALICE.address, 'none', 'OK']);
  const implicit = logins.find((r) => r.cIp === '198.51.100.20:40002');
  assert.ok(implicit, JSON.stringify(logins));
  assert.match(implicit.tls, /^implicit TLSv1\.[23]$/);

  const report = await eventually(() => {
    const rows = JSON.parse(cliOk(server.dataDir, ['logs', 'insecure-logins', '--json'])) as Array<{ user: string; clientAddress: string }>;
    return rows.length ? rows : undefined;
  }, 'the insecure-login report');
  assert.deepEqual(report.map((r) => [r.user, r.clientAddress]), [[ALICE.address, '203.0.113.7']]);
  const events = await eventually(() => {
    const e = securityEvents().filter((x) => x.result === 'success' && x.protocol !== 'smtp');
    return e.length >= 2 ? e : undefined;
  }, 'two logins in the security log');
  assert.deepEqual(events.map((e) => [e.clientAddress, e.user, e.secure]).sort(), [['198.51.100.20', ALICE.address, true], ['203.0.113.7', ALICE.address, false]]);

  // The silent peer was closed by the header timeout, having been sent nothing.
  assert.deepEqual(await silentEnd, { text: '', closed: true });
});

test('untrusted address: a PROXY header is refused, a plain client is served', async () => {
  // Implicit-TLS port: refused before the handshake, nothing sent.
  const viaTls = await connect(server.ports.imaps!, '127.0.0.2');
  viaTls.write('PROXY TCP4 203.0.113.66 192.0.2.10 40003 993\r\n');
  assert.deepEqual(await reader(viaTls).until(null), { text: '', closed: true });
  // Cleartext port: the greeting goes out first (server speaks first); the header then closes the
  // connection without a reply.
  const clear = await connect(server.ports.imap!, '127.0.0.2');
  const r = reader(clear);
  assert.match((await r.until(/\r\n/)).text, /^\* OK/);
  clear.write('PROXY TCP4 203.0.113.66 192.0.2.10 40003 143\r\n');
  const end = await r.until(null);
  assert.equal(end.closed, true);
  assert.doesNotMatch(end.text, /BAD|NO/, 'no reply to the header');
  // A normal client from the same address logs in and is logged under its own address.
  assert.match(await imapLogin(await connect(server.ports.imap!, '127.0.0.2')), /^a1 OK/);
  const rows = await eventually(() => {
    const x = protocolRows().filter((row) => row.command === 'LOGIN' && row.cIp.startsWith('127.0.0.2:'));
    return x.length ? x : undefined;
  }, 'the LOGIN row from 127.0.0.2');
  assert.equal(rows.length, 1);
  assert.ok(!protocolRows().some((row) => row.cIp.startsWith('203.0.113.66')), 'the refused header never became a client address');
  assert.match(server.output(), /proxy-header-refused/);
});

test('a trusted peer with a bad header is closed at once, with nothing sent', async () => {
  for (const port of [server.ports.imap!, server.ports.imaps!]) {
    const s = await connect(port, '127.0.0.1');
    s.write(`a1 LOGIN ${ALICE.address} ${ALICE.password}\r\n`);
    assert.deepEqual(await reader(s).until(null), { text: '', closed: true });
  }
  assert.match(server.output(), /proxy-header-invalid/);
});

// ---- submission (587 STARTTLS, 465 implicit TLS) ----

/** smtp protocol-log rows. */
const smtpRows = (): Row[] => readProtocolLog(server.dataDir, 'smtp').rows;

function v1Header(client: string, port: number, serverPort: number): Buffer {
  return Buffer.from(`PROXY TCP4 ${client} 192.0.2.10 ${port} ${serverPort}\r\n`, 'latin1');
}

/** EHLO, AUTH PLAIN, QUIT over an open stream that has just been greeted; returns the AUTH reply. */
async function smtpAuth(dialog: ReturnType<typeof smtpDialog>): Promise<string> {
  assert.match(await dialog.command('EHLO client.example.test'), /^250[ -]/);
  const auth = await dialog.command(authPlain(ALICE.address, ALICE.password));
  assert.match(await dialog.command('QUIT'), /^221 /);
  return auth;
}

/** 587: `header` (null: none), greeting, EHLO, STARTTLS, then AUTH inside TLS. */
async function submitVia587(source: string, header: Buffer | null): Promise<string> {
  const raw = await connect(server.ports.submission!, source);
  if (header) raw.write(header);
  const clear = smtpDialog(raw);
  assert.match(await clear.reply(), /^220 /, 'greeting');
  assert.match(await clear.command('EHLO client.example.test'), /STARTTLS/);
  assert.match(await clear.command('STARTTLS'), /^220 /);
  clear.detach();
  const secure = await startTls(raw);
  sockets.push(secure);
  const dialog = smtpDialog(secure);
  return smtpAuth(dialog);
}

/** 465: the header goes out in one packet with the TLS ClientHello; then greeting and AUTH. */
async function submitVia465(source: string, header: Buffer): Promise<string> {
  const raw = await connect(server.ports.submissions!, source);
  const secure = await startTls(withPrefixOnFirstWrite(raw, header));
  sockets.push(secure);
  const dialog = smtpDialog(secure);
  assert.match(await dialog.reply(), /^220 /, 'greeting');
  return smtpAuth(dialog);
}

test('submission: a trusted load balancer passes the client address on 587 and 465, v1 and v2', async () => {
  const sub = server.ports.submission!;
  const subs = server.ports.submissions!;
  assert.match(await submitVia587('127.0.0.1', v1Header('203.0.113.31', 41001, sub)), /^235 /);
  assert.match(await submitVia587('127.0.0.1', v2Header([203, 0, 113, 32], 41002, sub)), /^235 /);
  assert.match(await submitVia465('127.0.0.1', v1Header('198.51.100.33', 41003, subs)), /^235 /);
  assert.match(await submitVia465('127.0.0.1', v2Header([198, 51, 100, 34], 41004, subs)), /^235 /);

  const auths = await eventually(() => {
    const rows = smtpRows().filter((r) => r.command === 'AUTH');
    return rows.length >= 4 ? rows : undefined;
  }, 'four AUTH rows in the smtp protocol log');
  assert.deepEqual(auths.map((r) => [r.cIp, r.user, r.context.slice(0, 3)]).sort(), [
    ['198.51.100.33:41003', ALICE.address, '235'],
    ['198.51.100.34:41004', ALICE.address, '235'],
    ['203.0.113.31:41001', ALICE.address, '235'],
    ['203.0.113.32:41002', ALICE.address, '235'],
  ]);
  const tlsOf = (ip: string): string => auths.find((r) => r.cIp.startsWith(ip + ':'))!.tls;
  assert.match(tlsOf('203.0.113.31'), /^starttls TLSv1\.[23]$/);
  assert.match(tlsOf('198.51.100.34'), /^implicit TLSv1\.[23]$/);
  assert.ok(!smtpRows().some((r) => r.cIp.startsWith('127.0.0.1:')), 'no row under the load balancer address');

  const events = await eventually(() => {
    const e = securityEvents().filter((x) => x.protocol === 'smtp' && x.result === 'success');
    return e.length >= 4 ? e : undefined;
  }, 'four smtp logins in the security log');
  assert.deepEqual(events.map((e) => [e.clientAddress, e.user, e.secure]).sort(), [
    ['198.51.100.33', ALICE.address, true],
    ['198.51.100.34', ALICE.address, true],
    ['203.0.113.31', ALICE.address, true],
    ['203.0.113.32', ALICE.address, true],
  ]);
});

test('submission: an EHLO in the header\'s packet on 587 is answered as without a load balancer', async () => {
  // The bytes after the header reach smtp-server as they came, so a client that talks before the
  // greeting is turned away exactly as one that connects directly (RFC 5321 §3.1: wait for 220).
  const viaLb = await connect(server.ports.submission!, '127.0.0.1');
  viaLb.write(Buffer.concat([v1Header('203.0.113.35', 41005, server.ports.submission!), Buffer.from('EHLO early.example.test\r\n')]));
  const direct = await connect(server.ports.submission!, '127.0.0.2');
  direct.write('EHLO early.example.test\r\n');
  const [a, b] = await Promise.all([smtpDialog(viaLb).end(), smtpDialog(direct).end()]);
  assert.match(a.text, /^421 .*You talk too soon/m);
  assert.match(b.text, /^421 .*You talk too soon/m);
  // (Bytes after the header that must go on, the ClientHello on 465: the first submission test.)
});

test('submission: from an untrusted address a PROXY header is refused, a plain client is served', async () => {
  // 465: refused before the handshake, nothing sent.
  const viaTls = await connect(server.ports.submissions!, '127.0.0.2');
  viaTls.write(v1Header('203.0.113.66', 41006, server.ports.submissions!));
  assert.deepEqual(await smtpDialog(viaTls).end(), { text: '', closed: true });
  // 587: greeted first; the header (v1 or v2) then closes the connection without a reply.
  for (const header of [v1Header('203.0.113.66', 41007, server.ports.submission!), v2Header([203, 0, 113, 66], 41008, server.ports.submission!)]) {
    const clear = await connect(server.ports.submission!, '127.0.0.2');
    const dialog = smtpDialog(clear);
    assert.match(await dialog.reply(), /^220 /);
    clear.write(header);
    assert.deepEqual(await dialog.end(), { text: '', closed: true });
  }
  // A normal client from the same address logs in under its own address.
  assert.match(await submitVia587('127.0.0.2', null), /^235 /);
  const rows = await eventually(() => {
    const x = smtpRows().filter((r) => r.command === 'AUTH' && r.cIp.startsWith('127.0.0.2:'));
    return x.length ? x : undefined;
  }, 'the AUTH row from 127.0.0.2');
  assert.equal(rows.length, 1);
  assert.ok(!smtpRows().some((r) => r.cIp.startsWith('203.0.113.66')), 'the refused header never became a client address');
  assert.match(server.output(), /proxy-header-refused.*"kind":"implicit"|"kind":"implicit".*proxy-header-refused/);
});

test('submission: a trusted peer with a bad header, or none, is closed with nothing sent', async () => {
  const silent = await connect(server.ports.submission!, '127.0.0.1');
  const silentEnd = smtpDialog(silent).end();
  for (const port of [server.ports.submission!, server.ports.submissions!]) {
    const s = await connect(port, '127.0.0.1');
    s.write('EHLO client.example.test\r\n');
    assert.deepEqual(await smtpDialog(s).end(), { text: '', closed: true });
  }
  assert.deepEqual(await silentEnd, { text: '', closed: true });
  assert.match(server.output(), /proxy-header-invalid/);
});

test('GET /health on the admin listener answers without a token', async () => {
  const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: server.ports.admin, path: '/health' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
  assert.equal(reply.status, 200);
  const health = JSON.parse(reply.body) as { status: string; services: Record<string, string> };
  assert.equal(health.status, 'ok');
  assert.deepEqual([health.services.imap4, health.services['imap4-backend'], health.services.admin], ['Running', 'Running', 'Running']);
  assert.equal(health.services.pop3, 'Stopped');
});
