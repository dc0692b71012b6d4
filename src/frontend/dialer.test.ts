// Per-user backend pins at the dialer: a pinned user goes to the pinned backend even when
// rendezvous hashing would choose another or the pin is not a proxy target; a pinned backend that
// is down fails the hand-off like "no backend available" and never moves the user; an unparsable
// pin is ignored (the user is routed as if unpinned).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../core/log.js';
import { createTestTlsProvider } from '../tls/provider.js';
import type { Account } from '../store/store.js';
import type { ImapBackend } from '../imap/service.js';
import { startBackendListener, type RunningBackendListener } from './backend-listener.js';
import { HandoffError } from './channel.js';
import { BackendDialer, pingHeader } from './dialer.js';
import { BackendRouter, rankTargets } from './router.js';

const secret = randomBytes(32);
const names = ['b1', 'b2'] as const;
const listeners: Record<string, RunningBackendListener> = {};
const servedBy: string[] = [];
let closedPort = 0;

const account = (address: string): Account => ({ id: 1, address, passwordHash: null, imapEnabled: true, popEnabled: true, quotaBytes: null, createdAt: new Date() });

/** An IMAP "backend" that records who it served and closes at once. */
const backendNamed = (name: string): ImapBackend => ({
  capabilities: () => [], sessionCount: () => 0, stop: async () => {},
  serve(h) {
    servedBy.push(name);
    h.connection.close(`${h.tag} OK served by ${name}\r\n`);
  },
});

before(async () => {
  const tls = await createTestTlsProvider();
  for (const name of names) {
    listeners[name] = await startBackendListener({
      service: 'imap4-backend', tls, secret: () => secret, trustedFrontends: () => ['127.0.0.1/32'],
      accounts: { getAccount: async (a: string) => account(a) }, logger: silentLogger,
      bindings: [{ host: '127.0.0.1', port: 0 }], imap: () => backendNamed(name),
    });
  }
  // A port nothing listens on: bound, noted, closed.
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  closedPort = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
});
after(async () => {
  for (const l of Object.values(listeners)) await l.close();
});

const addr = (name: string) => `127.0.0.1:${listeners[name]!.addresses()[0]!.port}`;
const header = (user: string) => ({ ...pingHeader(), protocol: 'imap4' as const, account: user, mechanism: 'PLAIN', tag: 'a1', leftover: '' });
const dialer = (targets: string[]) => new BackendDialer({ protocol: 'imap4', targets: () => targets, defaultPort: () => 1993, secret: () => secret, logger: silentLogger });

/** A user that rendezvous hashing sends to `name` among both backends. */
function userHashedTo(name: string): string {
  const all = names.map(addr);
  for (let i = 0; ; i++) {
    const u = `u${i}@example.test`;
    if (rankTargets(all, u)[0] === addr(name)) return u;
  }
}

async function dialAndWhere(d: BackendDialer, user: string, pin?: string | null): Promise<{ target: string; servedBy: string | undefined }> {
  const before = servedBy.length;
  const { channel, target } = await d.dial(header(user), pin);
  await new Promise<void>((r) => {
    channel.onClose(() => r());
  });
  return { target: `${target.host}:${target.port}`, servedBy: servedBy.slice(before)[0] };
}

test('a pin parses with the protocol default port and bracketed IPv6', () => {
  const r = new BackendRouter({ targets: () => [], defaultPort: () => 1993, logger: silentLogger, probe: async () => true });
  assert.deepEqual(r.pinned('be2.example.org'), { host: 'be2.example.org', port: 1993 });
  assert.deepEqual(r.pinned('[::1]:2000'), { host: '::1', port: 2000 });
  assert.equal(r.pinned('be2:99999'), null);
  assert.equal(r.pinned('a b'), null);
});

test('an unpinned user goes where hashing says; a pinned one goes to the pin instead', async () => {
  const d = dialer(names.map(addr));
  const user = userHashedTo('b1');
  assert.deepEqual(await dialAndWhere(d, user), { target: addr('b1'), servedBy: 'b1' });
  assert.deepEqual(await dialAndWhere(d, user, null), { target: addr('b1'), servedBy: 'b1' });
  assert.deepEqual(await dialAndWhere(d, user, addr('b2')), { target: addr('b2'), servedBy: 'b2' });
});

test('a pin outside the proxy targets is honoured (a dedicated backend)', async () => {
  const d = dialer([addr('b1')]);
  assert.deepEqual(await dialAndWhere(d, userHashedTo('b1'), addr('b2')), { target: addr('b2'), servedBy: 'b2' });
});

test('a pinned backend that is down fails the hand-off and the user is not moved', async () => {
  const d = dialer(names.map(addr));
  const before = servedBy.length;
  const pin = `127.0.0.1:${closedPort}`;
  await assert.rejects(d.dial(header(userHashedTo('b1')), pin), (e: HandoffError) => e.code === 'CONNECT' && e.message.includes(pin));
  assert.equal(servedBy.length, before, 'no other backend served the pinned user');
  // The down pin is not a proxy target: the others stay healthy for everybody else.
  assert.equal(d.router.healthy().length, 2);
});

test('a pinned proxy target that refuses is marked down, and the pinned user still is not moved', async () => {
  const d = dialer([addr('b1'), `127.0.0.1:${closedPort}`]);
  const before = servedBy.length;
  await assert.rejects(d.dial(header(userHashedTo('b1')), `127.0.0.1:${closedPort}`), (e: HandoffError) => e.code === 'CONNECT');
  assert.equal(servedBy.length, before);
  assert.deepEqual(d.router.healthy().map((t) => `${t.host}:${t.port}`), [addr('b1')]);
});

test('an unparsable pin is ignored: the user is routed by hashing', async () => {
  const d = dialer(names.map(addr));
  assert.deepEqual(await dialAndWhere(d, userHashedTo('b2'), 'not a target'), { target: addr('b2'), servedBy: 'b2' });
});
