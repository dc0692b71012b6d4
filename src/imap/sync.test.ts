import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, loggedIn, message, USER, type Harness } from './test-support.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('QRESYNC: SELECT reports VANISHED (EARLIER) and changed flags since a known MODSEQ', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  await c.cmd('c', 'CREATE Q');
  for (let i = 1; i <= 4; i++) await h.mailboxes.deliver(USER, message(`q${i}`), { mailbox: 'Q' });
  assert.match(await c.cmd('e', 'ENABLE QRESYNC'), /^\* ENABLED CONDSTORE QRESYNC/m);
  const s1 = await c.cmd('s1', 'SELECT Q');
  const uv = /UIDVALIDITY (\d+)/.exec(s1)![1];
  const ms = /HIGHESTMODSEQ (\d+)/.exec(s1)![1];
  await c.cmd('t', 'UID STORE 2 +FLAGS.SILENT (\\Deleted)');
  const x = await c.cmd('x', 'UID EXPUNGE 2');
  assert.match(x, /^\* VANISHED 2\r\n/m);
  await c.cmd('t2', 'UID STORE 3 +FLAGS.SILENT (\\Answered)');
  await c.cmd('u', 'UNSELECT');
  const s2 = await c.cmd('s2', `SELECT Q (QRESYNC (${uv} ${ms} 1:4))`);
  assert.match(s2, /^\* VANISHED \(EARLIER\) 2\r\n/m);
  assert.match(s2, /^\* 2 FETCH \(UID 3 FLAGS \(\\Answered\) MODSEQ \(\d+\)\)/m);
  assert.doesNotMatch(s2, /UID 1 /);
  const f = await c.cmd('f', `UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${ms} VANISHED)`);
  assert.match(f, /^\* VANISHED \(EARLIER\) 2\r\n/m);
  assert.match(await c.cmd('b', 'SELECT Q (QRESYNC (1))'), /^b BAD/m);
});

test('a large message is served byte for byte, and a partial of it', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  const body = Buffer.alloc(3 * 1024 * 1024, 'abcdefghij0123456789\r\n');
  const raw = Buffer.concat([message('Big', ''), body]);
  await c.cmd('c', 'CREATE Big');
  await h.mailboxes.deliver(USER, raw, { mailbox: 'Big' });
  await c.cmd('s', 'EXAMINE Big');
  c.write('f FETCH 1 BODY.PEEK[]\r\n');
  const head = await c.waitFor(/BODY\[\] \{\d+\}\r\n/);
  assert.ok(head.includes(`{${raw.length}}`));
  const rest = await c.waitFor(/\)\r\nf OK[^\r\n]*\r\n/);
  assert.equal(rest.length, raw.length + ')\r\nf OK FETCH completed\r\n'.length);
  assert.ok(Buffer.from(rest.slice(0, raw.length), 'latin1').equals(raw));
  const p = await c.cmd('p', `FETCH 1 BODY.PEEK[TEXT]<${1024 * 1024}.10>`);
  assert.match(p, new RegExp(`BODY\\[TEXT\\]<${1024 * 1024}> \\{10\\}\\r\\n`));
});

test('many messages: FETCH 1:* in batches, \\Seen set across batches; SEARCH over all', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  await c.cmd('c', 'CREATE Many');
  const info = await h.mailboxes.forAccount((await h.store.getAccount(USER))!).get('Many');
  for (let i = 1; i <= 450; i++) await h.store.append(info!.id, { raw: message(`m${i}`), parsed: (await import('../message/indexer.js')).indexMessage(message(`m${i}`)) });
  const sel = await c.cmd('s', 'SELECT Many');
  assert.match(sel, /^\* 450 EXISTS/m);
  const f = await c.cmd('f', 'FETCH 1:* (UID BODY[HEADER.FIELDS (SUBJECT)])');
  assert.equal((f.match(/^\* \d+ FETCH \(UID \d+ BODY\[HEADER.FIELDS \(SUBJECT\)\] \{\d+\}\r\nSubject: m\d+\r\n\r\n FLAGS \(\\Seen \\Recent\)\)/gm) ?? []).length, 450);
  assert.match(await c.cmd('q', 'SEARCH UNSEEN'), /^\* SEARCH\r\n/m);
  assert.match(await c.cmd('q2', 'SEARCH RETURN (COUNT) SEEN'), /COUNT 450/);
});

test('a selected mailbox deleted by another session ends the session with BYE', async (t) => {
  const a = await loggedIn(h);
  const b = await loggedIn(h);
  t.after(() => { a.close(); b.close(); });
  await a.cmd('c', 'CREATE Doomed');
  await b.cmd('s', 'SELECT Doomed');
  assert.match(await a.cmd('d', 'DELETE Doomed'), /^d OK/m);
  b.write('n NOOP\r\n');
  await b.waitFor(/^\* BYE[^\r\n]*\r\n/m);
  await b.waitClosed();
  assert.match(await a.cmd('n', 'NOOP'), /^n OK/m);
});

test('CONDSTORE via SELECT parameter; keywords; UTF-8 search with a literal', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  await c.cmd('c', 'CREATE U');
  await h.mailboxes.deliver(USER, Buffer.from('Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\nFrom: a@b.c\r\n\r\nSch\xc3\xb6ne Gr\xc3\xbc\xc3\x9fe\r\n', 'latin1'), { mailbox: 'U' });
  await h.mailboxes.deliver(USER, message('plain'), { mailbox: 'U' });
  const s = await c.cmd('s', 'SELECT U (CONDSTORE)');
  assert.match(s, /HIGHESTMODSEQ \d+/);
  const st = await c.cmd('t', 'STORE 2 +FLAGS ($Important)');
  assert.match(st, /^\* 2 FETCH \(FLAGS \(\$Important \\Recent\) MODSEQ \(\d+\)\)/m);
  assert.match(await c.cmd('k', 'SEARCH KEYWORD $Important'), /^\* SEARCH 2 \(MODSEQ \d+\)|^\* SEARCH 2\r\n/m);
  const word = Buffer.from('köln', 'utf8');
  c.write(`u SEARCH CHARSET UTF-8 SUBJECT {${word.length}+}\r\n`);
  c.write(Buffer.concat([word, Buffer.from('\r\n')]));
  assert.match(await c.waitFor(/^u (OK|NO|BAD)[^\r\n]*\r\n/m), /^\* SEARCH 1\r\n/m);
  const body = Buffer.from('SCHÖNE', 'utf8');
  c.write(`b SEARCH CHARSET UTF-8 BODY {${body.length}+}\r\n`);
  c.write(Buffer.concat([body, Buffer.from('\r\n')]));
  assert.match(await c.waitFor(/^b (OK|NO|BAD)[^\r\n]*\r\n/m), /^\* SEARCH 1\r\n/m);
  assert.match(await c.cmd('m', 'FETCH 1:2 (MODSEQ)'), /^\* 1 FETCH \(MODSEQ \(\d+\)\)/m);
});
