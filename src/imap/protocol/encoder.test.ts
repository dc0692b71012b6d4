import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexMessage } from '../../message/indexer.js';
import { encodeBodyStructure, encodeEnvelope, quote, astring } from './encoder.js';
import { resolveSection, filterHeaderFields } from './sections.js';
import { parseSection } from './fetch-items.js';

const RAW = Buffer.from([
  'From: "Ann Example" <ann@example.org>',
  'To: undisclosed-recipients:;',
  'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
  'X-Long: first',
  '  continued',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  'preamble',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello body',
  '--b1',
  'Content-Type: message/rfc822',
  'Content-Disposition: attachment; filename="inner.eml"',
  '',
  'Subject: Inner',
  'From: x@y.z',
  '',
  'Inner text',
  '--b1--',
  '',
].join('\r\n'));

function bytes(src: ReturnType<typeof resolveSection>): string {
  if (src.kind === 'empty') return '<empty>';
  const b = RAW.subarray(src.start, src.end);
  return src.kind === 'fields' ? filterHeaderFields(b, src.fields, src.not).toString() : b.toString();
}

test('sections resolve to the right bytes of the raw message', () => {
  const m = indexMessage(RAW);
  const sec = (s: string): string => bytes(resolveSection(m, parseSection(s)));
  assert.equal(sec('1'), 'Hello body');
  assert.equal(sec('1.MIME'), 'Content-Type: text/plain; charset=utf-8\r\n\r\n');
  assert.equal(sec('2.HEADER'), 'Subject: Inner\r\nFrom: x@y.z\r\n\r\n');
  assert.equal(sec('2.TEXT'), 'Inner text');
  assert.equal(sec('2.1'), 'Inner text');
  assert.equal(sec('2.HEADER.FIELDS (FROM)'), 'From: x@y.z\r\n\r\n');
  assert.equal(sec('HEADER.FIELDS (x-long subject)'), 'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\nX-Long: first\r\n  continued\r\n\r\n');
  assert.ok(sec('HEADER.FIELDS.NOT (Subject X-Long To From)').startsWith('MIME-Version: 1.0\r\nContent-Type'));
  assert.equal(sec('3'), '<empty>');
  assert.equal(sec('1.HEADER'), '<empty>');
  assert.ok(sec('TEXT').startsWith('preamble\r\n--b1'));
  assert.ok(sec('HEADER').endsWith('boundary="b1"\r\n\r\n'));
});

test('BODYSTRUCTURE and ENVELOPE rendering', () => {
  const m = indexMessage(RAW);
  const bs = encodeBodyStructure(m.root, true);
  assert.match(bs, /^\(\("TEXT" "PLAIN" \("CHARSET" "utf-8"\) NIL NIL "7BIT" 10 \d+ NIL NIL NIL NIL\)\("MESSAGE" "RFC822" NIL NIL NIL "7BIT" \d+ \(NIL "Inner" \(\(NIL NIL "x" "y.z"\)\)/);
  assert.match(bs, /\("ATTACHMENT" \("FILENAME" "inner.eml"\)\) NIL NIL\) "MIXED" \("BOUNDARY" "b1"\) NIL NIL NIL\)$/);
  assert.doesNotMatch(encodeBodyStructure(m.root, false), /BOUNDARY|ATTACHMENT/);
  const env = encodeEnvelope(m.envelope);
  assert.match(env, /^\(NIL "=\?UTF-8\?Q\?Gr=C3=BC=C3=9Fe\?=" \(\("Ann Example" NIL "ann" "example.org"\)\)/);
  assert.match(env, /\(\(NIL NIL "undisclosed-recipients" NIL\)\(NIL NIL NIL NIL\)\)/);
});

test('strings: quoted when safe, literal otherwise', () => {
  assert.equal(quote('a "b" \\c'), '"a \\"b\\" \\\\c"');
  assert.equal(quote('line\r\nbreak'), '{11}\r\nline\r\nbreak');
  assert.equal(quote('Grüße'), '{7}\r\nGrüße');
  assert.equal(astring('INBOX'), 'INBOX');
  assert.equal(astring('NIL'), '"NIL"');
  assert.equal(astring('a b'), '"a b"');
});
