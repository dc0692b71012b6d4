// Transport security as a client or an attacker sees it on every port: TLS 1.0/1.1 refused,
// 1.2/1.3 accepted (openssl s_client), STARTTLS command injection never executed (raw sockets),
// and testssl.sh's verdict on protocols, ciphers, forward secrecy, compression, renegotiation.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type Server } from './harness.js';

let server: Server;
before(async () => {
  server = await startServer({ services: ['imap4', 'imap4-backend', 'pop3', 'pop3-backend', 'submission'], users: [{ address: 'tess@example.test', password: 'tess-tls-password' }] });
});
after(async () => {
  await server?.stop();
});

function sClient(port: number, version: string, starttls?: 'imap' | 'pop3' | 'smtp'): { ok: boolean; out: string } {
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, `-${version}`, '-cipher', 'DEFAULT@SECLEVEL=0'];
  if (starttls) args.push('-starttls', starttls);
  const r = spawnSync('openssl', args, { input: '', encoding: 'utf8', timeout: 30_000 });
  const out = r.stdout + r.stderr;
  return { ok: r.status === 0 && /Protocol\s*:\s*TLSv1\.[23]|New, TLSv1\.[23]/.test(out), out };
}

test('TLS 1.0 and 1.1 are refused and 1.2 and 1.3 accepted on every port', () => {
  const ports: Array<[string, number, 'imap' | 'pop3' | 'smtp' | undefined]> = [
    ['imaps', server.ports.imaps!, undefined], ['imap+starttls', server.ports.imap!, 'imap'],
    ['pop3s', server.ports.pop3s!, undefined], ['pop3+stls', server.ports.pop3!, 'pop3'],
    ['submissions', server.ports.submissions!, undefined], ['submission+starttls', server.ports.submission!, 'smtp'],
  ];
  for (const [name, port, starttls] of ports) {
    for (const v of ['tls1', 'tls1_1']) {
      const r = sClient(port, v, starttls);
      assert.equal(r.ok, false, `${name} accepted ${v}`);
      assert.match(r.out, /alert protocol version|unsupported protocol|no protocols available|wrong version number/i, `${name} ${v}: ${r.out.slice(-400)}`);
    }
    for (const v of ['tls1_2', 'tls1_3']) assert.equal(sClient(port, v, starttls).ok, true, `${name} refused ${v}`);
  }
});

/** Writes `first` in one packet in cleartext, upgrades after `okPattern`, then returns everything read over TLS after sending `after`. */
async function injection(port: number, first: string, okPattern: RegExp, afterTls: string, donePattern: RegExp): Promise<{ clear: string; secure: string }> {
  const raw = net.connect(port, '127.0.0.1');
  let clear = '';
  await new Promise<void>((resolve, reject) => {
    raw.on('error', reject);
    let greeted = false;
    raw.on('data', (d: Buffer) => {
      clear += d.toString('latin1');
      if (!greeted && clear.includes('\r\n')) {
        greeted = true;
        raw.write(first);
      }
      if (okPattern.test(clear)) {
        raw.removeAllListeners('data');
        resolve();
      }
    });
  });
  const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => { secure.once('secureConnect', resolve); secure.once('error', reject); });
  let got = '';
  secure.write(afterTls);
  await new Promise<void>((resolve) => {
    secure.on('data', (d: Buffer) => { got += d.toString('latin1'); if (donePattern.test(got)) resolve(); });
    secure.on('close', () => resolve());
  });
  secure.destroy();
  return { clear, secure: got };
}

test('IMAP: a command pipelined after STARTTLS in the same write is never executed', async () => {
  const r = await injection(server.ports.imap!, 'A STARTTLS\r\nB NOOP\r\n', /A OK[^\r]*\r\n/, 'C NOOP\r\n', /C (OK|NO|BAD)[^\r]*\r\n/);
  assert.doesNotMatch(r.clear + r.secure, /^B /m, 'B was answered');
  assert.match(r.secure, /^C OK/m);
});

test('POP3: a command pipelined after STLS in the same write is never executed', async () => {
  const r = await injection(server.ports.pop3!, 'STLS\r\nCAPA\r\n', /\+OK[^\r]*\r\n\+OK[^\r]*\r\n/, 'NOOP\r\n', /(\+OK|-ERR)[^\r]*\r\n/);
  assert.doesNotMatch(r.secure, /^(TOP|UIDL|SASL|USER)\b/m, 'CAPA was answered');
  const replies = r.secure.split('\r\n').filter(Boolean);
  assert.equal(replies.length, 1, `exactly the NOOP reply: ${JSON.stringify(replies)}`);
});

test('STARTTLS is refused on an implicit-TLS port and when already encrypted', async () => {
  const s = tls.connect({ port: server.ports.imaps!, host: '127.0.0.1', rejectUnauthorized: false });
  let got = '';
  await new Promise<void>((resolve, reject) => {
    s.on('error', reject);
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (/^\* OK/m.test(got) && !got.includes('S1')) s.write('S1 STARTTLS\r\n');
      if (/^S1 (OK|NO|BAD)/m.test(got)) resolve();
    });
  });
  s.destroy();
  assert.match(got, /^S1 (BAD|NO)/m);
});

const testssl = spawnSync('testssl', ['--version']).error ? null : 'testssl';
test('testssl.sh on every port: no weak protocol or cipher, forward secrecy, no compression, no client renegotiation', { skip: testssl ? false : 'testssl.sh (Debian package) is not installed', timeout: 900_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-testssl-'));
  try {
    const ports: Array<[number, string | null]> = [
      [server.ports.imaps!, null], [server.ports.imap!, 'imap'], [server.ports.pop3s!, null], [server.ports.pop3!, 'pop3'],
      [server.ports.submissions!, null], [server.ports.submission!, 'smtp'],
    ];
    for (const [port, starttls] of ports) {
      const json = join(dir, `${port}.json`);
      const args = ['--quiet', '--color', '0', '--warnings', 'batch', '--protocols', '--std', '--fs', '--renegotiation', '--crime', '--jsonfile', json];
      if (starttls) args.push('--starttls', starttls);
      args.push(`127.0.0.1:${port}`);
      const code = await new Promise<number>((resolve) => spawn('testssl', args, { stdio: 'ignore' }).on('close', (c) => resolve(c ?? -1)));
      const findings = JSON.parse(readFileSync(json, 'utf8')) as Array<{ id: string; severity: string; finding: string }>;
      const by = (id: string) => findings.find((f) => f.id === id)?.finding ?? `(missing ${id}; exit ${code})`;
      for (const p of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) assert.match(by(p), /not offered/, `${port} ${p}`);
      assert.match(by('TLS1_2'), /^offered/, `${port} TLS1_2`);
      assert.match(by('TLS1_3'), /^offered/, `${port} TLS1_3`);
      for (const id of ['cipherlist_NULL', 'cipherlist_aNULL', 'cipherlist_EXPORT', 'cipherlist_LOW', 'cipherlist_3DES_IDEA', 'cipherlist_AVERAGE']) {
        assert.match(by(id), /not offered/, `${port} ${id}`);
      }
      assert.match(findings.find((f) => f.id === 'FS' || f.id === 'PFS')?.finding ?? 'missing', /^offered/i, `${port} forward secrecy`);
      assert.match(by('CRIME_TLS'), /not vulnerable/i, `${port} compression`);
      assert.match(by('secure_client_renego'), /not vulnerable/i, `${port} client renegotiation`);
      const bad = findings.filter((f) => ['MEDIUM', 'HIGH', 'CRITICAL'].includes(f.severity));
      assert.deepEqual(bad, [], `${port}: medium, high or critical findings`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tls-min-version TLSv1.3 applies on reload: TLS 1.2 is then refused', async () => {
  const { cliOk } = await import('./harness.js');
  cliOk(server.dataDir, ['server', 'set', '--tls-min-version', 'TLSv1.3']);
  await server.reload();
  assert.equal(sClient(server.ports.imaps!, 'tls1_2').ok, false);
  assert.equal(sClient(server.ports.imaps!, 'tls1_3').ok, true);
  assert.equal(sClient(server.ports.pop3!, 'tls1_2', 'pop3').ok, false);
  cliOk(server.dataDir, ['server', 'set', '--tls-min-version', 'TLSv1.2']);
  await server.reload();
  assert.equal(sClient(server.ports.imaps!, 'tls1_2').ok, true);
});
