// Issue 8 end to end: a legacy PlainTextLogin setup with protocol logging on. Python's imaplib
// and poplib log in over cleartext and over TLS from different loopback source addresses; the
// protocol logs show every login with the password masked (the password appears in no file under
// DATA_DIR/logs), `logs insecure-logins --json` lists exactly the cleartext logins with their
// users and addresses, and `logs failed-logins` shows a wrong-password attempt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliOk, python, startServer, type Server } from './harness.js';
import { eventually, filesUnder, readProtocolLog, type LogRow } from './log-reader.js';

const ALICE = { address: 'alice@legacy.test', password: 'Alice-Plain-Pw-4711' };
const BOB = { address: 'bob@legacy.test', password: 'Bob-Plain-Pw-0815' };
const WRONG = 'Wrong-Guess-Pw-999';

let server: Server;

before(async () => {
  const legacy = { 'login-type': 'PlainTextLogin', 'protocol-log-enabled': 'true' };
  server = await startServer({ imap: legacy, pop: legacy, users: [ALICE, BOB] });
});
after(async () => {
  await server?.stop();
});

interface LoginResult { ok: boolean; reply: string }

async function login(proto: 'imap' | 'pop', mode: 'plain' | 'tls', source: string, user: string, password: string): Promise<LoginResult> {
  const port = proto === 'imap' ? (mode === 'tls' ? server.ports.imaps : server.ports.imap) : mode === 'tls' ? server.ports.pop3s : server.ports.pop3;
  const r = await python('login_from.py', [proto, '127.0.0.1', String(port), mode, source, user, password]);
  assert.equal(r.code, 0, `${proto} ${mode} from ${source}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as LoginResult;
}



type Row = LogRow;

/** The rows of a protocol's log files, as objects keyed by the #Fields: header. */
const protocolRows = (protocol: 'imap4' | 'pop3'): Row[] => readProtocolLog(server.dataDir, protocol).rows;



const hostOf = (ipPort: string): string => ipPort.replace(/:\d+$/, '');

test('cleartext and TLS logins: protocol logs masked, the insecure-login report exact', async () => {
  const first = await login('imap', 'plain', '127.0.0.2', ALICE.address, ALICE.password);
  assert.equal(first.ok, true, first.reply);
  assert.match(first.reply, /Logged in$/);
  assert.equal((await login('imap', 'tls', '127.0.0.3', ALICE.address, ALICE.password)).ok, true);
  assert.equal((await login('pop', 'plain', '127.0.0.4', BOB.address, BOB.password)).ok, true);
  assert.equal((await login('pop', 'tls', '127.0.0.5', BOB.address, BOB.password)).ok, true);
  const wrong = await login('imap', 'plain', '127.0.0.6', ALICE.address, WRONG);
  assert.equal(wrong.ok, false);
  assert.match(wrong.reply, /AUTHENTICATIONFAILED/);

  // Protocol logs: the LOGIN / PASS rows, each from its real client address.
  const imapLogins = await eventually(() => {
    const rows = protocolRows('imap4').filter((r) => r.command === 'LOGIN');
    return rows.length >= 3 && protocolRows('imap4').some((r) => r.context === 'Disconnected' && hostOf(r.cIp) === '127.0.0.6') ? rows : undefined;
  }, 'three IMAP LOGIN rows');
  const byHost = (rows: Row[], host: string): Row => {
    const r = rows.find((x) => hostOf(x.cIp) === host);
    assert.ok(r, `a row from ${host}: ${JSON.stringify(rows)}`);
    return r;
  };
  const plain = byHost(imapLogins, '127.0.0.2');
  assert.equal(plain.user, ALICE.address);
  assert.equal(plain.parameters, `${ALICE.address} ***`);
  assert.equal(plain.context, 'OK');
  assert.equal(plain.tls, 'none');
  assert.equal(plain.secure, 'false');
  assert.equal(plain.authMech, 'LOGIN');
  assert.equal(hostOf(plain.sIp), '127.0.0.1');
  const implicit = byHost(imapLogins, '127.0.0.3');
  assert.match(implicit.tls, /^implicit TLSv1\.[23]$/);
  assert.equal(implicit.secure, 'true');
  assert.equal(implicit.user, ALICE.address);
  const failed = byHost(imapLogins, '127.0.0.6');
  assert.equal(failed.context, 'NO');
  assert.equal(failed.user, '', 'no user on a failed login');
  assert.equal(failed.parameters, `${ALICE.address} ***`);
  // Commands after login carry the user.
  const select = protocolRows('imap4').find((r) => r.command === 'SELECT' && r.sessionId === plain.sessionId);
  assert.ok(select && select.user === ALICE.address && select.parameters === 'INBOX', JSON.stringify(select));

  const pass = await eventually(() => {
    const rows = protocolRows('pop3').filter((r) => r.command === 'PASS');
    return rows.length >= 2 ? rows : undefined;
  }, 'two POP3 PASS rows');
  const popPlain = byHost(pass, '127.0.0.4');
  assert.deepEqual([popPlain.parameters, popPlain.user, popPlain.secure, popPlain.tls, popPlain.context], ['***', BOB.address, 'false', 'none', '+OK']);
  assert.equal(byHost(pass, '127.0.0.5').secure, 'true');
  const user = protocolRows('pop3').find((r) => r.command === 'USER' && r.sessionId === popPlain.sessionId);
  assert.equal(user?.parameters, BOB.address, 'USER keeps the name');

  // No password in any log file, in any form the client sent it.
  const logFiles = filesUnder(join(server.dataDir, 'logs'));
  assert.ok(logFiles.some((f) => f.includes(`${join('logs', 'security')}`)), 'the security log exists');
  for (const f of logFiles) {
    const text = readFileSync(f, 'utf8');
    for (const secret of [ALICE.password, BOB.password, WRONG]) assert.ok(!text.includes(secret), `${secret} found in ${f}`);
  }

  // The report the administrator works through: exactly the two cleartext logins.
  const report = await eventually(() => {
    const rows = JSON.parse(cliOk(server.dataDir, ['logs', 'insecure-logins', '--json'])) as Array<{ user: string; clientAddress: string; protocol: string; count: number }>;
    return rows.length >= 2 ? rows : undefined;
  }, 'two insecure logins in the report');
  assert.deepEqual(
    report.map((r) => ({ user: r.user, clientAddress: r.clientAddress, protocol: r.protocol, count: r.count })).sort((a, b) => a.clientAddress.localeCompare(b.clientAddress)),
    [
      { user: ALICE.address, clientAddress: '127.0.0.2', protocol: 'imap4', count: 1 },
      { user: BOB.address, clientAddress: '127.0.0.4', protocol: 'pop3', count: 1 },
    ],
  );
  const onlyPop = JSON.parse(cliOk(server.dataDir, ['logs', 'insecure-logins', '--protocol', 'pop3', '--json'])) as Array<{ user: string }>;
  assert.deepEqual(onlyPop.map((r) => r.user), [BOB.address]);
  const text = cliOk(server.dataDir, ['logs', 'insecure-logins']);
  assert.match(text, /127\.0\.0\.2\s+alice@legacy\.test/);

  // Brute-force review: the wrong password, with its reason.
  const failedReport = JSON.parse(cliOk(server.dataDir, ['logs', 'failed-logins', '--json'])) as Array<{ user: string; clientAddress: string; protocol: string; reasons: Record<string, number> }>;
  assert.deepEqual(failedReport.map((r) => [r.user, r.clientAddress, r.protocol, r.reasons]), [[ALICE.address, '127.0.0.6', 'imap4', { credentials: 1 }]]);
  assert.match(cliOk(server.dataDir, ['logs', 'failed-logins']), /127\.0\.0\.6/);
});

test('protocol-log-enabled false: no new rows, the security log still records logins', async () => {
  cliOk(server.dataDir, ['imap', 'set', '--protocol-log-enabled', 'false']);
  await server.reload();
  const before = protocolRows('imap4').length;
  const reported = (JSON.parse(cliOk(server.dataDir, ['logs', 'insecure-logins', '--json'])) as unknown[]).length;
  assert.equal((await login('imap', 'plain', '127.0.0.7', ALICE.address, ALICE.password)).ok, true);
  const report = await eventually(() => {
    const rows = JSON.parse(cliOk(server.dataDir, ['logs', 'insecure-logins', '--json'])) as Array<{ clientAddress: string }>;
    return rows.some((r) => r.clientAddress === '127.0.0.7') ? rows : undefined;
  }, 'the login from 127.0.0.7 in the report');
  assert.equal(report.length, reported + 1);
  assert.equal(protocolRows('imap4').length, before, 'no protocol-log rows while logging is off');
});
