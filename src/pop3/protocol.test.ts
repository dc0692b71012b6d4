import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LineFramer, PopBodyEncoder, PopSizeCounter, TopLimiter, decodeBase64Strict, multiLine, parseCommand,
  parseNumber, popSize, type Frame,
} from './protocol.js';

function splits(buf: Buffer): Buffer[][] {
  const out: Buffer[][] = [[buf]];
  for (let i = 1; i < buf.length; i++) out.push([buf.subarray(0, i), buf.subarray(i)]);
  out.push([...buf].map((b) => Buffer.from([b])));
  return out;
}

function encode(parts: Buffer[]): string {
  const enc = new PopBodyEncoder();
  const out = parts.map((p) => enc.push(p));
  out.push(enc.end());
  return Buffer.concat(out).toString('latin1');
}

test('framer splits CRLF and bare-LF lines at every offset', () => {
  const input = Buffer.from('USER alice\r\nPASS p w\nSTAT\r\n');
  for (const parts of splits(input)) {
    const f = new LineFramer(() => 512);
    const frames = parts.flatMap((p) => f.feed(p));
    assert.deepEqual(frames, [
      { kind: 'line', line: 'USER alice' }, { kind: 'line', line: 'PASS p w' }, { kind: 'line', line: 'STAT' },
    ]);
  }
});

test('framer reports an over-long line once, discards it and goes on', () => {
  const input = Buffer.from('X'.repeat(100) + '\r\nNOOP\r\n');
  for (const parts of splits(input)) {
    const f = new LineFramer(() => 40);
    const frames: Frame[] = parts.flatMap((p) => f.feed(p));
    assert.deepEqual(frames, [{ kind: 'too-long' }, { kind: 'line', line: 'NOOP' }]);
  }
  const f = new LineFramer(() => 6);
  assert.deepEqual(f.feed(Buffer.from('NOOP\r\n')), [{ kind: 'line', line: 'NOOP' }]);
  assert.deepEqual(f.feed(Buffer.from('NOOPX\r\n')), [{ kind: 'too-long' }]);
});

test('framer limit can depend on how the line starts (a long AUTH line), at every split offset', () => {
  const long = 'A'.repeat(60);
  const input = Buffer.from(`AUTH XOAUTH2 ${long}\r\nNOOP ${long}\r\nauth x\r\n`);
  for (const parts of splits(input)) {
    const f = new LineFramer((head) => (/^AUTH /i.test(head) ? 100 : 40));
    const frames: Frame[] = parts.flatMap((p) => f.feed(p));
    assert.deepEqual(frames, [{ kind: 'line', line: `AUTH XOAUTH2 ${long}` }, { kind: 'too-long' }, { kind: 'line', line: 'auth x' }]);
  }
});

test('framer clear() drops a partial line', () => {
  const f = new LineFramer(() => 512);
  assert.deepEqual(f.feed(Buffer.from('CA')), []);
  f.clear();
  assert.deepEqual(f.feed(Buffer.from('PA\r\n')), [{ kind: 'line', line: 'PA' }]);
});

test('parseCommand and parseNumber', () => {
  assert.deepEqual(parseCommand('retr 1'), { verb: 'RETR', args: ['1'], rest: '1' });
  assert.deepEqual(parseCommand('PASS a b  c'), { verb: 'PASS', args: ['a', 'b', 'c'], rest: 'a b  c' });
  assert.equal(parseCommand('   '), null);
  assert.equal(parseNumber('12'), 12);
  assert.equal(parseNumber('-1'), null);
  assert.equal(parseNumber('1x'), null);
  assert.equal(parseNumber('99999999999'), null);
  assert.equal(parseNumber(undefined), null);
});

test('strict base64', () => {
  assert.equal(decodeBase64Strict('AGFsaWNlAHB3')?.toString('latin1'), '\0alice\0pw');
  assert.equal(decodeBase64Strict('=')?.length, 0);
  assert.equal(decodeBase64Strict('AGFsa*'), null);
  assert.equal(decodeBase64Strict('AGF'), null);
});

test('multi-line replies are dot-stuffed', () => {
  assert.equal(multiLine('Capability list follows', ['TOP', '.X']), '+OK Capability list follows\r\nTOP\r\n..X\r\n.\r\n');
});

test('body encoder: CRLF message unchanged apart from dot-stuffing, at every split', () => {
  const msg = Buffer.from('Subject: x\r\n\r\n.hidden\r\nline\r\n..two\r\n.\r\nend\r\n');
  const want = 'Subject: x\r\n\r\n..hidden\r\nline\r\n...two\r\n..\r\nend\r\n.\r\n';
  for (const parts of splits(msg)) assert.equal(encode(parts), want);
  assert.equal(popSize(msg), msg.length);
});

test('body encoder: bare LF becomes CRLF; size counts exactly the octets sent before stuffing', () => {
  const msg = Buffer.from('A: b\n\n.dot\nmid\r\nx\rq\nlast');
  const want = 'A: b\r\n\r\n..dot\r\nmid\r\nx\rq\r\nlast\r\n.\r\n';
  for (const parts of splits(msg)) {
    assert.equal(encode(parts), want);
    const c = new PopSizeCounter();
    for (const p of parts) c.push(p);
    assert.equal(c.size, 'A: b\r\n\r\n.dot\r\nmid\r\nx\rq\r\nlast'.length);
  }
});

test('body encoder: empty message and message starting with a dot', () => {
  assert.equal(encode([]), '.\r\n');
  assert.equal(encode([Buffer.from('.')]), '..\r\n.\r\n');
});

function top(msg: Buffer, parts: Buffer[], k: number): string {
  const lim = new TopLimiter(k);
  const out: Buffer[] = [];
  for (const p of parts) {
    out.push(lim.push(p));
    if (lim.done) break;
  }
  void msg;
  return Buffer.concat(out).toString('latin1');
}

test('TOP limiter: header, blank line and k body lines, CRLF or LF, at every split', () => {
  const crlf = Buffer.from('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n');
  const lf = Buffer.from('A: 1\nB: 2\n\nl1\nl2\nl3\n');
  for (const parts of splits(crlf)) {
    assert.equal(top(crlf, parts, 0), 'A: 1\r\nB: 2\r\n\r\n');
    assert.equal(top(crlf, parts, 2), 'A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n');
    assert.equal(top(crlf, parts, 9), crlf.toString('latin1'));
  }
  for (const parts of splits(lf)) {
    assert.equal(top(lf, parts, 1), 'A: 1\nB: 2\n\nl1\n');
  }
  const noBody = Buffer.from('A: 1\r\nB: 2');
  assert.equal(top(noBody, [noBody], 3), 'A: 1\r\nB: 2');
});
