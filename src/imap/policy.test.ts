import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, RawClient, USER, PASSWORD } from './test-support.js';

test('PlainTextLogin: cleartext LOGIN allowed, AUTH= advertised before TLS', async (t) => {
  const h = await startHarness({}, 'PlainTextLogin');
  t.after(() => h.close());
  const c = await RawClient.connect(h, 'plain');
  t.after(() => c.close());
  const caps = await c.cmd('a', 'CAPABILITY');
  assert.match(caps, /STARTTLS/);
  assert.doesNotMatch(caps, /LOGINDISABLED/);
  assert.match(caps, /AUTH=PLAIN/);
  assert.match(await c.cmd('b', `LOGIN ${USER} "${PASSWORD}"`), /^b OK \[CAPABILITY /m);
});

test('PlainTextAuthentication: password mechanisms only after TLS', async (t) => {
  const h = await startHarness({}, 'PlainTextAuthentication');
  t.after(() => h.close());
  const c = await RawClient.connect(h, 'plain');
  t.after(() => c.close());
  const caps = await c.cmd('a', 'CAPABILITY');
  assert.match(caps, /LOGINDISABLED/);
  assert.doesNotMatch(caps, /AUTH=PLAIN/);
  assert.match(await c.cmd('b', `LOGIN ${USER} "${PASSWORD}"`), /^b NO \[PRIVACYREQUIRED\]/m);
  await c.cmd('s', 'STARTTLS');
  await c.startTls(h);
  assert.match(await c.cmd('c', `LOGIN ${USER} "${PASSWORD}"`), /^c OK/m);
});
