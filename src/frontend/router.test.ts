// Rendezvous routing: stable per user, spread over targets, and a dead target moves only its
// own users; health checks mark targets down and up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../core/log.js';
import { BackendRouter, parseTarget, rankTargets, targetKey } from './router.js';

const users = Array.from({ length: 300 }, (_, i) => `user${i}@example.test`);
const targets = ['10.0.0.1:1993', '10.0.0.2:1993', '10.0.0.3:1993'];

test('targets parse with the default port, bracketed IPv6, and refuse junk', () => {
  assert.deepEqual(parseTarget('be1.example.org', 1993), { host: 'be1.example.org', port: 1993 });
  assert.deepEqual(parseTarget('10.0.0.7:2000', 1993), { host: '10.0.0.7', port: 2000 });
  assert.deepEqual(parseTarget('[::1]:1995', 1993), { host: '::1', port: 1995 });
  assert.equal(targetKey({ host: '::1', port: 1995 }), '[::1]:1995');
  assert.equal(parseTarget('a:b:c', 1993), null);
  assert.equal(parseTarget('x:99999', 1993), null);
});

test('rendezvous hashing is stable, independent of target order, and spreads users', () => {
  const counts = new Map<string, number>();
  for (const u of users) {
    const first = rankTargets(targets, u)[0]!;
    assert.equal(rankTargets([...targets].reverse(), u)[0], first);
    assert.equal(rankTargets(targets, u.toUpperCase())[0], first);
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  for (const t of targets) assert.ok((counts.get(t) ?? 0) > 50, `${t} got ${counts.get(t)}`);
});

test('when a target dies only its users move; when it returns they come back', async () => {
  const up = new Set(targets);
  const router = new BackendRouter({ targets: () => targets, defaultPort: () => 1993, logger: silentLogger, probe: async (t) => up.has(targetKey(t)) });
  const before = new Map(users.map((u) => [u, targetKey(router.route(u)[0]!)]));
  up.delete('10.0.0.2:1993');
  await router.check();
  assert.deepEqual(router.healthy().map(targetKey), ['10.0.0.1:1993', '10.0.0.3:1993']);
  for (const u of users) {
    const now = targetKey(router.route(u)[0]!);
    if (before.get(u) === '10.0.0.2:1993') assert.notEqual(now, '10.0.0.2:1993');
    else assert.equal(now, before.get(u), `${u} moved although its backend is up`);
  }
  up.add('10.0.0.2:1993');
  await router.check();
  for (const u of users) assert.equal(targetKey(router.route(u)[0]!), before.get(u));
  router.markDown({ host: '10.0.0.1', port: 1993 }, 'test');
  assert.equal(router.route(users[0]!).length, 2);
});
