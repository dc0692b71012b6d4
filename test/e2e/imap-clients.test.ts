// IMAP against a real server process with an npm client (imapflow) and curl: a Thunderbird-like
// flow, two sessions seeing each other's changes, IDLE told of a delivery, and the frontend
// answering NO [UNAVAILABLE] while the backend is disabled.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { startServer, cliOk, type Server } from './harness.js';

const user = 'tom@example.test';
const password = 'tom-thunder-pw';
let server: Server;
const clients: ImapFlow[] = [];

before(async () => {
  server = await startServer({ users: [{ address: user, password }] });
});
after(async () => {
  for (const c of clients) await c.logout().catch(() => c.close());
  await server?.stop();
});

function client(opts: { secure?: boolean; doSTARTTLS?: boolean } = { secure: true }): ImapFlow {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: opts.secure ? server.ports.imaps! : server.ports.imap!,
    secure: !!opts.secure,
    doSTARTTLS: opts.doSTARTTLS,
    auth: { user, pass: password },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

const deliver = (subject: string, body = 'hello') =>
  cliOk(server.dataDir, ['deliver', '--to', user], `From: Ann <ann@example.test>\r\nTo: ${user}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@t>\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n${body}\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAECAwQ=\r\n--b--\r\n`);

test('a Thunderbird-like flow with imapflow over STARTTLS', { timeout: 60_000 }, async () => {
  deliver('first');
  deliver('second');
  const c = client({ secure: false, doSTARTTLS: true });
  await c.connect();
  assert.ok(c.secureConnection || (c as unknown as { _socket?: { encrypted?: boolean } })._socket?.encrypted !== false);
  const list = await c.list();
  const byUse = Object.fromEntries(list.filter((m) => m.specialUse && m.specialUse !== '\\Inbox').map((m) => [m.specialUse, m.path]));
  assert.deepEqual(byUse, { '\\Drafts': 'Drafts', '\\Sent': 'Sent', '\\Trash': 'Trash', '\\Junk': 'Junk', '\\Archive': 'Archive' });
  const box = await c.mailboxOpen('INBOX');
  assert.equal(box.exists, 2);
  assert.ok(box.highestModseq && box.highestModseq > 0n, 'CONDSTORE HIGHESTMODSEQ on SELECT');
  const heads = [];
  for await (const m of c.fetch('1:*', { uid: true, envelope: true, bodyStructure: true, flags: true, size: true })) heads.push(m);
  assert.deepEqual(heads.map((m) => m.envelope?.subject), ['first', 'second']);
  assert.equal(heads[0].bodyStructure?.childNodes?.length, 2);
  assert.equal(heads[0].envelope?.from?.[0]?.address, 'ann@example.test');
  const part = await c.download(String(heads[0].uid), '2', { uid: true });
  const chunks: Buffer[] = [];
  for await (const ch of part.content) chunks.push(ch as Buffer);
  assert.deepEqual([...Buffer.concat(chunks)], [0, 1, 2, 3, 4], 'attachment part decoded');
  await c.messageFlagsAdd({ uid: String(heads[0].uid) } as never, ['\\Flagged'], { uid: true });
  const moved = await c.messageMove(String(heads[1].uid), 'Trash', { uid: true });
  assert.ok(moved && moved.uidMap && moved.uidMap.size === 1, 'MOVE with COPYUID');
  const status = await c.status('INBOX', { messages: true });
  assert.equal(status.messages, 1);
  const appended = await c.append('Sent', 'From: tom@example.test\r\nSubject: sent\r\n\r\nbye\r\n', ['\\Seen']);
  assert.ok(appended && appended.uid, 'APPENDUID');
  const trash = await c.status('Trash', { messages: true });
  assert.equal(trash.messages, 1);
  await c.mailboxClose();
});

test('two sessions see each other\'s flag changes and expunges; IDLE is told of a delivery', { timeout: 60_000 }, async () => {
  deliver('for-two-sessions');
  const a = client();
  const b = client();
  await a.connect();
  await b.connect();
  const opened = await a.mailboxOpen('INBOX');
  await b.mailboxOpen('INBOX');
  const n = opened.exists;
  assert.ok(n >= 1);
  const flagsSeen = new Promise<void>((resolve) => b.on('flags', (ev) => { if (ev.seq === n && ev.flags.has('\\Answered')) resolve(); }));
  await a.messageFlagsAdd(String(n), ['\\Answered']);
  await b.noop();
  await flagsSeen;
  const existsSeen = new Promise<number>((resolve) => b.on('exists', (ev) => resolve(ev.count)));
  const idling = b.idle().catch(() => {}); // starts IDLE; settles when IDLE ends
  deliver('during-idle');
  assert.equal(await existsSeen, n + 1, 'IDLE reported the delivery');
  const expungeSeen = new Promise<number>((resolve) => b.on('expunge', (ev) => resolve(ev.seq ?? -1)));
  await a.noop(); // A learns of the delivery too
  assert.equal((a.mailbox as { exists: number }).exists, n + 1);
  await a.messageDelete(String(n + 1));
  await b.noop();
  assert.equal(await expungeSeen, n + 1);
  await idling;
});

test('curl fetches a message over imaps and lists mailboxes', { skip: spawnSync('curl', ['--version']).error ? 'curl missing' : false }, () => {
  deliver('for-curl', 'curl body text');
  const listing = spawnSync('curl', ['-sS', '-k', `imaps://127.0.0.1:${server.ports.imaps}/`, '-u', `${user}:${password}`], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  assert.match(listing.stdout, /\\Sent\)? "\/" "?Sent"?/);
  const search = spawnSync('curl', ['-sS', '-k', `imaps://127.0.0.1:${server.ports.imaps}/INBOX`, '-u', `${user}:${password}`, '-X', 'UID SEARCH SUBJECT for-curl'], { encoding: 'utf8' });
  assert.equal(search.status, 0, search.stderr);
  const uid = /SEARCH (\d+)/.exec(search.stdout)?.[1];
  assert.ok(uid, search.stdout);
  const fetched = spawnSync('curl', ['-sS', '-k', `imaps://127.0.0.1:${server.ports.imaps}/INBOX;UID=${uid}`, '-u', `${user}:${password}`], { encoding: 'utf8' });
  assert.equal(fetched.status, 0, fetched.stderr);
  assert.match(fetched.stdout, /curl body text/);
  // curl over cleartext IMAP with SecureLogin and no TLS requested must fail to log in.
  const plain = spawnSync('curl', ['-sS', `imap://127.0.0.1:${server.ports.imap}/`, '-u', `${user}:${password}`], { encoding: 'utf8' });
  assert.notEqual(plain.status, 0);
});

test('with imap4-backend disabled a correct login gets NO [UNAVAILABLE] and the frontend stays up', { timeout: 60_000 }, async () => {
  cliOk(server.dataDir, ['service', 'disable', 'imap4-backend']);
  await server.reload();
  const c = client();
  await assert.rejects(c.connect(), (err: Error & { responseText?: string; serverResponseCode?: string }) => {
    return /UNAVAILABLE/.test(`${err.message} ${err.responseText ?? ''} ${err.serverResponseCode ?? ''}`);
  });
  cliOk(server.dataDir, ['service', 'enable', 'imap4-backend']);
  await server.reload();
  const d = client();
  await d.connect();
  assert.ok(d.usable);
});
