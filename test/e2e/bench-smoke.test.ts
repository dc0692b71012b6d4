/**
 * A few seconds of the load generator against a harness server: the `login` and `imap-mixed`
 * workloads complete commands and report latencies. (The benchmark itself is `npm run bench`.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './harness.js';
import { PASSWORD, userName, type DatasetSpec } from '../../bench/loadgen/dataset.js';
import { imapMixedWorkload, loginWorkload, type WorkloadTarget } from '../../bench/loadgen/workloads.js';
import { cpuSeconds, descendants, pssKiB } from '../../bench/targets.js';

const spec: DatasetSpec = { users: 3, messagesPerUser: 0, popUsers: 0, popMessages: 0, bigMessages: 0, idleUsers: 0 };

test('load generator smoke: login and imap-mixed against a real server', async (t) => {
  const users = Array.from({ length: spec.users }, (_, i) => ({ address: userName(i), password: PASSWORD }));
  const server = await startServer({ users });
  t.after(() => server.stop());
  const pids = (): number[] => [server.proc.pid!, ...descendants(server.proc.pid!)];
  const target: WorkloadTarget = {
    imaps: { host: '127.0.0.1', port: server.ports.imaps!, tls: true },
    pop3s: { host: '127.0.0.1', port: server.ports.pop3s!, tls: true },
    lmtp: { host: '127.0.0.1', port: 0, tls: false },
    memoryKiB: () => pssKiB(pids()),
    cpuSeconds: () => cpuSeconds(pids()),
  };

  const logins = await loginWorkload(target, spec, { clients: 2, ms: 1500, seed: 1 });
  assert.equal(logins.unit, 'logins/s');
  assert.ok(logins.value > 0, `logins/s ${logins.value}`);
  assert.equal(logins.detail.errors, 0);
  const ll = logins.detail.latency as { count: number; p50: number; p99: number };
  assert.ok(ll.count > 0 && ll.p50 > 0 && ll.p99 >= ll.p50, JSON.stringify(ll));
  assert.ok((logins.detail.loadgenCpu as { cpuSeconds: number }).cpuSeconds > 0, 'the generator reports its own CPU use');

  const mixed = await imapMixedWorkload(target, spec, { clients: 3, ms: 2000, seed: 2 });
  assert.equal(mixed.unit, 'commands/s');
  assert.ok(mixed.value > 0);
  assert.equal(mixed.detail.errors, 0);
  const per = mixed.detail.perCommand as Record<string, { count: number; p50: number; p99: number }>;
  for (const name of ['select', 'fetch-body', 'store']) {
    assert.ok(per[name]?.count > 0, `${name} ran: ${JSON.stringify(per)}`);
    assert.ok(per[name].p50 > 0 && per[name].p99 >= per[name].p50);
  }
  assert.ok(per.append?.count > 0, 'APPEND ran and succeeded');
});
