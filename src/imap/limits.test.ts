import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, loggedIn, RawClient, USER, PASSWORD, type Harness } from './test-support.js';

let h: Harness;
before(async () => { h = await startHarness({ maxConnectionsPerUser: 2, maxCommandSize: 1024 }); });
after(async () => { await h.close(); });

test('max-connections-per-user: the session over the limit gets NO [LIMIT] and BYE', async (t) => {
  const a = await loggedIn(h);
  const b = await loggedIn(h);
  const c = await RawClient.connect(h, 'implicit');
  t.after(() => { a.close(); b.close(); c.close(); });
  c.write(`l LOGIN ${USER} "${PASSWORD}"\r\n`);
  assert.match(await c.waitFor(/^\* BYE[^\r\n]*\r\n/m), /^l NO \[LIMIT\]/m);
  await c.waitClosed();
  assert.match(await a.cmd('n', 'NOOP'), /^n OK/m);
});

test('max-command-size: an over-long command gets BAD and the session goes on', async (t) => {
  const a = await RawClient.connect(h, 'implicit');
  t.after(() => a.close());
  assert.match(await a.cmd('x', 'NOOP ' + 'a'.repeat(5000)), /^x BAD .*limit/m);
  assert.match(await a.cmd('y', 'NOOP'), /^y OK/m);
});

test('bytes of every kind never crash a session; other sessions are unaffected', async (t) => {
  const a = await loggedIn(h);
  const other = await RawClient.connect(h, 'implicit');
  t.after(() => { a.close(); other.close(); });
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const words = ['FETCH', 'UID', 'SEARCH', 'STORE', '(', ')', '[', ']', '{3}', '{2+}', '"', '\\', '*', '1:*', 'BODY[', 'NIL', '\0', '\xff', 'SELECT', 'INBOX', '&', '%'];
  for (let i = 0; i < 60; i++) {
    let line = `f${i}`;
    const n = 1 + Math.floor(rnd() * 8);
    for (let k = 0; k < n; k++) line += ' ' + words[Math.floor(rnd() * words.length)];
    a.write(Buffer.from(line + '\r\n', 'latin1'));
    if (/\{\d\}$/.test(line)) a.write('abc\r\n');
    if (/\{\d\+\}$/.test(line)) a.write('ab\r\n');
  }
  a.write('zz NOOP\r\n');
  await a.waitFor(/^zz (OK|BAD|NO)[^\r\n]*\r\n/m);
  assert.match(await other.cmd('o', 'NOOP'), /^o OK/m);
});

test('backend stop: idle sessions get BYE at once', async () => {
  const a = await loggedIn(h);
  await a.cmd('s', 'SELECT INBOX');
  await h.backend.stop();
  await a.waitFor(/^\* BYE[^\r\n]*\r\n/m);
  await a.waitClosed();
});
