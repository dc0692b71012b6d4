import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryThrottle, networkKey } from './throttle.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('IPv6 clients are counted by /64, IPv4-mapped as IPv4', () => {
  assert.equal(networkKey('2001:db8:1:2:3:4:5:6'), '2001:0db8:0001:0002::/64');
  assert.equal(networkKey('2001:db8:1:2::99'), '2001:0db8:0001:0002::/64');
  assert.equal(networkKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(networkKey('192.0.2.7'), '192.0.2.7');
});

test('failures from one network are slowed, then blocked; another network is not; blocks expire', async () => {
  const c = clock();
  const t = new MemoryThrottle({ now: c.now, ipBlockAfter: 5, blockMs: 60_000, freeFailures: 1, baseDelayMs: 100, maxDelayMs: 1000 });
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    assert.equal((await t.check('198.51.100.1', `user${i}`)).allowed, true);
    delays.push(await t.recordFailure('198.51.100.1', `user${i}`));
  }
  assert.deepEqual(delays, [0, 100, 200, 400, 800]);
  const blocked = await t.check('198.51.100.1', 'anyone');
  assert.equal(blocked.allowed, false);
  assert.equal(blocked.retryAfterMs, 60_000);
  assert.equal((await t.check('198.51.100.2', 'anyone')).allowed, true);
  assert.equal((await t.blocks()).length, 1);
  c.advance(60_001);
  assert.equal((await t.check('198.51.100.1', 'anyone')).allowed, true);
  assert.equal((await t.blocks()).length, 0);
});

test('IPv6 addresses in one /64 share a counter', async () => {
  const t = new MemoryThrottle({ ipBlockAfter: 2, now: clock().now });
  await t.recordFailure('2001:db8::1', 'a');
  await t.recordFailure('2001:db8::2', 'b');
  assert.equal((await t.check('2001:db8::ffff', 'c')).allowed, false);
  assert.equal((await t.check('2001:db8:0:1::1', 'c')).allowed, true);
});

test('a success forgives that account\'s failures; a known-good network is not slowed by attacks on its account', async () => {
  const t = new MemoryThrottle({ ipBlockAfter: 100, now: clock().now, baseDelayMs: 100 });
  await t.recordFailure('192.0.2.1', 'victim');
  await t.recordSuccess('192.0.2.1', 'victim');
  for (let i = 0; i < 5; i++) await t.recordFailure(`203.0.113.${i}`, 'victim'); // attacker from many addresses
  assert.equal(await t.recordFailure('192.0.2.1', 'victim'), 0, 'the owner typing a wrong password once is not delayed');
  assert.ok(await t.recordFailure('203.0.113.77', 'victim') > 0, 'a new address trying the same account is delayed');
});

test('the allow-list always wins', async () => {
  const t = new MemoryThrottle({ ipBlockAfter: 1, allowList: ['10.0.0.0/8'], now: clock().now });
  for (let i = 0; i < 5; i++) assert.equal(await t.recordFailure('10.1.2.3', 'x'), 0);
  assert.equal((await t.check('10.1.2.3', 'x')).allowed, true);
});

test('a quiet window forgets old failures; clear() lifts a block', async () => {
  const c = clock();
  const t = new MemoryThrottle({ ipBlockAfter: 3, windowMs: 1000, now: c.now });
  await t.recordFailure('192.0.2.9', 'a');
  await t.recordFailure('192.0.2.9', 'a');
  c.advance(1001);
  await t.recordFailure('192.0.2.9', 'a');
  assert.equal((await t.check('192.0.2.9', 'a')).allowed, true);
  await t.recordFailure('192.0.2.9', 'a');
  await t.recordFailure('192.0.2.9', 'a');
  assert.equal((await t.check('192.0.2.9', 'a')).allowed, false);
  await t.clear('192.0.2.9');
  assert.equal((await t.check('192.0.2.9', 'a')).allowed, true);
});

test('a success with one account does not reset the network\'s count for other accounts', async () => {
  const t = new MemoryThrottle({ ipBlockAfter: 4, ipDistinctAccountsBlockAfter: 100, now: clock().now });
  for (const victim of ['v1', 'v2', 'v3']) await t.recordFailure('203.0.113.9', victim);
  await t.recordSuccess('203.0.113.9', 'mallory'); // the attacker's own valid account
  await t.recordFailure('203.0.113.9', 'v4');
  assert.equal((await t.check('203.0.113.9', 'v5')).allowed, false, 'the fourth failure blocks despite the success in between');
  assert.deepEqual((await t.blocks()).map((b) => [b.network, b.failures]), [['203.0.113.9', 4]]);

  const detected: string[] = [];
  const spray = new MemoryThrottle({ ipBlockAfter: 100, ipDistinctAccountsBlockAfter: 3, now: clock().now, onDetect: (e) => detected.push(`${e.kind} ${e.network} ${e.count}`) });
  await spray.recordFailure('203.0.113.10', 'a');
  await spray.recordFailure('203.0.113.10', 'b');
  await spray.recordSuccess('203.0.113.10', 'mallory');
  await spray.recordFailure('203.0.113.10', 'c');
  assert.deepEqual(detected, ['ip-many-accounts 203.0.113.10 3']);
  assert.equal((await spray.check('203.0.113.10', 'd')).allowed, false);
});

test('a known-good account passes its network\'s block to verification; its wrong passwords still count', async () => {
  const t = new MemoryThrottle({ ipBlockAfter: 3, ipDistinctAccountsBlockAfter: 100, baseDelayMs: 100, now: clock().now });
  const nat = '198.51.100.7';
  await t.recordSuccess(nat, 'Alice'); // alice has logged in from behind this NAT before
  for (let i = 0; i < 3; i++) await t.recordFailure(nat, 'neighbour'); // a neighbour mistypes: the NAT is blocked
  assert.equal((await t.check(nat, 'neighbour')).allowed, false);
  assert.equal((await t.check(nat, 'mallory')).allowed, false, 'an account never seen from the NAT stays blocked');
  assert.equal((await t.check(nat, 'alice')).allowed, true, 'alice is let through to verification');
  assert.equal((await t.check('192.0.2.200', 'mallory')).allowed, true);

  assert.ok(await t.recordFailure(nat, 'alice') > 0, 'a wrong password from the known-good pair is delayed');
  assert.equal((await t.blocks())[0].failures, 4, 'and counted for the network');
  await t.recordFailure(nat, 'alice');
  assert.equal((await t.check(nat, 'alice')).allowed, true);
  await t.recordFailure(nat, 'alice');
  assert.equal((await t.check(nat, 'alice')).allowed, false, 'after ip-block-after wrong passwords of its own the pair is blocked too');
});
