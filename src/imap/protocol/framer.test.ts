import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapFramer, type FrameResult } from './framer.js';
import { tokenizeCommand } from './tokenizer.js';

const LIMITS = { maxLineSize: 1024, maxLiteralSize: 4096 };

/** Feeds `input` split at `cut`, collecting every result (continuations answered at once). */
function run(input: Buffer, cuts: number[], limits = LIMITS): FrameResult[] {
  const f = new ImapFramer(limits);
  const out: FrameResult[] = [];
  let prev = 0;
  for (const cut of [...cuts, input.length]) {
    f.push(input.subarray(prev, cut));
    prev = cut;
    for (let r = f.take(); r; r = f.take()) out.push(r);
  }
  return out;
}

function summary(results: FrameResult[]): string[] {
  return results.map((r) => {
    if (r.kind === 'continue') return `+${r.size}`;
    if (r.kind === 'error') return `E:${r.tag}:${r.reason}:${r.fatal}`;
    let t;
    try { t = tokenizeCommand(r.parts, r.literals); } catch { return 'SYNTAX'; }
    return `${t.tag} ${JSON.stringify(t.tokens.map((x) => (x.type === 'string' ? x.value.toString() : x.type === 'atom' ? x.value : `(${x.items.length})`)))}`;
  });
}

const SAMPLES = [
  'a1 LOGIN alice "se cr\\"et"\r\n',
  'a2 APPEND INBOX (\\Seen) {11}\r\nhello\r\nworl FLAGS\r\n',
  'a3 APPEND INBOX {5+}\r\nhello\r\na4 NOOP\r\n',
  'a5 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>)\r\n',
  'a6 LOGIN {5}\r\nalice {3}\r\npw!\r\na7 NOOP\n',
  'a8 UID SEARCH CHARSET UTF-8 OR SUBJECT {6}\r\nGr\xc3\xbc\xc3\x9f UNSEEN\r\n',
  'a9 UID STORE 1:3,5 (UNCHANGEDSINCE 12) +FLAGS.SILENT (\\Seen $Junk)\r\n',
  'b0 SELECT "Entw&APw-rfe" (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n',
  'b1 LIST (SUBSCRIBED) "" ("INBOX" "Sent/%") RETURN (CHILDREN STATUS (MESSAGES))\r\n',
  'b2 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\nb3 IDLE\r\nDONE\r\n',
];

test('every sample framed the same way at every split offset, and at two offsets', () => {
  for (const s of SAMPLES) {
    const input = Buffer.from(s);
    const whole = summary(run(input, []));
    assert.ok(whole.length > 0);
    for (let i = 1; i < input.length; i++) {
      assert.deepEqual(summary(run(input, [i])), whole, `split at ${i} of ${JSON.stringify(s)}`);
      for (let j = i + 1; j < input.length; j += 3) assert.deepEqual(summary(run(input, [i, j])), whole);
    }
  }
});

test('a synchronising literal asks for continuation; a non-synchronising one does not', () => {
  assert.deepEqual(summary(run(Buffer.from(SAMPLES[1]), [])), ['+11', 'a2 ["APPEND","INBOX","(1)","hello\\r\\nworl","FLAGS"]']);
  assert.deepEqual(summary(run(Buffer.from(SAMPLES[2]), [])), ['a3 ["APPEND","INBOX","hello"]', 'a4 ["NOOP"]']);
});

test('an over-limit synchronising literal is refused before "+" and its bytes are not run', () => {
  const input = Buffer.from('b1 APPEND INBOX {5000}\r\nb2 DELETE INBOX\r\n');
  for (let i = 1; i < input.length; i++) {
    const res = summary(run(input, [i]));
    assert.equal(res[0], 'E:b1:literal-too-big:false');
    assert.ok(!res.some((r) => r.startsWith('+')), 'no continuation for a refused literal');
    // Bytes that arrived together with the refused line are dropped, never run as commands.
    if (i > 'b1 APPEND INBOX {5000}\r\n'.length) assert.ok(!res.includes('b2 ["DELETE","INBOX"]'), `split at ${i}`);
  }
  assert.deepEqual(summary(run(input, [])), ['E:b1:literal-too-big:false']);
  {
  }
});

test('an over-limit non-synchronising literal is fatal', () => {
  const res = summary(run(Buffer.from('c1 APPEND INBOX {5000+}\r\nxxxx'), []));
  assert.deepEqual(res, ['E:c1:literal-too-big:true']);
});

test('an over-long line is skipped to its end and reported, then framing goes on', () => {
  const long = 'd1 NOOP ' + 'x'.repeat(3000) + '\r\nd2 NOOP\r\n';
  const input = Buffer.from(long);
  for (const cut of [5, 100, 1500, 3005, input.length - 3]) {
    assert.deepEqual(summary(run(input, [cut])), ['E:d1:line-too-long:false', 'd2 ["NOOP"]']);
  }
});

test('drain hands over unconsumed bytes; discard drops them', () => {
  const f = new ImapFramer(LIMITS);
  f.push(Buffer.from('e1 LOGIN a b\r\ne2 SELECT INBOX\r\ne3 NO'));
  const first = f.take();
  assert.equal(first?.kind, 'command');
  assert.equal(f.drain().toString(), 'e2 SELECT INBOX\r\ne3 NO');
  f.push(Buffer.from('e4 NOOP\r\n'));
  f.discard();
  assert.equal(f.take(), null);
});
