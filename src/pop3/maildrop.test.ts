import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startPopFixture, type PopClient, type PopFixture } from './testkit.js';

const USER = 'alice@example.org';
const PW = 'secret pw';

/** What a client must receive for a stored message: bare LF -> CRLF, final line end added. */
function expected(raw: Buffer): Buffer {
  let s = raw.toString('latin1').replace(/\r?\n/g, '\r\n');
  if (s.length > 0 && !s.endsWith('\r\n')) s += '\r\n';
  return Buffer.from(s, 'latin1');
}

function unstuff(raw: Buffer): Buffer {
  return Buffer.from(raw.toString('latin1').replace(/(^|\r\n)\./g, '$1'), 'latin1');
}

const MESSAGES = [
  Buffer.from('From: a@example.org\r\nSubject: one\r\n\r\nHello\r\n.\r\n..two dots\r\n.leading\r\nend\r\n'),
  Buffer.from('From: b@example.org\nSubject: bare LF\n\n.dot line\nsecond\n\nlast without newline'),
  Buffer.from('Subject: three\r\n\r\nbody\r\n'),
];

async function fixture(t: { after: (fn: () => Promise<void>) => void }, settings = {}): Promise<PopFixture> {
  const f = await startPopFixture((fn) => t.after(async () => { await fn(); }), { settings });
  await f.addUser(USER, PW);
  return f;
}

async function session(f: PopFixture): Promise<PopClient> {
  const c = await f.ready('tls');
  const r = await c.login(USER, PW);
  assert.match(r, /^\+OK Logged in/);
  return c;
}

async function retr(c: PopClient, n: number): Promise<{ octets: number; body: Buffer; wire: Buffer }> {
  const first = await c.cmd(`RETR ${n}`);
  const m = /^\+OK (\d+) octets$/.exec(first);
  assert.ok(m, first);
  const wire = await c.readMultiRaw();
  return { octets: Number(m[1]), body: unstuff(wire), wire };
}

test('STAT, LIST, UIDL and byte-exact RETR (CRLF, bare LF, dot lines)', async (t) => {
  const f = await fixture(t);
  const uids: number[] = [];
  for (const m of MESSAGES) uids.push(await f.deliver(USER, m));
  const inbox = await f.store.getMailbox((await f.store.getAccount(USER))!.id, 'INBOX');
  const c = await session(f);
  const sizes = MESSAGES.map((m) => expected(m).length - (m.toString('latin1').match(/[^\n]$/) ? 2 : 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  assert.equal(sizes[0], MESSAGES[0].length, 'a CRLF message counts its stored size');
  assert.equal(await c.cmd('STAT'), `+OK 3 ${total}`);
  const [head, list] = await c.multi('LIST');
  assert.equal(head, `+OK 3 messages (${total} octets)`);
  assert.deepEqual(list, sizes.map((s, i) => `${i + 1} ${s}`));
  assert.equal(await c.cmd('LIST 2'), `+OK 2 ${sizes[1]}`);
  const [, uidl] = await c.multi('UIDL');
  assert.deepEqual(uidl, uids.map((u, i) => `${i + 1} ${inbox!.uidValidity}.${u}`));
  assert.equal(await c.cmd('UIDL 3'), `+OK 3 ${inbox!.uidValidity}.${uids[2]}`);
  const one = await retr(c, 1);
  assert.equal(one.wire.toString('latin1'), 'From: a@example.org\r\nSubject: one\r\n\r\nHello\r\n..\r\n...two dots\r\n..leading\r\nend\r\n');
  for (let i = 0; i < MESSAGES.length; i++) {
    const { octets, body } = await retr(c, i + 1);
    assert.deepEqual(body.toString('latin1'), expected(MESSAGES[i]).toString('latin1'));
    assert.equal(octets, sizes[i]);
    // The octet count is what was sent, before the line end added to an unterminated last line.
    assert.equal(body.length - (MESSAGES[i].toString('latin1').match(/[^\n]$/) ? 2 : 0), octets);
  }
  assert.match(await c.cmd('QUIT'), /^\+OK .*\(0 messages deleted\)/);
});

test('TOP sends the header, the blank line and n body lines', async (t) => {
  const f = await fixture(t);
  for (const m of MESSAGES) await f.deliver(USER, m);
  const c = await session(f);
  assert.equal(await c.cmd('TOP 1 0'), '+OK Top of message follows');
  assert.equal(unstuff(await c.readMultiRaw()).toString('latin1'), 'From: a@example.org\r\nSubject: one\r\n\r\n');
  assert.equal(await c.cmd('TOP 1 3'), '+OK Top of message follows');
  assert.equal(unstuff(await c.readMultiRaw()).toString('latin1'), 'From: a@example.org\r\nSubject: one\r\n\r\nHello\r\n.\r\n..two dots\r\n');
  assert.equal(await c.cmd('TOP 2 1'), '+OK Top of message follows');
  assert.equal(unstuff(await c.readMultiRaw()).toString('latin1'), 'From: b@example.org\r\nSubject: bare LF\r\n\r\n.dot line\r\n');
  assert.equal(await c.cmd('TOP 3 100'), '+OK Top of message follows');
  assert.equal(unstuff(await c.readMultiRaw()).toString('latin1'), MESSAGES[2].toString('latin1'));
  assert.equal(await c.cmd('TOP 1'), '-ERR Syntax: TOP <message number> <lines>');
  assert.match(await c.cmd('TOP 1 -1'), /^-ERR Syntax/);
  assert.match(await c.cmd('TOP 9 1'), /^-ERR No such message/);
});

test('a large message is streamed byte-exact', async (t) => {
  const f = await fixture(t);
  const line = 'x'.repeat(70) + '\n';
  const big = Buffer.from('Subject: big\n\n' + ('.' + line + line).repeat(20_000), 'latin1');
  await f.deliver(USER, big);
  const c = await session(f);
  const { octets, body } = await retr(c, 1);
  assert.equal(octets, expected(big).length);
  assert.ok(body.equals(expected(big)));
});

test('DELE, RSET and deletions applied only on QUIT, seen through the mailbox layer', async (t) => {
  const f = await fixture(t);
  for (const m of MESSAGES) await f.deliver(USER, m);
  const account = (await f.store.getAccount(USER))!;
  const um = f.mailboxes.forAccount(account);
  const inbox = (await um.get('INBOX'))!;
  const uids = [...(await um.listUids(inbox.id))];

  const c = await session(f);
  assert.equal(await c.cmd('DELE 2'), '+OK message 2 deleted');
  assert.equal(await c.cmd('DELE 2'), '-ERR message 2 already deleted');
  assert.equal(await c.cmd('RETR 2'), '-ERR message 2 already deleted');
  assert.equal(await c.cmd('TOP 2 0'), '-ERR message 2 already deleted');
  assert.equal(await c.cmd('LIST 2'), '-ERR message 2 already deleted');
  const [, list] = await c.multi('LIST');
  assert.deepEqual(list.map((l) => l.split(' ')[0]), ['1', '3']);
  assert.match(await c.cmd('STAT'), /^\+OK 2 /);
  assert.match(await c.cmd('RSET'), /^\+OK maildrop has 3 messages/);
  assert.match(await c.cmd('STAT'), /^\+OK 3 /);
  assert.equal(await c.cmd('DELE 1'), '+OK message 1 deleted');
  assert.equal(await c.cmd('DELE 3'), '+OK message 3 deleted');
  // Nothing is deleted before QUIT.
  assert.deepEqual([...(await um.listUids(inbox.id))], uids);
  assert.match(await c.cmd('QUIT'), /^\+OK .*\(2 messages deleted\)/);
  assert.ok(await c.closedByServer());
  assert.deepEqual([...(await um.listUids(inbox.id))], [uids[1]]);
});

test('a dropped connection deletes nothing and frees the maildrop; [IN-USE] while held', async (t) => {
  const f = await fixture(t);
  for (const m of MESSAGES) await f.deliver(USER, m);
  const c = await session(f);
  assert.equal(await c.cmd('DELE 1'), '+OK message 1 deleted');
  const d = await f.ready('tls');
  assert.equal(await d.login(USER, PW), '-ERR [IN-USE] Maildrop is in use by another POP3 session');
  c.close();
  // Wait until the server has noticed the drop and released the lock (bounded retries).
  let reply = '';
  for (let i = 0; i < 200 && !reply.startsWith('+OK'); i++) {
    const e = await f.ready('tls');
    reply = await e.login(USER, PW);
    if (reply.startsWith('+OK')) {
      assert.match(await e.cmd('STAT'), /^\+OK 3 /);
      await e.cmd('QUIT');
    } else {
      assert.match(reply, /^-ERR \[IN-USE\]/);
      e.close();
    }
  }
  assert.match(reply, /^\+OK Logged in; maildrop has 3 messages/);
});

test('UIDL is stable across sessions and after an expunge through the mailbox layer', async (t) => {
  const f = await fixture(t);
  for (const m of MESSAGES) await f.deliver(USER, m);
  const c = await session(f);
  const [, first] = await c.multi('UIDL');
  await c.cmd('QUIT');
  const account = (await f.store.getAccount(USER))!;
  const um = f.mailboxes.forAccount(account);
  const inbox = (await um.get('INBOX'))!;
  const uids = [...(await um.listUids(inbox.id))];
  await um.storeFlags(inbox.id, [uids[0]], 'add', ['\\Deleted']);
  await um.expunge(inbox.id, [uids[0]]);
  const newUid = await f.deliver(USER, 'Subject: new\r\n\r\nx\r\n');
  const d = await session(f);
  const [, second] = await d.multi('UIDL');
  const ids = (lines: string[]): string[] => lines.map((l) => l.split(' ')[1]);
  assert.deepEqual(ids(second), [...ids(first).slice(1), `${inbox.uidValidity}.${newUid}`]);
  assert.equal(second[0], `1 ${ids(first)[1]}`);
  for (const id of ids(second)) assert.match(id, /^[\x21-\x7e]{1,70}$/);
});

test('messages delivered during a session appear at the next login', async (t) => {
  const f = await fixture(t);
  await f.deliver(USER, MESSAGES[0]);
  const c = await session(f);
  await f.deliver(USER, MESSAGES[2]);
  assert.match(await c.cmd('STAT'), /^\+OK 1 /);
  assert.match(await c.cmd('RETR 2'), /^-ERR No such message/);
  await c.cmd('QUIT');
  const d = await session(f);
  assert.match(await d.cmd('STAT'), /^\+OK 2 /);
});

test('message-retrieval-sort-order Descending lists the newest first', async (t) => {
  const f = await fixture(t, { messageRetrievalSortOrder: 'Descending' });
  const u1 = await f.deliver(USER, MESSAGES[0]);
  const u2 = await f.deliver(USER, MESSAGES[2]);
  const c = await session(f);
  const [, uidl] = await c.multi('UIDL');
  assert.deepEqual(uidl.map((l) => l.split('.')[1]), [String(u2), String(u1)]);
  const { body } = await retr(c, 1);
  assert.equal(body.toString('latin1'), MESSAGES[2].toString('latin1'));
});

test('bad input: long lines, unknown commands, bad arguments; the session goes on', async (t) => {
  const f = await fixture(t);
  await f.deliver(USER, MESSAGES[0]);
  const c = await session(f);
  assert.equal(await c.cmd('NOOP ' + 'x'.repeat(600)), '-ERR Command line too long (at most 512 octets)');
  assert.equal(await c.cmd('XYZZY'), '-ERR Unknown command: XYZZY');
  assert.equal(await c.cmd('RETR'), '-ERR Syntax: RETR <message number>');
  assert.equal(await c.cmd('RETR x'), '-ERR Syntax: RETR <message number>');
  assert.match(await c.cmd('RETR 0'), /^-ERR No such message/);
  assert.match(await c.cmd('RETR 99999999999'), /^-ERR Syntax/);
  assert.match(await c.cmd('DELE 2'), /^-ERR No such message/);
  assert.equal(await c.cmd('USER bob'), '-ERR USER is not valid after login');
  assert.equal(await c.cmd('STAT 1'), '-ERR Syntax: STAT');
  assert.equal(await c.cmd('NOOP'), '+OK');
  assert.match(await c.cmd('STAT'), /^\+OK 1 /);
});

test('PIPELINING: several commands in one write are answered in order', async (t) => {
  const f = await fixture(t);
  await f.deliver(USER, MESSAGES[0]);
  await f.deliver(USER, MESSAGES[1]);
  const c = await f.ready('tls');
  c.send(`USER ${USER}\r\nPASS ${PW}\r\nSTAT\r\nRETR 1\r\nLIST 2\r\nNOOP\r\nQUIT\r\n`);
  assert.match(await c.readLine(), /^\+OK/);
  assert.match(await c.readLine(), /^\+OK Logged in/);
  assert.match(await c.readLine(), /^\+OK 2 /);
  assert.match(await c.readLine(), /^\+OK \d+ octets/);
  assert.equal(unstuff(await c.readMultiRaw()).toString('latin1'), expected(MESSAGES[0]).toString('latin1'));
  assert.match(await c.readLine(), /^\+OK 2 \d+$/);
  assert.equal(await c.readLine(), '+OK');
  assert.match(await c.readLine(), /^\+OK .*signing off/);
  assert.ok(await c.closedByServer());
});

test('an unreadable message does not lock the user out: RETR says [SYS/TEMP], others work', async (t) => {
  const f = await fixture(t);
  // Large enough (over 256 KiB) that the store keeps it as a blob file rather than inline.
  await f.deliver(USER, 'Subject: lost\r\n\r\n' + 'gone gone gone\r\n'.repeat(20_000));
  await f.deliver(USER, MESSAGES[2]);
  const account = (await f.store.getAccount(USER))!;
  const inbox = (await f.store.getMailbox(account.id, 'INBOX'))!;
  const [first] = (await f.store.listUids(inbox.id));
  let blobId = '';
  for await (const batch of f.store.fetchRecords(inbox.id, [{ from: first, to: first }])) blobId = batch[0].blobId;
  const { readdir, rm } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const files = (await readdir(join(f.dir, 'blobs'), { recursive: true })).filter((p) => p.endsWith(blobId));
  assert.equal(files.length, 1);
  await rm(join(f.dir, 'blobs', files[0]));
  const c = await session(f);
  assert.match(await c.cmd('RETR 1'), /^-ERR \[SYS\/TEMP\] /);
  const { body } = await retr(c, 2);
  assert.equal(body.toString('latin1'), MESSAGES[2].toString('latin1'));
  assert.match(await c.cmd('NOOP'), /^\+OK/);
});
