import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPopFixture } from './testkit.js';

const USER = 'alice@example.org';
const PW = 'pw';

test('CAPA after login drops USER, SASL and STLS; LOGIN-DELAY and EXPIRE follow the settings', async (t) => {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }), {
    loginType: 'PlainTextLogin', settings: { loginDelay: 900, expireDays: 31 },
  });
  await f.addUser(USER, PW);
  const c = await f.ready('plain');
  const [, before] = await c.multi('CAPA');
  assert.deepEqual(before, [
    'TOP', 'UIDL', 'USER', 'SASL PLAIN LOGIN SCRAM-SHA-256', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'STLS',
    'LOGIN-DELAY 900', 'EXPIRE 31', 'IMPLEMENTATION Portcullis',
  ]);
  assert.match(await c.login(USER, PW), /^\+OK Logged in/);
  const [, after] = await c.multi('CAPA');
  assert.deepEqual(after, ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'LOGIN-DELAY 900', 'EXPIRE 31', 'IMPLEMENTATION Portcullis']);
});

test('an idle connection is closed with a clear -ERR after the pre-auth timeout', async (t) => {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }), { settings: { preAuthenticatedConnectionTimeout: 0.2 } });
  const c = await f.ready('tls');
  assert.equal(await c.readLine(), '-ERR Disconnected for inactivity');
  assert.ok(await c.closedByServer());
});

test('too many invalid commands before login close the connection', async (t) => {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }));
  const c = await f.ready('tls');
  c.send('BOGUS\r\n'.repeat(12));
  const lines: string[] = [];
  for (let i = 0; i < 11; i++) lines.push(await c.readLine());
  assert.deepEqual(lines.slice(0, 10), Array(10).fill('-ERR Unknown command: BOGUS'));
  assert.equal(lines[10], '-ERR Too many invalid commands, closing connection');
  assert.ok(await c.closedByServer());
});

test('an over-long line never runs and arbitrary bytes never crash the session', async (t) => {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }));
  const c = await f.ready('tls');
  c.send(Buffer.concat([Buffer.from('QUIT' + ' '.repeat(2000)), Buffer.from('\r\n')]));
  assert.equal(await c.readLine(), '-ERR Command line too long (at most 512 octets)');
  c.send(Buffer.from([0xff, 0x00, 0xfe, 0x0d, 0x0a]));
  assert.match(await c.readLine(), /^-ERR Unknown command: /);
  assert.equal(await c.cmd(''), '-ERR Empty command');
  assert.match(await c.cmd('CAPA'), /^\+OK/);
});

test('stop(): sessions are ended with [SYS/TEMP] and an open maildrop is left untouched', async (t) => {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }));
  await f.addUser(USER, PW);
  await f.deliver(USER, 'Subject: x\r\n\r\nbody\r\n');
  const c = await f.ready('tls');
  assert.match(await c.login(USER, PW), /^\+OK Logged in/);
  assert.equal(await c.cmd('DELE 1'), '+OK message 1 deleted');
  const idle = await f.ready('tls');
  await f.service.stop();
  assert.equal(await c.readLine(), '-ERR [SYS/TEMP] Server shutting down, try again later');
  assert.equal(await idle.readLine(), '-ERR [SYS/TEMP] Server shutting down, try again later');
  assert.ok(await c.closedByServer());
  const account = (await f.store.getAccount(USER))!;
  const inbox = (await f.store.getMailbox(account.id, 'INBOX'))!;
  assert.equal(inbox.messages, 1);
  // stop() resolves after every session has released its maildrop lock.
  assert.equal(await f.store.tryLock(`pop3:${account.id}`, 'test', 1000), true);
});

test('hundreds of pipelined commands in one write are all answered, in order', async (t) => {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }));
  await f.addUser(USER, PW);
  await f.deliver(USER, 'Subject: x\r\n\r\nbody\r\n');
  const c = await f.ready('tls');
  assert.match(await c.login(USER, PW), /^\+OK Logged in/);
  c.send('NOOP\r\nSTAT\r\n'.repeat(300));
  for (let i = 0; i < 300; i++) {
    assert.equal(await c.readLine(), '+OK');
    assert.equal(await c.readLine(), '+OK 1 20');
  }
  assert.match(await c.cmd('QUIT'), /^\+OK/);
});

test('a QUIT sent just before the client hangs up is still applied', async (t) => {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }));
  await f.addUser(USER, PW);
  await f.deliver(USER, 'Subject: 1\r\n\r\none\r\n');
  await f.deliver(USER, 'Subject: 2\r\n\r\ntwo\r\n');
  const c = await f.ready('tls');
  assert.match(await c.login(USER, PW), /^\+OK Logged in/);
  c.send('DELE 1\r\nQUIT\r\n');
  c.close();
  let reply = '';
  for (let i = 0; i < 200 && !reply.startsWith('+OK'); i++) {
    const d = await f.ready('tls');
    reply = await d.login(USER, PW);
    if (!reply.startsWith('+OK')) d.close();
  }
  assert.match(reply, /^\+OK Logged in; maildrop has 1 message \(/);
});
