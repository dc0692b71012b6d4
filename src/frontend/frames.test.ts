// Hand-off framing and header validation: frames decode the same at every split, oversized or
// unknown frames are refused, and headers are validated strictly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameError, encodeData, encodeFrame, encodeJson, parseJsonFrame, DATA_CHUNK, type Frame } from './frames.js';
import { validateHeader } from './header.js';

const stream = Buffer.concat([
  encodeFrame('P', Buffer.alloc(32, 7)),
  encodeJson({ protocol: 'imap4', account: 'ann@example.test', n: 'é' }),
  encodeFrame('D', Buffer.alloc(0)),
  encodeFrame('D', 'A1 NOOP\r\n'),
  encodeFrame('E', 'quit'),
]);

function summary(frames: Frame[]): string[] {
  return frames.map((f) => `${f.type}:${f.payload.toString('hex')}`);
}

test('frames decode identically when the stream is split at every byte offset (and byte by byte)', () => {
  const whole = summary(new FrameDecoder().feed(stream));
  assert.equal(whole.length, 5);
  for (let i = 0; i <= stream.length; i++) {
    const d = new FrameDecoder();
    const got = [...d.feed(stream.subarray(0, i)), ...d.feed(stream.subarray(i))];
    assert.deepEqual(summary(got), whole, `split at ${i}`);
    assert.equal(d.pending, 0);
  }
  const d = new FrameDecoder();
  const bytewise: Frame[] = [];
  for (let i = 0; i < stream.length; i++) bytewise.push(...d.feed(stream.subarray(i, i + 1)));
  assert.deepEqual(summary(bytewise), whole);
});

test('a J frame parses to its object; unknown types and oversized frames are refused', () => {
  const [, j] = new FrameDecoder().feed(stream);
  assert.deepEqual(parseJsonFrame(j!), { protocol: 'imap4', account: 'ann@example.test', n: 'é' });
  assert.throws(() => parseJsonFrame({ type: 'J', payload: Buffer.from('[1]') }), FrameError);
  assert.throws(() => parseJsonFrame({ type: 'J', payload: Buffer.from('{nope') }), FrameError);
  assert.throws(() => new FrameDecoder().feed(Buffer.from('X\0\0\0\0')), /unknown frame type/);
  const big = Buffer.alloc(5);
  big[0] = 'D'.charCodeAt(0);
  big.writeUInt32BE(2_000_000, 1);
  assert.throws(() => new FrameDecoder().feed(big), /larger than/);
});

test('large data is split into chunks that reassemble exactly', () => {
  const data = Buffer.alloc(DATA_CHUNK * 2 + 17, 0x61);
  const frames = new FrameDecoder().feed(Buffer.concat(encodeData(data)));
  assert.equal(frames.length, 3);
  assert.deepEqual(Buffer.concat(frames.map((f) => f.payload)), data);
});

test('headers: a good IMAP header passes; bad fields are named', () => {
  const good = { protocol: 'imap4', account: 'ann@example.test', mechanism: 'PLAIN', clientAddress: '192.0.2.7', clientPort: 51000, tlsMode: 'implicit', tls: { version: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256', servername: null }, sessionId: 'abc', tag: 'a1', leftover: Buffer.from('a2 NOOP\r\n').toString('base64') };
  const h = validateHeader(good);
  assert.ok(!('error' in h));
  assert.equal(h.clientAddress, '192.0.2.7');
  assert.equal(h.tls?.version, 'TLSv1.3');
  assert.match((validateHeader({ ...good, protocol: 'smtp' }) as { error: string }).error, /protocol/);
  assert.match((validateHeader({ ...good, account: '' }) as { error: string }).error, /account/);
  assert.match((validateHeader({ ...good, tag: 'a b' }) as { error: string }).error, /tag/);
  assert.match((validateHeader({ ...good, leftover: '!!' }) as { error: string }).error, /leftover/);
  assert.match((validateHeader({ ...good, clientPort: 70000 }) as { error: string }).error, /clientPort/);
  assert.match((validateHeader({ ...good, tls: 'x' }) as { error: string }).error, /tls/);
  assert.ok(!('error' in validateHeader({ protocol: 'ping' })));
});
