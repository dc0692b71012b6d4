// The submission protocol log: row building and masking (smtpRequest, replyContext), and the rows
// a real submission session produces over real sockets (EHLO, STARTTLS, AUTH PLAIN and LOGIN,
// MAIL, RCPT, DATA, QUIT), with every credential masked and the message body never logged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningService } from '../net/listener.js';
import { formatRow } from '../observe/protocol-log.js';
import type { ProtocolLog, ProtocolLogRow } from '../observe/types.js';
import { IMAP_SETTINGS } from '../config/schema.js';
import { SMTP_SETTINGS } from '../config/schema-smtp.js';
import type { OutboundQueue } from './queue.js';
import { replyContext, smtpRequest } from './protocol-log.js';
import { testSmtpSettings, type SmtpSettings } from './settings.js';
import { RawSmtpClient, startTestSubmission, b64, makeEnv, waitFor, type Env } from './testkit.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
const PASSWORD = 'Alice-Secret-Pw-31337';
const BODY_MARK = 'BODY-MARKER-never-in-the-log';

test('smtpRequest: AUTH keeps only the mechanism, SASL responses and WIZ nothing', () => {
  const blob = b64(`\0${ALICE}\0${PASSWORD}`);
  assert.deepEqual(smtpRequest(`AUTH PLAIN ${blob}`, false), { command: 'AUTH', parameters: 'PLAIN ***', rqsize: 'AUTH PLAIN'.length + 2 });
  assert.deepEqual(smtpRequest('auth login', false), { command: 'AUTH', parameters: 'LOGIN', rqsize: 12 });
  assert.equal(smtpRequest('AUTH PLAIN /* secured */', false).parameters, 'PLAIN ***');
  assert.equal(smtpRequest('AUTH %%bad%%', false).parameters, '*** ***');
  assert.deepEqual(smtpRequest(blob, true), { command: '*SASL*', parameters: '***', rqsize: 0 });
  assert.equal(smtpRequest('WIZ letmein', false).parameters, '***');
  assert.deepEqual(smtpRequest(`MAIL FROM:<${ALICE}> SIZE=100`, false), { command: 'MAIL', parameters: `FROM:<${ALICE}> SIZE=100`, rqsize: `MAIL FROM:<${ALICE}> SIZE=100`.length + 2 });
  assert.deepEqual(smtpRequest('QUIT', false), { command: 'QUIT', parameters: '', rqsize: 6 });
  // The CSV writer masks again, whatever a caller passes.
  const line = formatRow({ dateTime: new Date(0), sessionId: 's', seqNumber: 0, sIp: 'a:1', cIp: 'b:2', user: '', duration: 0, rqsize: 0, rpsize: 0, command: 'AUTH', parameters: `PLAIN ${blob}`, context: '', tls: 'none', authMech: '', secure: false });
  assert.ok(!line.includes(blob), line);
});

test('replyContext: first line, no 334 challenge text', () => {
  assert.equal(replyContext('250-mx.example.test Nice to meet you\r\n250-PIPELINING\r\n250 SMTPUTF8'), '250 mx.example.test Nice to meet you');
  assert.equal(replyContext('334 VXNlcm5hbWU6'), '334');
  assert.equal(replyContext('235 2.7.0 Authentication successful'), '235 2.7.0 Authentication successful');
  assert.equal(replyContext('250 ' + 'x'.repeat(500)).length, 121);
});

test('the protocol-log settings match the IMAP/POP ones (names, types, defaults, apply)', () => {
  const names = ['protocol-log-enabled', 'log-file-roll-over-settings', 'log-per-file-size-quota', 'protocol-log-max-age', 'protocol-log-max-directory-size', 'log-file-location'];
  for (const name of names) {
    const smtp = SMTP_SETTINGS.find((d) => d.name === name);
    const imap = IMAP_SETTINGS.find((d) => d.name === name);
    assert.ok(smtp && imap, name);
    assert.deepEqual([smtp.type, smtp.default, smtp.apply], [imap.type, imap.default, imap.apply], name);
  }
  const s = testSmtpSettings();
  assert.deepEqual([s.protocolLogEnabled, s.logFileRollOverSettings, s.logPerFileSizeQuota, s.protocolLogMaxAge, s.logFileLocation], [false, 'Daily', 0, 30, '']);
});

liveSessionTests();

function liveSessionTests(): void {
  let env: Env;
  let svc: RunningService;
  let queue: OutboundQueue;
  let settings: SmtpSettings;
  let port587 = 0;
  let port465 = 0;
  const rows: ProtocolLogRow[] = [];
  const memoryLog: ProtocolLog = { write: (r) => { rows.push(r); }, flush: async () => {}, close: async () => {} };

  before(async () => {
    env = await makeEnv([{ address: ALICE, password: PASSWORD }, { address: BOB, password: 'bob-pw-1' }]);
    settings = testSmtpSettings({
      fqdn: 'mx.example.test',
      sslBindings: [{ host: '127.0.0.1', port: 0 }],
      unencryptedOrTlsBindings: [{ host: '127.0.0.1', port: 0 }],
    });
    ({ svc, queue, port465, port587 } = await startTestSubmission(env, () => settings, { protocolLog: memoryLog }));
  });

  after(async () => {
    await svc?.stop();
    await queue?.stop();
    await env?.cleanup();
  });

  const sessionRows = (id: string): ProtocolLogRow[] => rows.filter((r) => r.sessionId === id);
  const disconnected = (id: string): ProtocolLogRow[] | null => {
    const mine = sessionRows(id);
    return mine.some((r) => r.context === 'Disconnected') ? mine : null;
  };
  const sessionOnPort = (port: number): string | undefined => rows.find((r) => r.context === 'Connected' && r.sIp.endsWith(`:${port}`) && !rows.some((x) => x.sessionId === r.sessionId && x.command === 'QUIT'))?.sessionId;

  test('a STARTTLS session: one row per command, tls column changes, credentials and body never logged', async (t) => {
    const c = await RawSmtpClient.connect({ port: port587 });
    t.after(() => c.close());
    assert.equal((await c.reply()).code, 220);
    const id = await waitFor(() => sessionOnPort(port587), 'the Connected row');
    assert.equal((await c.cmd('EHLO client.example.test')).code, 250);
    assert.equal((await c.cmd('STARTTLS')).code, 220);
    await c.startTls(env.tls.certPem);
    assert.equal((await c.cmd('EHLO client.example.test')).code, 250);
    assert.equal((await c.cmd('AUTH LOGIN')).code, 334);
    assert.equal((await c.cmd(b64(ALICE))).code, 334);
    assert.equal((await c.cmd(b64(PASSWORD))).code, 235);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    const message = `From: ${ALICE}\r\nTo: ${BOB}\r\nSubject: hi\r\n\r\n${BODY_MARK}\r\n`;
    assert.equal((await c.cmd(message + '.')).code, 250);
    assert.equal((await c.cmd('QUIT')).code, 221);
    await c.waitClosed();

    const mine = await waitFor(() => disconnected(id), 'the Disconnected row');
    const summary = mine.map((r) => [r.command, r.parameters, r.context.slice(0, 3), r.tls.split(' ')[0], r.user]);
    assert.deepEqual(summary, [
      ['', '', 'Con', 'none', ''],
      ['EHLO', 'client.example.test', '250', 'none', ''],
      ['STARTTLS', '', '220', 'none', ''],
      ['EHLO', 'client.example.test', '250', 'starttls', ''],
      ['AUTH', 'LOGIN', '334', 'starttls', ''],
      ['*SASL*', '***', '334', 'starttls', ''],
      ['*SASL*', '***', '235', 'starttls', ALICE],
      ['MAIL', `FROM:<${ALICE}>`, '250', 'starttls', ALICE],
      ['RCPT', `TO:<${BOB}>`, '250', 'starttls', ALICE],
      ['DATA', '', '250', 'starttls', ALICE],
      ['QUIT', '', '221', 'starttls', ALICE],
      ['', '', 'Dis', 'starttls', ALICE],
    ]);
    assert.deepEqual(mine.map((r) => r.seqNumber), mine.map((_, i) => i));
    const data = mine.find((r) => r.command === 'DATA')!;
    assert.ok(data.rqsize >= message.length, `DATA rqsize ${data.rqsize} counts the message`);
    assert.match(data.context, /^250 2\.0\.0 Ok: message accepted/);
    assert.equal(mine.find((r) => r.command === 'AUTH')!.authMech, 'LOGIN');
    const after = mine.find((r) => r.command === 'MAIL')!;
    assert.equal(after.secure, true);
    assert.match(after.tls, /^starttls TLSv1\.[23]$/);
    assert.equal(mine[1].secure, false);
    assert.match(mine[1].cIp, /^127\.0\.0\.1:\d+$/);
    assert.equal(mine[1].sIp, `127.0.0.1:${port587}`);
    const text = mine.map(formatRow).join('');
    for (const secret of [PASSWORD, b64(PASSWORD), b64(ALICE), BODY_MARK]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  });

  test('implicit TLS with AUTH PLAIN: masked, tls column implicit; a refused AUTH keeps no user', async (t) => {
    const c = await RawSmtpClient.connect({ port: port465 }, { tls: { ca: env.tls.certPem } });
    t.after(() => c.close());
    await c.reply();
    const id = await waitFor(() => sessionOnPort(port465), 'the Connected row');
    await c.cmd('EHLO client.example.test');
    const wrong = b64(`\0${ALICE}\0not-the-password`);
    assert.equal((await c.cmd(`AUTH PLAIN ${wrong}`)).code, 535);
    const blob = b64(`\0${ALICE}\0${PASSWORD}`);
    assert.equal((await c.cmd(`AUTH PLAIN ${blob}`)).code, 235);
    assert.equal((await c.cmd('NOOP')).code, 250);
    assert.equal((await c.cmd('QUIT')).code, 221);
    const mine = await waitFor(() => disconnected(id), 'the Disconnected row');
    const auths = mine.filter((r) => r.command === 'AUTH');
    assert.deepEqual(auths.map((r) => [r.parameters, r.context.slice(0, 9), r.user, r.authMech]), [
      ['PLAIN ***', '535 5.7.8', '', 'PLAIN'],
      ['PLAIN ***', '235 2.7.0', ALICE, 'PLAIN'],
    ]);
    assert.ok(mine.every((r) => /^implicit TLSv1\.[23]$/.test(r.tls) && r.secure), JSON.stringify(mine.map((r) => r.tls)));
    const text = mine.map(formatRow).join('');
    for (const secret of [PASSWORD, blob, wrong]) assert.ok(!text.includes(secret), `${secret} in ${text}`);
  });
}
