// The hand-off channel between real sockets: proofs of the cluster secret bound to the TLS
// session (a wrong secret, a backend without the secret and a relaying man in the middle are all
// refused), trusted-frontends, account checks, IMAP piping and POP3 framing end to end.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../core/log.js';
import { MailError } from '../core/errors.js';
import { createTestTlsProvider, type TestTlsProvider } from '../tls/provider.js';
import type { Account } from '../store/store.js';
import type { ImapBackend, ImapHandoff } from '../imap/service.js';
import type { Pop3Backend } from '../pop3/types.js';
import type { Connection } from '../net/types.js';
import { startBackendListener, type RunningBackendListener } from './backend-listener.js';
import { HandoffError, openChannel, FramedSocket } from './channel.js';
import { BackendDialer, pingHeader } from './dialer.js';
import { createRemotePop3Backend } from './remote-pop3.js';
import { FrameDecoder } from './frames.js';
import { serverHandshake } from '../net/connection.js';

const secret = randomBytes(32);
let provider: TestTlsProvider;
let imapListener: RunningBackendListener;
let popListener: RunningBackendListener;
const served: ImapHandoff[] = [];
let locked = false;

const account: Account = { id: 1, address: 'ann@example.test', passwordHash: null, imapEnabled: true, popEnabled: true, quotaBytes: null, createdAt: new Date() };
const accounts = { getAccount: async (a: string) => (a === account.address ? account : a === 'off@example.test' ? { ...account, imapEnabled: false } : null) };

/** An IMAP "backend" that greets with the tag, echoes lines, and ends on "bye". */
const imap: ImapBackend = {
  capabilities: () => [], sessionCount: () => served.length, stop: async () => {},
  serve(h) {
    served.push(h);
    h.connection.write(`${h.tag} OK from ${h.connection.remoteAddress} ${h.connection.tls?.version ?? 'clear'} leftover=${h.leftover.toString()}\r\n`);
    h.connection.onData((c) => (c.toString().includes('bye') ? h.connection.close('* BYE done\r\n') : h.connection.write(`echo ${c.toString()}`)));
  },
};
const pop: Pop3Backend = {
  async openMaildrop() {
    if (locked) throw new MailError('INUSE', 'locked');
    locked = true;
    return {
      count: 2, octets: 300,
      async execute(cmd, out) {
        out.write(`+OK ${cmd.verb} ${cmd.args.join(',')}\r\n`);
        return cmd.verb === 'QUIT' ? 'quit' : 'continue';
      },
      async abort() { locked = false; },
    };
  },
};

before(async () => {
  provider = await createTestTlsProvider();
  const common = { tls: provider, secret: () => secret, trustedFrontends: () => ['127.0.0.1/32'], accounts, logger: silentLogger, bindings: [{ host: '127.0.0.1', port: 0 }] };
  imapListener = await startBackendListener({ ...common, service: 'imap4-backend', imap: () => imap });
  popListener = await startBackendListener({ ...common, service: 'pop3-backend', pop3: () => pop });
});
after(async () => {
  await imapListener.close();
  await popListener.close();
});

const target = () => ({ host: '127.0.0.1', port: imapListener.addresses()[0]!.port });
const header = (over: Record<string, unknown> = {}) => ({ ...pingHeader(), protocol: 'imap4' as const, account: account.address, mechanism: 'PLAIN', clientAddress: '192.0.2.9', clientPort: 4000, tlsMode: 'implicit' as const, tls: { version: 'TLSv1.3', cipher: 'X', servername: null }, sessionId: 's1', tag: 'a1', leftover: Buffer.from('a2 NOOP\r\n').toString('base64'), ...over });

test('ping with the right secret is answered with what the backend serves', async () => {
  const { channel, answer } = await openChannel({ target: target(), secret, header: pingHeader() });
  channel.destroy();
  assert.deepEqual(answer, { ok: true, serving: { imap4: true, pop3: false } });
});

test('a wrong secret is refused by the backend', async () => {
  await assert.rejects(openChannel({ target: target(), secret: randomBytes(32), header: pingHeader() }), (e: HandoffError) => e.code === 'REFUSED');
});

test('a frontend outside trusted-frontends is refused before TLS', async () => {
  await assert.rejects(openChannel({ target: target(), secret, header: pingHeader(), localAddress: '127.0.0.2' }), (e: HandoffError) => e.code === 'CONNECT' || e.code === 'REFUSED');
});

test('a "backend" that does not hold the secret fails the frontend\'s check', async () => {
  const fake = net.createServer((raw) => {
    void serverHandshake(raw, provider, 5000).then((s) => {
      s.on('error', () => {});
      s.once('data', () => s.write(Buffer.concat([Buffer.from([0x50, 0, 0, 0, 32]), randomBytes(32)])));
    }, () => {});
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  const port = (fake.address() as net.AddressInfo).port;
  await assert.rejects(openChannel({ target: { host: '127.0.0.1', port }, secret, header: pingHeader() }), (e: HandoffError) => e.code === 'PROOF');
  fake.close();
});

test('a man in the middle relaying between two TLS sessions is refused (proofs are session-bound)', async () => {
  let relayedProof: Buffer | null = null as Buffer | null;
  const mitm = net.createServer((raw) => void serverHandshake(raw, provider, 5000).then((front) => {
    front.on('error', () => {});
    const back = tls.connect({ ...target(), rejectUnauthorized: false });
    back.on('error', () => {});
    front.on('data', (d: Buffer) => { relayedProof ??= d; back.write(d); });
    back.on('data', (d: Buffer) => front.write(d));
    back.on('close', () => front.destroy());
    front.on('close', () => back.destroy());
  }, () => {}));
  await new Promise<void>((r) => mitm.listen(0, '127.0.0.1', r));
  const port = (mitm.address() as net.AddressInfo).port;
  await assert.rejects(openChannel({ target: { host: '127.0.0.1', port }, secret, header: pingHeader() }), (e: HandoffError) => e.code === 'REFUSED');
  assert.ok(relayedProof, 'the relay saw the frontend proof');
  mitm.close();
});

test('IMAP: the backend sees the real client facts and leftover; bytes flow both ways; the end frame marks a clean end', async () => {
  const { channel } = await openChannel({ target: target(), secret, header: header() });
  const got: string[] = [];
  let ended = false;
  channel.onFrame((f) => (f.type === 'D' ? got.push(f.payload.toString()) : f.type === 'E' && (ended = true)));
  const closed = new Promise<void>((r) => channel.onClose(r));
  channel.sendData('hello\r\n');
  await waitFor(() => got.join('').includes('echo hello'));
  assert.match(got.join(''), /^a1 OK from 192\.0\.2\.9 TLSv1\.3 leftover=a2 NOOP\r\n/);
  channel.sendData('bye\r\n');
  await closed;
  assert.ok(ended);
  assert.match(got.join(''), /\* BYE done\r\n$/);
  const last = served.at(-1)!.connection as Connection;
  assert.equal(last.remotePort, 4000);
  assert.equal(last.sessionId, 's1');
});

test('IMAP: unknown and disabled accounts are refused', async () => {
  for (const a of ['nobody@example.test', 'off@example.test']) {
    await assert.rejects(openChannel({ target: target(), secret, header: header({ account: a }) }), (e: HandoffError) => e.code === 'ANSWER' && e.answerCode === 'UNKNOWN-ACCOUNT');
  }
});

test('POP3 through the remote backend: open, commands, IN-USE for a second session, quit releases', async () => {
  const dialer = new BackendDialer({ protocol: 'pop3', targets: () => [`127.0.0.1:${popListener.addresses()[0]!.port}`], defaultPort: () => 1995, secret: () => secret, logger: silentLogger });
  assert.equal(await dialer.probe(dialer.router.targets()[0]!), true);
  const remote = createRemotePop3Backend({ dialer });
  const txn = await remote.openMaildrop({ account, sessionId: 'p1', logger: silentLogger });
  assert.equal(txn.count, 2);
  await assert.rejects(remote.openMaildrop({ account, sessionId: 'p2', logger: silentLogger }), (e: MailError) => e.code === 'INUSE');
  let out = '';
  const sink = { write: (d: string | Buffer) => { out += d.toString(); }, drained: async () => {}, close: (f?: string) => { out += f ?? ''; } };
  assert.equal(await txn.execute({ verb: 'RETR', args: ['1'], rest: '1' }, sink), 'continue');
  assert.equal(await txn.execute({ verb: 'QUIT', args: [], rest: '' }, sink), 'quit');
  assert.equal(out, '+OK RETR 1\r\n+OK QUIT \r\n');
  await waitFor(() => !locked);
});

test('POP3: a backend that dies mid-session ends the client session with -ERR [SYS/TEMP]; the backend releases the lock', async () => {
  // A plain TCP forwarder between frontend and backend stands in for the network; "killing the
  // backend" is cutting it.
  const cut: net.Socket[] = [];
  const fwd = net.createServer((a) => {
    const b = net.connect(popListener.addresses()[0]!.port, '127.0.0.1');
    a.on('error', () => {});
    b.on('error', () => {});
    a.pipe(b);
    b.pipe(a);
    cut.push(a, b);
  });
  await new Promise<void>((r) => fwd.listen(0, '127.0.0.1', r));
  const dialer = new BackendDialer({ protocol: 'pop3', targets: () => [`127.0.0.1:${(fwd.address() as net.AddressInfo).port}`], defaultPort: () => 1995, secret: () => secret, logger: silentLogger });
  const txn = await createRemotePop3Backend({ dialer }).openMaildrop({ account, sessionId: 'p3', logger: silentLogger });
  let out = '';
  let closedWith: string | undefined = 'not closed';
  const sink = { write: (d: string | Buffer) => { out += d.toString(); }, drained: async () => {}, close: (f?: string) => { closedWith = f; } };
  assert.equal(await txn.execute({ verb: 'STAT', args: [], rest: '' }, sink), 'continue');
  cut.forEach((s) => s.destroy());
  assert.equal(await txn.execute({ verb: 'DELE', args: ['1'], rest: '1' }, sink), 'quit');
  assert.equal(closedWith, '-ERR [SYS/TEMP] Backend unavailable, please reconnect\r\n');
  assert.equal(out, '+OK STAT \r\n');
  await waitFor(() => !locked);
  fwd.close();
});

test('a frame stream the decoder cannot parse closes the channel (backend side)', async () => {
  const s = tls.connect({ ...target(), rejectUnauthorized: false });
  await new Promise((r) => s.once('secureConnect', r));
  const f = new FramedSocket(s);
  s.write(Buffer.from('Zgarbage'));
  assert.equal(await f.next(3000), null);
  assert.equal(new FrameDecoder().pending, 0);
  s.destroy();
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
