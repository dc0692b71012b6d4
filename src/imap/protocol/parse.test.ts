import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize, ImapSyntaxError } from './tokenizer.js';
import { parseSequenceSet, resolveStar, formatSequenceSet } from './seqset.js';
import { encodeMailboxName, decodeMailboxName, MailboxNameError } from './mutf7.js';
import { parseFetchItems } from './fetch-items.js';
import { parseSearchProgram, BadCharsetError } from './search-parse.js';
import { parseDateTime, formatDateTime, parseSearchDate } from './dates.js';

const tok = (s: string, lits: string[] = []): ReturnType<typeof tokenize> => tokenize(s.split('\u0001').map((p) => Buffer.from(p)), lits.map((l) => Buffer.from(l)));

test('tokenizer: atoms, quoted strings, literals, nested lists, bracketed atoms', () => {
  const t = tok('FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM "TO")]<0.5> ("a b" NIL))');
  assert.equal(t.length, 3);
  assert.deepEqual(t[1], { type: 'atom', value: '1:*' });
  const list = t[2];
  assert.equal(list.type, 'list');
  if (list.type !== 'list') return;
  assert.deepEqual(list.items[1], { type: 'atom', value: 'BODY.PEEK[HEADER.FIELDS (FROM "TO")]<0.5>' });
  assert.equal(list.items[2].type, 'list');
  const lit = tok('APPEND x \u0001', ['raw\r\nbytes']);
  assert.deepEqual(lit[2], { type: 'string', value: Buffer.from('raw\r\nbytes'), literal: true });
});

test('tokenizer refuses NUL, unbalanced parentheses, bad escapes and deep nesting', () => {
  assert.throws(() => tok('a\0b'), ImapSyntaxError);
  assert.throws(() => tok('(a b'), /missing "\)"/);
  assert.throws(() => tok('a)'), ImapSyntaxError);
  assert.throws(() => tok('"a\\x"'), /escape/);
  assert.throws(() => tok('"abc'), /Unterminated/);
  assert.throws(() => tok('('.repeat(100) + ')'.repeat(100)), /deeply/);
});

test('sequence sets stay ranges and resolve "*" like RFC 3501 says', () => {
  assert.deepEqual(parseSequenceSet('1:*'), [{ from: 1, to: Infinity }]);
  assert.deepEqual(parseSequenceSet('5:3,7'), [{ from: 3, to: 5 }, { from: 7, to: 7 }]);
  assert.deepEqual(resolveStar(parseSequenceSet('5:*')!, 3), [{ from: 3, to: 5 }]);
  for (const bad of ['', '0', '1:', ':2', '1,,2', 'a', '1:2:3', '4294967296', '-1']) assert.equal(parseSequenceSet(bad), null, bad);
  assert.equal(formatSequenceSet([1, 2, 3, 5, 7, 8]), '1:3,5,7:8');
});

test('modified UTF-7 round trip and strict decoding', () => {
  const cases: Array<[string, string]> = [
    ['Entwürfe', 'Entw&APw-rfe'], ['A&B', 'A&-B'], ['日本語', '&ZeVnLIqe-'], ['~peter/mail/台北/日本語', '~peter/mail/&U,BTFw-/&ZeVnLIqe-'],
    ['😀', '&2D3eAA-'],
  ];
  for (const [plain, enc] of cases) {
    assert.equal(encodeMailboxName(plain), enc);
    assert.equal(decodeMailboxName(enc), plain);
  }
  for (const bad of ['&', '&Jjo', '&AGE-', '&2D0-', '&ZeVnLIqe-&U,BTFw-', 'caf\u00e9', '&U,BTFw=-', '&AP-']) {
    assert.throws(() => decodeMailboxName(bad), MailboxNameError, bad);
  }
});

test('FETCH items: macros, sections, partials, legacy RFC822 names', () => {
  const items = parseFetchItems(tok('(UID BODY.PEEK[1.2.HEADER.FIELDS.NOT (x-a "X-B")]<10.20> RFC822.HEADER BODY[] BODY[3.MIME])')[0]);
  assert.equal(items.length, 5);
  const b = items[1];
  assert.ok(b.kind === 'body');
  if (b.kind !== 'body') return;
  assert.deepEqual(b.section, { path: [1, 2], spec: 'HEADER.FIELDS.NOT', fields: ['x-a', 'X-B'] });
  assert.deepEqual(b.partial, { offset: 10, length: 20 });
  assert.equal(b.label, 'BODY[1.2.HEADER.FIELDS.NOT (X-A X-B)]<10>');
  assert.equal(b.peek, true);
  assert.equal(items[2].kind === 'body' && items[2].label, 'RFC822.HEADER');
  assert.equal(parseFetchItems(tok('ALL')[0]).length, 4);
  for (const bad of ['BODY[HEADER.FIELDS ()]', 'BODY[MIME]', 'BODY[0]', 'BODY[1.X]', 'FOO', 'BODY[]<1.0>']) {
    assert.throws(() => parseFetchItems(tok(bad)[0]), ImapSyntaxError, bad);
  }
});

test('SEARCH programs parse to an AST; unknown charsets are refused', () => {
  const p = parseSearchProgram(tok('RETURN (MIN COUNT) CHARSET UTF-8 OR FROM alice (UNSEEN LARGER 100) NOT 1:5 UID 7:* SINCE 1-Feb-2024'), true);
  assert.deepEqual(p.returnOpts, ['MIN', 'COUNT']);
  assert.equal(p.charset, 'UTF-8');
  assert.equal(p.key.op, 'and');
  if (p.key.op !== 'and') return;
  assert.equal(p.key.keys[0].op, 'or');
  assert.deepEqual(p.key.keys[1], { op: 'not', key: { op: 'seq', set: [{ from: 1, to: 5 }] } });
  assert.throws(() => parseSearchProgram(tok('CHARSET KOI8-R ALL'), true), BadCharsetError);
  for (const bad of ['', 'FROM', 'OR ALL', 'BEFORE 32-Jan-2024', 'LARGER x', 'FOO', 'KEYWORD \\x(']) {
    assert.throws(() => parseSearchProgram(tok(bad), true), ImapSyntaxError, bad);
  }
});

test('dates', () => {
  const d = parseDateTime(' 7-Feb-2024 10:20:30 +0100');
  assert.equal(d?.toISOString(), '2024-02-07T09:20:30.000Z');
  assert.equal(formatDateTime(d!), '07-Feb-2024 09:20:30 +0000');
  assert.equal(parseDateTime('7-Feb-2024 10:20:30'), null);
  assert.equal(parseSearchDate('30-Feb-2024'), null);
  assert.equal(parseSearchDate('1-feb-2024')?.toISOString(), '2024-02-01T00:00:00.000Z');
});
