// LMTP over a real loopback socket and a unix socket: per-recipient replies, quota,
// plus-addressing, smuggling guard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { silentLogger } from '../core/log.js';
import type { RunningService } from '../net/listener.js';
import { startLmtp } from './lmtp.js';
import { testLmtpSettings, type LmtpSettings } from './settings.js';
import { RawSmtpClient, makeEnv, messagesIn, type Env } from './testkit.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
let env: Env;
let svc: RunningService;
let settings: LmtpSettings;
let port = 0;
let socketPath = '';

before(async () => {
  env = await makeEnv([{ address: ALICE, password: 'a-pw-123' }, { address: BOB, password: 'b-pw-123' }]);
  socketPath = join(env.dir, 'lmtp.sock');
  settings = testLmtpSettings({ bindings: [{ kind: 'tcp', host: '127.0.0.1', port: 0 }, { kind: 'unix', path: socketPath }] });
  svc = await startLmtp({ settings: () => settings, mailboxes: env.mailboxes, store: env.store, logger: silentLogger, fqdn: 'mx.example.test' });
  port = svc.listeners.addresses().find((a) => a.port > 0)?.port ?? 0;
});

after(async () => {
  await svc?.stop();
  await env?.cleanup();
});

async function lmtp(t: { after: (fn: () => void) => void }, target: { port: number } | { path: string } = { port }): Promise<RawSmtpClient> {
  const c = await RawSmtpClient.connect(target);
  t.after(() => c.close());
  assert.match((await c.reply()).text, /^220 mx\.example\.test LMTP/);
  const lhlo = await c.cmd('LHLO mta.example.test');
  assert.equal(lhlo.code, 250);
  assert.ok(!lhlo.lines.some((l) => /STARTTLS|AUTH/.test(l)), lhlo.text);
  return c;
}

test('two local users and one unknown: 550 5.1.1 at RCPT, one 250 2.0.0 per accepted recipient', async (t) => {
  const c = await lmtp(t);
  const a0 = (await messagesIn(env, ALICE)).length;
  const b0 = (await messagesIn(env, BOB)).length;
  assert.equal((await c.cmd('MAIL FROM:<sender@remote.test>')).code, 250);
  assert.equal((await c.cmd(`RCPT TO:<${ALICE}>`)).code, 250);
  assert.match((await c.cmd('RCPT TO:<nobody@example.test>')).text, /^550 5\.1\.1 /);
  assert.equal((await c.cmd(`RCPT TO:<${BOB.toUpperCase()}>`)).code, 250);
  assert.equal((await c.cmd('DATA')).code, 354);
  c.write('From: sender@remote.test\r\nSubject: inbound\r\n\r\nhello\r\n.\r\n');
  const r1 = await c.reply();
  const r2 = await c.reply();
  assert.match(r1.text, new RegExp(`^250 2\\.0\\.0 <${ALICE}>`));
  assert.match(r2.text, /^250 2\.0\.0 <BOB@EXAMPLE\.TEST>/);
  assert.equal((await c.cmd('NOOP')).code, 250);
  assert.equal(c.pending(), '');
  const a = await messagesIn(env, ALICE);
  const b = await messagesIn(env, BOB);
  assert.equal(a.length, a0 + 1);
  assert.equal(b.length, b0 + 1);
  assert.match(a.at(-1)!.toString(), /^Received: from mta\.example\.test \(\[127\.0\.0\.1\]\)\r\n\tby mx\.example\.test \(Portcullis\) with LMTP/);
  assert.match(a.at(-1)!.toString(), /Subject: inbound\r\n\r\nhello\r\n$/);
});

test('over quota: 552 5.2.2 for that recipient only', async (t) => {
  const bob = await env.store.getAccount(BOB);
  await env.store.updateAccount(bob!.id, { quotaBytes: 10 });
  t.after(() => env.store.updateAccount(bob!.id, { quotaBytes: null }));
  const c = await lmtp(t);
  await c.cmd('MAIL FROM:<sender@remote.test>');
  await c.cmd(`RCPT TO:<${BOB}>`);
  await c.cmd(`RCPT TO:<${ALICE}>`);
  await c.cmd('DATA');
  c.write('Subject: quota\r\n\r\nsome text that does not fit\r\n.\r\n');
  assert.match((await c.reply()).text, /^552 5\.2\.2 /);
  assert.match((await c.reply()).text, /^250 2\.0\.0 /);
});

test('plus-addressing: into an existing folder, else INBOX; off means unknown user', async (t) => {
  const c = await lmtp(t, { path: socketPath });
  const arch0 = (await messagesIn(env, ALICE, 'Archive')).length;
  const inbox0 = (await messagesIn(env, ALICE)).length;
  await c.cmd('MAIL FROM:<sender@remote.test>');
  assert.equal((await c.cmd('RCPT TO:<alice+Archive@example.test>')).code, 250);
  assert.equal((await c.cmd('RCPT TO:<alice+nosuchfolder@example.test>')).code, 250);
  await c.cmd('DATA');
  c.write('Subject: plus\r\n\r\nx\r\n.\r\n');
  assert.equal((await c.reply()).code, 250);
  assert.equal((await c.reply()).code, 250);
  assert.equal((await messagesIn(env, ALICE, 'Archive')).length, arch0 + 1);
  assert.equal((await messagesIn(env, ALICE)).length, inbox0 + 1);
  settings.plusAddressingEnabled = false;
  t.after(() => (settings.plusAddressingEnabled = true));
  await c.cmd('MAIL FROM:<sender@remote.test>');
  assert.match((await c.cmd('RCPT TO:<alice+Archive@example.test>')).text, /^550 5\.1\.1 /);
});

test('EHLO is refused in LMTP; a smuggling attempt is refused per recipient', async (t) => {
  const c = await RawSmtpClient.connect({ port });
  t.after(() => c.close());
  await c.reply();
  assert.match((await c.cmd('EHLO x.example')).text, /^500 /);
  await c.cmd('LHLO x.example');
  await c.cmd('MAIL FROM:<sender@remote.test>');
  await c.cmd(`RCPT TO:<${ALICE}>`);
  await c.cmd('DATA');
  const before = (await messagesIn(env, ALICE)).length;
  c.write('Subject: s\r\n\r\nhi\n.\nMAIL FROM:<a@b>\r\n.\r\n');
  assert.match((await c.reply()).text, /^554 5\.6\.0 /);
  assert.equal((await c.cmd('NOOP')).code, 250);
  assert.equal((await messagesIn(env, ALICE)).length, before);
});
