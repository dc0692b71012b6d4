// The outbound queue against a real SMTP sink (smtp-server on 127.0.0.1:0, STARTTLS with a
// throwaway certificate): relay, wait while the sink is down, retry, bounces (RFC 3464).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { silentLogger } from '../core/log.js';
import { backoffSeconds, openOutboundQueue, type OutboundQueue } from './queue.js';
import { PortcullisSmtpServer, closeServer, listen, smtpError } from './server.js';
import { testSmtpSettings, type SmtpSettings } from './settings.js';
import { makeEnv, messagesIn, type Env } from './testkit.js';

const ALICE = 'alice@example.test';

interface Received {
  from: string;
  to: string[];
  data: string;
  secure: boolean;
}

/** A tiny SMTP sink: accepts everything except recipients starting with "reject". */
async function startSink(env: Env, port = 0): Promise<{ port: number; got: Received[]; stop: () => Promise<void> }> {
  const got: Received[] = [];
  const server = new PortcullisSmtpServer({
    authOptional: true,
    onRcptTo: (a, _s, cb) => cb(a.address.startsWith('reject') ? smtpError(550, '5.1.1', 'no such mailbox here') : null),
    onData: (stream: SMTPServerDataStream, session: SMTPServerSession, cb) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        got.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString(), secure: session.secure });
        cb(null, '2.0.0 sunk');
      });
    },
  }, {}, env.tls);
  await listen(server, { host: '127.0.0.1', port });
  const addr = server.server.address();
  return { port: typeof addr === 'object' && addr ? addr.port : 0, got, stop: () => closeServer(server) };
}

let env: Env;
let settings: SmtpSettings;
let queue: OutboundQueue;

before(async () => {
  env = await makeEnv([{ address: ALICE, password: 'alice-pw-1' }]);
  settings = testSmtpSettings({ fqdn: 'mx.example.test', smarthostTls: 'starttls', smarthostTlsVerify: false, retryInitialInterval: 60 });
  queue = openOutboundQueue({ dataDir: env.dir, settings: () => settings, mailboxes: env.mailboxes, logger: silentLogger });
});

after(async () => {
  await queue?.stop();
  await env?.cleanup();
});

const MSG = Buffer.from('From: alice@example.test\r\nTo: r@remote.test\r\nSubject: out\r\nMessage-ID: <q1@example.test>\r\n\r\nhello remote\r\n.dot line\r\n');

test('relays a queued message to the smarthost over STARTTLS and empties the spool', async (t) => {
  const sink = await startSink(env);
  t.after(() => sink.stop());
  settings.smarthost = `127.0.0.1:${sink.port}`;
  const id = await queue.enqueue({ from: ALICE, to: ['r@remote.test'], raw: MSG });
  assert.ok(existsSync(join(env.dir, 'queue', `${id}.eml`)));
  await queue.runOnce();
  assert.equal(sink.got.length, 1);
  assert.equal(sink.got[0].from, ALICE);
  assert.deepEqual(sink.got[0].to, ['r@remote.test']);
  assert.ok(sink.got[0].secure, 'relayed over TLS');
  assert.match(sink.got[0].data, /hello remote\r\n\.dot line\r\n$/);
  assert.deepEqual(await queue.list(), []);
  assert.deepEqual(readdirSync(join(env.dir, 'queue')), []);
});

test('with the smarthost down the message waits, and is relayed after it comes back', async () => {
  const sink = await startSink(env);
  const port = sink.port;
  await sink.stop();
  settings.smarthost = `127.0.0.1:${port}`;
  const id = await queue.enqueue({ from: ALICE, to: ['later@remote.test'], raw: MSG });
  await queue.runOnce();
  let [entry] = await queue.list();
  assert.equal(entry.id, id);
  assert.equal(entry.attempts, 1);
  assert.ok(entry.lastError);
  assert.ok(Date.parse(entry.nextAttemptAt) > Date.now() + 30_000, 'next attempt backed off');
  // not due yet: another pass does nothing
  await queue.runOnce();
  [entry] = await queue.list();
  assert.equal(entry.attempts, 1);
  const again = await startSink(env, port);
  try {
    assert.ok(await queue.retry(id));
    await queue.runOnce();
    assert.equal(again.got.length, 1);
    assert.deepEqual(again.got[0].to, ['later@remote.test']);
    assert.deepEqual(await queue.list(), []);
  } finally {
    await again.stop();
  }
});

test('a permanent refusal bounces to the sender INBOX as a multipart/report DSN; accepted recipients are not retried', async (t) => {
  const sink = await startSink(env);
  t.after(() => sink.stop());
  settings.smarthost = `127.0.0.1:${sink.port}`;
  const before = (await messagesIn(env, ALICE)).length;
  await queue.enqueue({ from: ALICE, to: ['ok@remote.test', 'rejectme@remote.test'], raw: MSG });
  await queue.runOnce();
  assert.deepEqual(sink.got.at(-1)?.to, ['ok@remote.test']);
  assert.deepEqual(await queue.list(), []);
  const inbox = await messagesIn(env, ALICE);
  assert.equal(inbox.length, before + 1);
  const dsn = inbox.at(-1)!.toString();
  assert.match(dsn, /Content-Type: multipart\/report; report-type=delivery-status;/);
  assert.match(dsn, /Final-Recipient: rfc822; rejectme@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1/);
  assert.doesNotMatch(dsn, /Final-Recipient: rfc822; ok@remote\.test/);
  assert.match(dsn, /Content-Type: text\/rfc822-headers\r\n\r\nFrom: alice@example\.test\r\n/);
});

test('after max-delivery-attempts a message that cannot be relayed is bounced', async (t) => {
  const sink = await startSink(env);
  const port = sink.port;
  await sink.stop();
  settings.smarthost = `127.0.0.1:${port}`;
  settings.maxDeliveryAttempts = 2;
  t.after(() => (settings.maxDeliveryAttempts = 30));
  const before = (await messagesIn(env, ALICE)).length;
  const id = await queue.enqueue({ from: ALICE, to: ['never@remote.test'], raw: MSG });
  await queue.runOnce();
  assert.equal((await queue.list()).length, 1);
  await queue.retry(id);
  await queue.runOnce();
  assert.deepEqual(await queue.list(), []);
  const dsn = (await messagesIn(env, ALICE)).at(-1)!.toString();
  assert.equal((await messagesIn(env, ALICE)).length, before + 1);
  assert.match(dsn, /Final-Recipient: rfc822; never@remote\.test\r\nAction: failed\r\nStatus: 5\.4\.7/);
});

test('no smarthost: messages stay queued; remove deletes them', async () => {
  settings.smarthost = '';
  const id = await queue.enqueue({ from: ALICE, to: ['x@remote.test'], raw: MSG });
  await queue.runOnce();
  const [entry] = await queue.list();
  assert.equal(entry.attempts, 0);
  assert.equal(entry.lastError, 'no smarthost configured');
  assert.ok(await queue.remove(id));
  assert.equal(await queue.remove(id), false);
  assert.equal(await queue.retry(id), false);
  assert.deepEqual(await queue.list(), []);
});

test('backoff doubles and is capped', () => {
  const s = { retryInitialInterval: 60, retryMaxInterval: 3600 };
  assert.deepEqual([1, 2, 3, 4, 7, 8, 50].map((n) => backoffSeconds(n, s)), [60, 120, 240, 480, 3600, 3600, 3600]);
});
