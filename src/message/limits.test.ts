import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHeaderBlock } from './headers.js';
import { indexMessage } from './indexer.js';
import { MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_NESTING_DEPTH, MAX_PARTS, MAX_SEARCH_TEXT } from './limits.js';
import type { BodyPart } from './types.js';

function depthOf(root: BodyPart): { depth: number; leaf: BodyPart } {
  let depth = 0;
  let p = root;
  for (;;) {
    const next = p.parts?.[0] ?? p.message;
    if (!next) return { depth, leaf: p };
    p = next;
    depth++;
  }
}

test('a 10,000-deep nested multipart is described down to the depth limit, then as an opaque leaf', (t) => {
  const levels = 10_000;
  const chunks: string[] = [];
  for (let i = 0; i < levels; i++) chunks.push(`Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`);
  chunks.push('Content-Type: text/plain\r\n\r\ndeep\r\n');
  for (let i = levels - 1; i >= 0; i--) chunks.push(`--b${i}--\r\n`);
  const raw = Buffer.from(chunks.join(''));
  const started = process.hrtime.bigint();
  const msg = indexMessage(raw);
  t.diagnostic(`indexed ${raw.length} bytes in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  const { depth, leaf } = depthOf(msg.root);
  assert.equal(depth, MAX_NESTING_DEPTH);
  assert.equal(leaf.type, 'text');
  assert.equal(leaf.subtype, 'plain');
  assert.equal(raw.subarray(leaf.headerStart, leaf.headerStart + 40).toString(), `Content-Type: multipart/mixed; boundary=`);
  assert.ok(msg.problems.some((p) => p.includes('nesting depth limit')));
});

test('a 10,000-deep chain of message/rfc822 is bounded the same way', () => {
  const raw = Buffer.from('Content-Type: message/rfc822\r\n\r\n'.repeat(10_000) + 'Subject: bottom\r\n\r\nhi\r\n');
  const msg = indexMessage(raw);
  const { depth, leaf } = depthOf(msg.root);
  assert.equal(depth, MAX_NESTING_DEPTH);
  assert.equal(leaf.type, 'text');
  assert.equal(leaf.bodyEnd, raw.length);
});

test('100,000 header lines: the header end is still found, at most MAX_HEADER_FIELDS are parsed', (t) => {
  const lines: string[] = ['Subject: first wins'];
  for (let i = 0; i < 100_000; i++) lines.push(`X-Filler-${i}: value ${i}`);
  lines.push('Subject: too late');
  const head = lines.join('\r\n') + '\r\n\r\n';
  const raw = Buffer.from(head + 'the body\r\n');
  const started = process.hrtime.bigint();
  const msg = indexMessage(raw);
  t.diagnostic(`indexed ${raw.length} bytes in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  assert.equal(msg.root.bodyStart, Buffer.byteLength(head));
  assert.equal(raw.subarray(msg.root.bodyStart).toString(), 'the body\r\n');
  assert.equal(msg.envelope.subject, 'first wins');
  assert.equal(parseHeaderBlock(raw, 0, msg.root.bodyStart).length, MAX_HEADER_FIELDS);
  assert.ok(msg.search.headers.length <= MAX_HEADER_FIELDS);
  assert.ok(msg.search.body.includes('the body'));
});

test('a multipart with more parts than MAX_PARTS keeps the first ones', () => {
  const n = MAX_PARTS + 500;
  const raw = Buffer.from('Content-Type: multipart/mixed; boundary=x\r\n\r\n' + '--x\r\n\r\np\r\n'.repeat(n) + '--x--\r\n');
  const msg = indexMessage(raw);
  assert.equal(msg.root.parts!.length, MAX_PARTS - 1);
  assert.ok(msg.problems.some((p) => p.includes('part limit')));
});

test('a huge header field is cut at MAX_HEADER_FIELD_BYTES, the raw bytes stay whole', () => {
  const subject = 'a'.repeat(MAX_HEADER_FIELD_BYTES * 4);
  const raw = Buffer.from(`Subject: ${subject}\r\n\r\nbody\r\n`);
  const msg = indexMessage(raw);
  assert.ok(msg.envelope.subject!.length <= MAX_HEADER_FIELD_BYTES);
  assert.equal(msg.root.bodyStart, raw.length - 6);
});

test('search text is capped at MAX_SEARCH_TEXT', () => {
  const raw = Buffer.from('Content-Type: text/plain\r\n\r\n' + 'word '.repeat(MAX_SEARCH_TEXT / 2));
  const msg = indexMessage(raw);
  assert.equal(msg.search.body.length, MAX_SEARCH_TEXT);
  assert.ok(msg.problems.some((p) => p.includes('search text truncated')));
});

test('random garbage never throws and always yields a consistent description', () => {
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const pieces = ['\r\n', '\n', '--b\r\n', '--b--\r\n', 'Content-Type: multipart/mixed; boundary=b\r\n', 'Content-Type: message/rfc822\r\n',
    ': x\r\n', ' folded\r\n', '\0', '\xff', 'From: a@b\r\n', '=?utf-8?B?', 'Content-Transfer-Encoding: base64\r\n', 'text'];
  for (let i = 0; i < 300; i++) {
    let s = '';
    const len = Math.floor(rnd() * 60);
    for (let j = 0; j < len; j++) s += pieces[Math.floor(rnd() * pieces.length)];
    const raw = Buffer.from(s, 'latin1');
    const msg = indexMessage(raw);
    assert.equal(msg.root.headerStart, 0);
    assert.equal(msg.root.bodyEnd, raw.length);
    assert.ok(!msg.problems.some((p) => p.startsWith('indexer error')), `${JSON.stringify(s)}: ${msg.problems.join('; ')}`);
  }
});

test('adversarial header and body shapes are handled in linear time (no regex backtracking)', (t) => {
  const big = 60_000;
  const raw = Buffer.from([
    `To: a@b${':'.repeat(big)}`,
    `Cc: ${'['.repeat(big)}`,
    `Bcc: ${'(('.repeat(big / 2)}`,
    `Subject: ${'=?'.repeat(big / 2)}`,
    `Date: 1 ${' '.repeat(big)}x`,
    `Content-Type: text/html; name=a${' '.repeat(big)}b; ${'x*1=y;'.repeat(big / 6)}`,
    `Content-Disposition: attachment; filename=${' '.repeat(big)}(`,
    '',
    '<'.repeat(big) + '<script'.repeat(big / 7) + '&amp'.repeat(big / 4),
  ].join('\r\n'));
  const started = process.hrtime.bigint();
  const msg = indexMessage(raw);
  t.diagnostic(`indexed ${raw.length} bytes in ${Number(process.hrtime.bigint() - started) / 1e6} ms`);
  assert.equal(msg.root.subtype, 'html');
  assert.equal(msg.root.bodyEnd, raw.length);
  assert.ok(!msg.problems.some((p) => p.startsWith('indexer error')));
});
