import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddressList } from './addresses.js';
import { decodeBytes } from './charset.js';
import { parseDate } from './date.js';
import { decodeHeaderValue, parseHeaderBlock } from './headers.js';
import { parseContentType, parseDisposition, parseEncoding } from './params.js';
import { decodeQuotedPrintable } from './transfer.js';

const A = (name: string | null, mailbox: string | null, host: string | null, adl: string | null = null) => ({ name, adl, mailbox, host });

test('addresses: phrases, quoted strings, comments, groups, routes, missing parts', () => {
  assert.deepEqual(parseAddressList('"Last, First" <a@b.c>'), [A('Last, First', 'a', 'b.c')]);
  assert.deepEqual(parseAddressList('a@b.c (Real Name)'), [A('Real Name', 'a', 'b.c')]);
  assert.deepEqual(parseAddressList('=?utf-8?q?J=C3=B6rg?= <j@x.de>'), [A('=?utf-8?q?J=C3=B6rg?=', 'j', 'x.de')]);
  assert.deepEqual(parseAddressList('Team:;'), [A(null, 'Team', null), A(null, null, null)]);
  assert.deepEqual(parseAddressList('Team: a@b, c@d'), [A(null, 'Team', null), A(null, 'a', 'b'), A(null, 'c', 'd'), A(null, null, null)]);
  assert.deepEqual(parseAddressList('<@r1,@r2:u@h>'), [A(null, 'u', 'h', '@r1,@r2')]);
  assert.deepEqual(parseAddressList('a . b @ example . com'), [A(null, 'a.b', 'example.com')]);
  assert.deepEqual(parseAddressList('"quoted local"@h'), [A(null, '"quoted local"', 'h')]);
  assert.deepEqual(parseAddressList('root'), [A(null, 'root', 'MISSING_DOMAIN')]);
  assert.deepEqual(parseAddressList('Name <a@b'), [A('Name', 'a', 'b')]);
  assert.deepEqual(parseAddressList('a@b, , ,c@d,'), [A(null, 'a', 'b'), A(null, 'c', 'd')]);
  assert.equal(parseAddressList(''), null);
  assert.equal(parseAddressList('   (just a comment) '), null);
});

test('Content-Type: parameters, quoting, RFC 2231, invalid values', () => {
  assert.deepEqual(parseContentType('text/plain; charset="us-ascii" (comment); format=flowed'),
    { type: 'text', subtype: 'plain', params: [['charset', 'us-ascii'], ['format', 'flowed']] });
  assert.deepEqual(parseContentType('Text/HTML;CHARSET=UTF-8'), { type: 'Text', subtype: 'HTML', params: [['charset', 'UTF-8']] });
  assert.deepEqual(parseContentType('application/x; name="a \\"b\\" c"')?.params, [['name', 'a "b" c']]);
  assert.deepEqual(parseContentType("application/x; name*=UTF-8''%F0%9F%93%8E.txt")?.params, [['name', '📎.txt']]);
  assert.deepEqual(parseContentType('application/x; a*1="y"; a*0="x"; b=1')?.params, [['a', 'xy'], ['b', '1']]);
  assert.deepEqual(parseContentType('application/x; name="plain"; name*=utf-8\'\'%C3%A9')?.params, [['name', 'é']]);
  assert.deepEqual(parseContentType('application/x; name=unquoted file name.pdf')?.params, [['name', 'unquoted file name.pdf']]);
  assert.equal(parseContentType('text'), null);
  assert.equal(parseContentType('/plain'), null);
  assert.equal(parseContentType(''), null);
  assert.deepEqual(parseDisposition('ATTACHMENT; filename=x.pdf'), { type: 'ATTACHMENT', params: [['filename', 'x.pdf']] });
  assert.equal(parseEncoding(' Base64 '), 'Base64');
  assert.equal(parseEncoding('?bad'), '7bit');
  assert.equal(parseEncoding(null), '7bit');
});

test('dates: RFC 5322 and broken forms', () => {
  const iso = (s: string): string | undefined => parseDate(s)?.toISOString();
  assert.equal(iso('Tue, 1 Jul 2003 10:52:37 +0200'), '2003-07-01T08:52:37.000Z');
  assert.equal(iso('1 Jul 2003 10:52 -0000 (comment)'), '2003-07-01T10:52:00.000Z');
  assert.equal(iso('Tue, 01 Jul 03 10:52:37 EDT'), '2003-07-01T14:52:37.000Z');
  assert.equal(iso('Tue, 1 July 2003 10:52:37 +02:00'), '2003-07-01T08:52:37.000Z');
  assert.equal(iso('Tue Jul  1 10:52:37 2003'), '2003-07-01T10:52:37.000Z');
  assert.equal(iso('2003-07-01T10:52:37Z'), '2003-07-01T10:52:37.000Z');
  assert.equal(iso('Thu, 13 Feb 1969 23:32:54 -0330'), '1969-02-14T03:02:54.000Z');
  assert.equal(parseDate('not a date'), null);
  assert.equal(parseDate('32 Foo 2003 10:00'), null);
  assert.equal(parseDate(null), null);
});

test('decodeHeaderValue: unfolding and RFC 2047, split multibyte words, lenient placement', () => {
  assert.equal(decodeHeaderValue(Buffer.from(' =?UTF-8?B?4oKs?=\r\n =?UTF-8?Q?_100?=')), '€ 100');
  // "€" (E2 82 AC) split across two encoded words
  assert.equal(decodeHeaderValue('=?utf-8?Q?=E2=82?= =?utf-8?Q?=AC?='), '€');
  assert.equal(decodeHeaderValue('Re:=?iso-8859-1?q?caf=E9?=!'), 'Re:café!');
  assert.equal(decodeHeaderValue('=?iso-2022-jp?B?GyRCRnxLXDhsGyhC?='), '日本語');
  assert.equal(decodeHeaderValue('=?no-such-charset?Q?abc?= plain'), 'abc plain');
  assert.equal(decodeHeaderValue(Buffer.from([0x63, 0x61, 0x66, 0xe9])), 'café');
  assert.equal(decodeHeaderValue('=?utf-8?Q?broken'), '=?utf-8?Q?broken');
});

test('charsets: known, misspelt, unknown', () => {
  assert.equal(decodeBytes(Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]), 'KOI8-R'), 'Привет');
  assert.equal(decodeBytes(Buffer.from([0x93, 0xfa]), 'x-sjis'), '日');
  assert.equal(decodeBytes(Buffer.from([0x93, 0x61, 0x94]), '"windows-1252"'), '“a”');
  assert.equal(decodeBytes(Buffer.from('é'), 'utf-8*en'), 'é');
  assert.equal(decodeBytes(Buffer.from('é'), 'bogus'), 'é');
  assert.equal(decodeBytes(Buffer.from([0xe9]), 'bogus'), 'é');
  assert.equal(decodeBytes(Buffer.from([0x61, 0, 0x62]), 'us-ascii'), 'a\uFFFDb');
});

test('parseHeaderBlock: byte ranges of each field with continuation lines', () => {
  const raw = Buffer.from('pre\r\nSubject: a\r\n b\r\nX-A : 1\nTo: x\r\n\r\nbody');
  const fields = parseHeaderBlock(raw, 5, raw.length);
  assert.deepEqual(fields.map((f) => [f.name, raw.subarray(f.start, f.end).toString()]), [
    ['subject', 'Subject: a\r\n b\r\n'], ['x-a', 'X-A : 1\n'], ['to', 'To: x\r\n'],
  ]);
});

test('an mbox "From " line before the header is skipped', () => {
  const raw = Buffer.from('From someone@example.com Mon Jan  1 00:00:00 2024\r\nSubject: hi\r\n\r\nbody\r\n');
  const fields = parseHeaderBlock(raw, 0, raw.length);
  assert.deepEqual(fields.map((f) => f.name), ['subject']);
});

test('quoted-printable: soft breaks, bad escapes', () => {
  assert.equal(decodeQuotedPrintable(Buffer.from('a=\r\nb=3D=zz=\nc =41')).toString('latin1'), 'ab==zzc A');
});
