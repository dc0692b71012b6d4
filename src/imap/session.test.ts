import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, loggedIn, message, USER, type Harness } from './test-support.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

async function appendRaw(c: Awaited<ReturnType<typeof loggedIn>>, tag: string, box: string, raw: Buffer, flags = ''): Promise<string> {
  c.write(`${tag} APPEND ${box} ${flags ? `(${flags}) ` : ''}{${raw.length}+}\r\n`);
  c.write(Buffer.concat([raw, Buffer.from('\r\n')]));
  return c.waitFor(new RegExp(`^${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`, 'm'));
}

test('mailbox management: LIST with special-use and children, CREATE, RENAME, DELETE, STATUS, subscriptions', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  const list = await c.cmd('a', 'LIST "" "*"');
  assert.match(list, /^\* LIST \(\\HasNoChildren\) "\/" "INBOX"\r\n/m);
  assert.match(list, /^\* LIST \(\\HasNoChildren \\Sent\) "\/" "Sent"/m);
  assert.match(await c.cmd('b', 'CREATE "Entw&APw-rfe/2024"'), /^b OK/m);
  assert.match(await c.cmd('b2', 'CREATE "Entw&APw-rfe/2024"'), /^b2 NO \[ALREADYEXISTS\]/m);
  const l2 = await c.cmd('c', 'LIST "" "Entw&APw-rfe%"');
  assert.match(l2, /^\* LIST \(\\HasChildren\) "\/" "Entw&APw-rfe"/m);
  assert.doesNotMatch(l2, /2024/);
  assert.match(await c.cmd('d', 'RENAME "Entw&APw-rfe" Drafts2'), /^d OK/m);
  assert.match(await c.cmd('e', 'LIST "" "Drafts2/*"'), /"Drafts2\/2024"/);
  assert.match(await c.cmd('f', 'DELETE INBOX'), /^f NO/m);
  assert.match(await c.cmd('g', 'DELETE Nope'), /^g NO \[NONEXISTENT\]/m);
  assert.match(await c.cmd('h', 'CREATE "bad&name"'), /^h (NO|BAD)/m);
  assert.match(await c.cmd('h2', 'CREATE "a/../b"'), /^h2 NO \[CANNOT\]/m);
  assert.match(await c.cmd('i', 'SUBSCRIBE Drafts2'), /^i OK/m);
  assert.match(await c.cmd('j', 'LSUB "" "*"'), /^\* LSUB \(\) "\/" "Drafts2"/m);
  const ext = await c.cmd('k', 'LIST (SPECIAL-USE) "" "*" RETURN (SUBSCRIBED STATUS (MESSAGES UIDNEXT SIZE))');
  assert.match(ext, /^\* LIST \([^)]*\\Trash[^)]*\) "\/" "Trash"\r\n\* STATUS "Trash" \(MESSAGES 0 UIDNEXT \d+ SIZE 0\)/m);
  assert.doesNotMatch(ext, /"INBOX"/);
  assert.match(await c.cmd('l', 'STATUS INBOX (MESSAGES UNSEEN UIDVALIDITY HIGHESTMODSEQ)'), /^\* STATUS "INBOX" \(MESSAGES \d+ UNSEEN \d+ UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)/m);
  assert.match(await c.cmd('m', 'NAMESPACE'), /^\* NAMESPACE \(\("" "\/"\)\) NIL NIL/m);
  assert.match(await c.cmd('n', 'DELETE Drafts2/2024'), /^n OK/m);
});

test('APPEND, SELECT, FETCH items and body sections, \\Seen on non-peek fetch', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  assert.match(await c.cmd('c0', 'CREATE Work'), /^c0 OK/m);
  const raw = message('First', 'Line one\r\nLine two\r\n');
  const ap = await appendRaw(c, 'a1', 'Work', raw, '\\Flagged $Label');
  assert.match(ap, /^a1 OK \[APPENDUID \d+ 1\]/m);
  assert.match(await appendRaw(c, 'a2', 'Nowhere', raw), /^a2 NO \[TRYCREATE\]/m);
  c.write('a3 APPEND Work "05-Feb-2024 10:00:00 +0100" {' + raw.length + '}\r\n');
  await c.waitFor(/^\+ [^\r\n]*\r\n/m);
  c.write(Buffer.concat([raw, Buffer.from('\r\n')]));
  assert.match(await c.waitFor(/^a3 (OK|NO|BAD)[^\r\n]*\r\n/m), /^a3 OK \[APPENDUID \d+ 2\]/m);
  const sel = await c.cmd('s', 'SELECT Work');
  assert.match(sel, /^\* 2 EXISTS/m);
  assert.match(sel, /^\* 2 RECENT/m);
  assert.match(sel, /^\* OK \[UNSEEN 1\]/m);
  assert.match(sel, /^\* OK \[UIDNEXT 3\]/m);
  assert.match(sel, /^\* OK \[PERMANENTFLAGS \(.*\\\*\)\]/m);
  assert.match(sel, /^s OK \[READ-WRITE\]/m);
  const f = await c.cmd('f1', 'FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE)');
  assert.match(f, new RegExp(`^\\* 1 FETCH \\(UID 1 FLAGS \\((?=[^)]*\\\\Flagged)(?=[^)]*\\$Label)(?=[^)]*\\\\Recent)[^)]*\\) RFC822.SIZE ${raw.length} INTERNALDATE "[^"]+"\\)`, 'm'));
  assert.match(f, /^\* 2 FETCH \(UID 2 FLAGS \(\\Recent\) RFC822.SIZE \d+ INTERNALDATE "05-Feb-2024 09:00:00 \+0000"\)/m);
  const body = await c.cmd('f2', 'UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (Subject)] BODY.PEEK[TEXT]<5.3> ENVELOPE)');
  assert.match(body, /BODY\[HEADER.FIELDS \(SUBJECT\)\] \{18\}\r\nSubject: First\r\n\r\n/);
  assert.match(body, /BODY\[TEXT\]<5> \{3\}\r\none/);
  assert.match(body, /ENVELOPE \("Mon, 5 Feb 2024 10:00:00 \+0000" "First" \(\("Bob" NIL "bob" "example.org"\)\)/);
  assert.doesNotMatch(body, /\\Seen/);
  const full = await c.cmd('f3', 'FETCH 2 BODY[]');
  assert.ok(full.includes(`BODY[] {${raw.length}}\r\n${raw.toString('latin1')}`));
  assert.match(full, /FLAGS \(\\Seen \\Recent\)/);
  const bs = await c.cmd('f4', 'FETCH 1 (BODYSTRUCTURE BODY)');
  assert.match(bs, /BODYSTRUCTURE \("TEXT" "PLAIN" /);
  assert.match(await c.cmd('f5', 'FETCH 1 (FOO)'), /^f5 BAD/m);
  assert.match(await c.cmd('f6', 'FETCH 5 FLAGS'), /^f6 BAD/m);
  assert.match(await c.cmd('f6b', 'UID FETCH 5:9 FLAGS'), /^f6b OK/m);
  assert.match(await c.cmd('f7', 'FETCH 1 RFC822.HEADER'), /RFC822.HEADER \{\d+\}\r\nFrom: Bob/);
  assert.match(await c.cmd('z', 'LOGOUT'), /^\* BYE/m);
});

test('STORE, SEARCH, ESEARCH, COPY, MOVE, EXPUNGE, UID EXPUNGE, CONDSTORE', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  await c.cmd('c0', 'CREATE Box');
  for (let i = 1; i <= 5; i++) assert.match(await appendRaw(c, `a${i}`, 'Box', message(`Msg ${i}`, `Body number ${i} with needle${i % 2}\r\n`)), /OK/);
  assert.match(await c.cmd('e', 'ENABLE CONDSTORE'), /^\* ENABLED CONDSTORE/m);
  const sel = await c.cmd('s', 'SELECT Box');
  const hms = Number(/HIGHESTMODSEQ (\d+)/.exec(sel)![1]);
  const st = await c.cmd('t1', 'STORE 1:2 +FLAGS (\\Deleted)');
  assert.match(st, /^\* 1 FETCH \(FLAGS \(\\Deleted \\Recent\) MODSEQ \(\d+\)\)/m);
  assert.doesNotMatch(await c.cmd('t2', 'STORE 3 +FLAGS.SILENT (\\Seen)'), /FETCH/);
  const cond = await c.cmd('t3', `STORE 3,4 (UNCHANGEDSINCE ${hms}) +FLAGS (\\Flagged)`);
  assert.match(cond, /^t3 OK \[MODIFIED 3\]/m);
  assert.match(await c.cmd('q1', 'SEARCH DELETED'), /^\* SEARCH 1 2\r\n/m);
  assert.match(await c.cmd('q2', 'UID SEARCH BODY needle1 NOT DELETED'), /^\* SEARCH 3 5\r\n/m);
  assert.match(await c.cmd('q3', 'SEARCH SUBJECT "msg 4"'), /^\* SEARCH 4\r\n/m);
  assert.match(await c.cmd('q4', 'SEARCH RETURN (MIN MAX COUNT ALL) OR SEEN FLAGGED'), /^\* ESEARCH \(TAG "q4"\) MIN 3 MAX 4 COUNT 2 ALL 3:4\r\n/m);
  assert.match(await c.cmd('q5', 'SEARCH CHARSET KOI8-R ALL'), /^q5 NO \[BADCHARSET \(UTF-8 US-ASCII\)\]/m);
  assert.match(await c.cmd('q6', `SEARCH MODSEQ ${hms + 1}`), /^\* SEARCH 1 2 3 4 \(MODSEQ \d+\)/m);
  assert.match(await c.cmd('q7', 'SEARCH SINCE 1-Jan-2000 SENTON 5-Feb-2024 LARGER 10'), /^\* SEARCH 1 2 3 4 5\r\n/m);
  assert.match(await c.cmd('q8', 'SEARCH FROZ'), /^q8 BAD/m);
  const cp = await c.cmd('k1', 'COPY 3:4 Trash');
  assert.match(cp, /^k1 OK \[COPYUID \d+ 3:4 \d+(:\d+)?\]/m);
  assert.match(await c.cmd('k2', 'COPY 1 Nope'), /^k2 NO \[TRYCREATE\]/m);
  const mv = await c.cmd('m1', 'UID MOVE 5 Archive');
  assert.match(mv, /^\* OK \[COPYUID \d+ 5 \d+\][^\r\n]*\r\n\* 5 EXPUNGE\r\n/m);
  const fc = await c.cmd('f1', `FETCH 1:* (FLAGS) (CHANGEDSINCE ${hms})`);
  assert.match(fc, /^\* 1 FETCH \(FLAGS \([^)]*\) MODSEQ \(\d+\)\)/m);
  const ux = await c.cmd('x1', 'UID EXPUNGE 2');
  assert.match(ux, /^\* 2 EXPUNGE\r\nx1 OK/m);
  const ex = await c.cmd('x2', 'EXPUNGE');
  assert.match(ex, /^\* 1 EXPUNGE\r\nx2 OK/m);
  const rest = await c.cmd('f2', 'UID FETCH 1:* (FLAGS)');
  assert.match(rest, /^\* 1 FETCH \(UID 3 /m);
  assert.match(rest, /^\* 2 FETCH \(UID 4 /m);
  assert.match(await c.cmd('cl', 'CLOSE'), /^cl OK/m);
  assert.match(await c.cmd('f3', 'FETCH 1 FLAGS'), /^f3 BAD/m);
  const ex2 = await c.cmd('ex', 'EXAMINE Box');
  assert.match(ex2, /^ex OK \[READ-ONLY\]/m);
  assert.match(await c.cmd('t4', 'STORE 1 +FLAGS (\\Seen)'), /^t4 NO/m);
  assert.match(await c.cmd('un', 'UNSELECT'), /^un OK/m);
});

test('two sessions: EXISTS, FETCH flag updates, EXPUNGE held during FETCH, IDLE', async (t) => {
  const a = await loggedIn(h);
  const b = await loggedIn(h);
  t.after(() => { a.close(); b.close(); });
  await a.cmd('c', 'CREATE Shared');
  await appendRaw(a, 'p1', 'Shared', message('one'));
  await appendRaw(a, 'p2', 'Shared', message('two'));
  await a.cmd('s', 'SELECT Shared');
  await b.cmd('s', 'SELECT Shared');
  // Flag change by A is seen by B at its next command.
  await a.cmd('t', 'STORE 1 +FLAGS.SILENT (\\Flagged)');
  assert.match(await b.cmd('n', 'NOOP'), /^\* 1 FETCH \(FLAGS \(\\Flagged\)\)/m);
  // Expunge by A: not announced to B during FETCH, announced at NOOP.
  await a.cmd('d', 'STORE 1 +FLAGS.SILENT (\\Deleted)');
  await a.cmd('x', 'EXPUNGE');
  const during = await b.cmd('f', 'FETCH 1:* (FLAGS)');
  assert.doesNotMatch(during, /EXPUNGE/);
  assert.match(await b.cmd('n2', 'NOOP'), /^\* 1 EXPUNGE/m);
  // IDLE: a delivery reaches B.
  b.write('i IDLE\r\n');
  await b.waitFor(/^\+ [^\r\n]*\r\n/m);
  await h.mailboxes.deliver(USER, message('three'), { mailbox: 'Shared' });
  await b.waitFor(/^\* 2 EXISTS\r\n/m);
  b.write('DONE\r\n');
  assert.match(await b.waitFor(/^i (OK|BAD|NO)[^\r\n]*\r\n/m), /^i OK/m);
});

test('bad input after login: unknown command, wrong state, garbage', async (t) => {
  const c = await loggedIn(h);
  t.after(() => c.close());
  assert.match(await c.cmd('a', 'FROBNICATE'), /^a BAD/m);
  assert.match(await c.cmd('b', 'FETCH 1 FLAGS'), /^b BAD/m);
  assert.match(await c.cmd('c', 'SELECT'), /^c BAD/m);
  assert.match(await c.cmd('d', 'LOGIN a b'), /^d BAD/m);
  assert.match(await c.cmd('e', 'SELECT "unterminated'), /^e BAD/m);
  assert.match(await c.cmd('f', 'UID NOOP'), /^f BAD/m);
  assert.match(await c.cmd('g', 'NOOP'), /^g OK/m);
});
