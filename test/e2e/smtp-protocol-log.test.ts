// Issue 8 for submission, end to end: with the smtp protocol log on and PlainTextLogin, Python's
// smtplib submits a message over cleartext from 127.0.0.2 (AUTH PLAIN with an initial response)
// and over STARTTLS from 127.0.0.3 (AUTH LOGIN with base64 continuation lines). The log in
// DATA_DIR/logs/smtp has a #Fields header and a row per command (EHLO, STARTTLS, AUTH, MAIL,
// RCPT, DATA, QUIT) with the real client addresses and the tls column; no password, SASL blob or
// message body appears in any log file; `logs insecure-logins --protocol smtp` lists exactly the
// cleartext login, and the analyzer checks the smtp protocol log's limits.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, cliOk, python, startServer, type Server } from './harness.js';
import { eventually, filesUnder, readProtocolLog, type LogRow } from './log-reader.js';

const ALICE = { address: 'alice@legacy.test', password: 'Alice-Smtp-Pw-4711' };
const BOB = { address: 'bob@legacy.test', password: 'Bob-Smtp-Pw-0815' };
const BODY = 'Body-Marker-Never-Logged-9931';

let server: Server;

before(async () => {
  server = await startServer({
    services: ['submission'],
    smtp: { 'login-type': 'PlainTextLogin', 'require-tls': 'false', 'protocol-log-enabled': 'true' },
    users: [ALICE, BOB],
  });
});
after(async () => {
  await server?.stop();
});



type Row = LogRow;

const smtpLog = (): { headers: string[]; rows: Row[] } => readProtocolLog(server.dataDir, 'smtp');



const hostOf = (ipPort: string): string => ipPort.replace(/:\d+$/, '');

async function submit(mode: 'plain' | 'starttls', source: string, mech: 'PLAIN' | 'LOGIN'): Promise<void> {
  const r = await python('smtp_login_from.py', ['127.0.0.1', String(server.ports.submission), mode, source, ALICE.address, ALICE.password, BOB.address, mech, BODY]);
  assert.equal(r.code, 0, `${mode} from ${source}: ${r.stdout}${r.stderr}`);
  const out = JSON.parse(r.stdout) as { ok: boolean; reply: string };
  assert.equal(out.ok, true, `${mode} from ${source}: ${out.reply}`);
}

test('cleartext and STARTTLS submissions: one row per command, credentials and bodies masked', async () => {
  await submit('plain', '127.0.0.2', 'PLAIN');
  await submit('starttls', '127.0.0.3', 'LOGIN');

  const sessionFrom = (rows: Row[], host: string): Row[] | undefined => {
    const id = rows.find((r) => hostOf(r.cIp) === host)?.sessionId;
    const mine = rows.filter((r) => r.sessionId === id);
    return id && mine.some((r) => r.context === 'Disconnected') ? mine : undefined;
  };
  const { headers } = await eventually(() => {
    const log = smtpLog();
    return sessionFrom(log.rows, '127.0.0.2') && sessionFrom(log.rows, '127.0.0.3') ? log : undefined;
  }, 'both sessions in the smtp protocol log');
  const { rows } = smtpLog();
  assert.ok(headers.includes('#Log-type: SMTP Protocol Log'), headers.join('\n'));
  assert.ok(headers.includes('#Fields: dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rpsize,command,parameters,context,tls,authMech,secure'), headers.join('\n'));

  const plain = sessionFrom(rows, '127.0.0.2')!;
  assert.deepEqual(plain.map((r) => r.command).filter(Boolean), ['EHLO', 'AUTH', 'MAIL', 'RCPT', 'DATA', 'QUIT']);
  assert.ok(plain.every((r) => r.tls === 'none' && r.secure === 'false' && hostOf(r.cIp) === '127.0.0.2'), JSON.stringify(plain));
  const plainAuth = plain.find((r) => r.command === 'AUTH')!;
  assert.deepEqual([plainAuth.parameters, plainAuth.authMech, plainAuth.user, plainAuth.context.slice(0, 3)], ['PLAIN ***', 'PLAIN', ALICE.address, '235']);

  const tls = sessionFrom(rows, '127.0.0.3')!;
  assert.deepEqual(tls.map((r) => r.command).filter(Boolean), ['EHLO', 'STARTTLS', 'EHLO', 'AUTH', '*SASL*', '*SASL*', 'MAIL', 'RCPT', 'DATA', 'QUIT']);
  assert.ok(tls.every((r) => hostOf(r.cIp) === '127.0.0.3'), JSON.stringify(tls));
  const starttls = tls.find((r) => r.command === 'STARTTLS')!;
  assert.deepEqual([starttls.tls, starttls.secure, starttls.context.slice(0, 3)], ['none', 'false', '220']);
  const afterTls = tls.slice(tls.indexOf(starttls) + 1);
  assert.ok(afterTls.every((r) => /^starttls TLSv1\.[23]$/.test(r.tls) && r.secure === 'true'), JSON.stringify(afterTls));
  assert.deepEqual(tls.filter((r) => r.command === '*SASL*').map((r) => r.parameters), ['***', '***']);
  const data = tls.find((r) => r.command === 'DATA')!;
  assert.match(data.context, /^250 2\.0\.0/);
  assert.ok(Number(data.rqsize) > BODY.length, data.rqsize);
  assert.equal(tls.find((r) => r.command === 'MAIL')!.user, ALICE.address);

  // No password, SASL blob or message body in any log file.
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const secrets = [ALICE.password, b64(ALICE.password), b64(`\0${ALICE.address}\0${ALICE.password}`), b64(ALICE.address), BODY];
  for (const f of filesUnder(join(server.dataDir, 'logs'))) {
    const text = readFileSync(f, 'utf8');
    for (const s of secrets) assert.ok(!text.includes(s), `${s} found in ${f}`);
  }

  // The insecure-login report: exactly the cleartext submission login.
  const report = await eventually(() => {
    const r = JSON.parse(cliOk(server.dataDir, ['logs', 'insecure-logins', '--protocol', 'smtp', '--json'])) as Array<{ user: string; clientAddress: string; protocol: string; count: number }>;
    return r.length ? r : undefined;
  }, 'the cleartext login in the report');
  assert.deepEqual(report.map((r) => ({ user: r.user, clientAddress: r.clientAddress, protocol: r.protocol, count: r.count })), [
    { user: ALICE.address, clientAddress: '127.0.0.2', protocol: 'smtp', count: 1 },
  ]);
  assert.match(cliOk(server.dataDir, ['logs', 'insecure-logins', '--protocol', 'smtp']), /127\.0\.0\.2\s+alice@legacy\.test/);
});

test('the analyzer checks the smtp protocol log limits', () => {
  const findings = (): Array<{ id: string; severity: string; fix: string | null }> =>
    (JSON.parse(cli(server.dataDir, ['analyze', '--json']).stdout) as { findings: Array<{ id: string; severity: string; fix: string | null }> }).findings;
  assert.equal(findings().find((f) => f.id === 'protocol-log.smtp')?.severity, 'pass');
  cliOk(server.dataDir, ['smtp', 'set', '--protocol-log-max-directory-size', '0']);
  const unlimited = findings().find((f) => f.id === 'protocol-log.smtp');
  assert.equal(unlimited?.severity, 'warning');
  assert.match(unlimited?.fix ?? '', /^portcullis smtp set --protocol-log-max-directory-size \d+$/);
});
