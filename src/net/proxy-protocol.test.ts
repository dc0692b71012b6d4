// The PROXY protocol parser: v1 and v2 headers fed whole and split at every byte, the leftover
// bytes after the header, malformed and oversize headers, v2 TLVs, IPv6 canonical forms.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PROXY_V1_MAX_BYTES, PROXY_V2_MAX_BYTES, PROXY_V2_SIGNATURE, ProxyHeaderParser, formatIPv6, ipv6Bytes, looksLikeProxyHeader, parseProxyHeader,
  type ProxyParseStep,
} from './proxy-protocol.js';

/** Feeds `data` to a fresh parser in pieces cut at `cuts`; the final step. */
function feed(data: Buffer, cuts: number[]): ProxyParseStep {
  const p = new ProxyHeaderParser();
  let from = 0;
  let step: ProxyParseStep = { state: 'need-more' };
  for (const at of [...cuts, data.length]) {
    step = p.push(data.subarray(from, at));
    from = at;
    if (step.state !== 'need-more') {
      // Bytes after the step that finished are not the parser's: append them to rest.
      if (step.state === 'done' && from < data.length) return { ...step, rest: Buffer.concat([step.rest, data.subarray(from)]) };
      return step;
    }
  }
  return step;
}

/** Every way of cutting `data` in two and in three pieces gives `expected`. */
function everySplit(data: Buffer, check: (step: ProxyParseStep) => void): void {
  check(feed(data, []));
  for (let i = 1; i < data.length; i++) {
    check(feed(data, [i]));
    for (let j = i + 1; j < data.length; j += 7) check(feed(data, [i, j]));
  }
  // One byte at a time.
  check(feed(data, Array.from({ length: data.length - 1 }, (_, i) => i + 1)));
}

function v2(cmd: number, famProto: number, body: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(body.length);
  return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x20 | cmd, famProto]), len, body]);
}

function inet4(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from(dst).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

function inet6(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(36);
  ipv6Bytes(src).copy(b, 0);
  ipv6Bytes(dst).copy(b, 16);
  b.writeUInt16BE(sport, 32);
  b.writeUInt16BE(dport, 34);
  return b;
}

const done = (step: ProxyParseStep): Extract<ProxyParseStep, { state: 'done' }> => {
  assert.equal(step.state, 'done', JSON.stringify(step));
  return step as Extract<ProxyParseStep, { state: 'done' }>;
};
const error = (step: ProxyParseStep): string => {
  assert.equal(step.state, 'error', JSON.stringify(step));
  return (step as { error: string }).error;
};

test('v1 TCP4 in every split, with the client bytes after it left over', () => {
  const header = 'PROXY TCP4 203.0.113.7 192.0.2.1 51234 993\r\n';
  const data = Buffer.from(header + 'a1 CAPABILITY\r\n', 'latin1');
  everySplit(data, (step) => {
    const d = done(step);
    assert.deepEqual(d.header, { version: 1, command: 'proxy', length: header.length, source: { address: '203.0.113.7', port: 51234 }, destination: { address: '192.0.2.1', port: 993 } });
    assert.equal(d.rest.toString('latin1'), 'a1 CAPABILITY\r\n');
  });
});

test('v1 TCP6 gives canonical IPv6; IPv4-mapped becomes dotted IPv4', () => {
  const d = done(parseProxyHeader(Buffer.from('PROXY TCP6 2001:DB8:0:0:0:0:0:7 2001:db8::1 65535 0\r\n')));
  assert.deepEqual(d.header.source, { address: '2001:db8::7', port: 65535 });
  assert.deepEqual(d.header.destination, { address: '2001:db8::1', port: 0 });
  assert.equal(d.rest.length, 0);
  const m = done(parseProxyHeader(Buffer.from('PROXY TCP6 ::ffff:198.51.100.9 ::1 1 2\r\n')));
  assert.equal(m.header.source?.address, '198.51.100.9');
});

test('v1 UNKNOWN keeps the peer address (no source)', () => {
  for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n']) {
    const d = done(parseProxyHeader(Buffer.from(line + 'x')));
    assert.equal(d.header.command, 'local');
    assert.equal(d.header.source, null);
    assert.equal(d.rest.toString(), 'x');
  }
});

test('v1 of exactly 107 bytes is accepted; longer without CRLF is refused', () => {
  const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
  const line = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`;
  assert.equal(line.length, PROXY_V1_MAX_BYTES);
  assert.equal(done(parseProxyHeader(Buffer.from(line + 'x'))).rest.toString(), 'x');
  const tcp6 = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`;
  assert.equal(done(parseProxyHeader(Buffer.from(tcp6))).header.source?.address, full);
  const long = Buffer.from('PROXY UNKNOWN ' + 'x'.repeat(120) + '\r\n');
  assert.match(error(feed(long, [50])), /longer than 107/);
  assert.match(error(parseProxyHeader(long.subarray(0, PROXY_V1_MAX_BYTES))), /longer than 107/);
});

test('malformed v1 headers are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['PROXY TCP4 203.0.113.7 192.0.2.1 51234\r\n', /exactly/],
    ['PROXY TCP4 203.0.113.7  192.0.2.1 1 2\r\n', /exactly|address/],
    ['PROXY TCP4 2001:db8::1 192.0.2.1 1 2\r\n', /not an IPv4/],
    ['PROXY TCP6 203.0.113.7 ::1 1 2\r\n', /not an IPv6/],
    ['PROXY TCP4 203.0.113.7 192.0.2.1 65536 2\r\n', /port "65536"/],
    ['PROXY TCP4 203.0.113.7 192.0.2.1 01 2\r\n', /port "01"/],
    ['PROXY TCP4 203.0.113.7 192.0.2.1 -1 2\r\n', /port/],
    ['PROXY UDP4 203.0.113.7 192.0.2.1 1 2\r\n', /protocol "UDP4"/],
    ['PROXY TCP4 203.0.113.7 192.0.2.1 1 2\n', /CRLF/],
    ['PROXY TCP4 203.0.113.7\r192.0.2.1 1 2\r\n', /CR before/],
    ['PROXY TCP4 203.0.113.\x007 192.0.2.1 1 2\r\n', /printable/],
    ['proxy TCP4 203.0.113.7 192.0.2.1 1 2\r\n', /not a PROXY/],
    ['a1 LOGIN alice secret\r\n', /not a PROXY/],
  ];
  for (const [text, reason] of cases) {
    assert.match(error(parseProxyHeader(Buffer.from(text, 'latin1'))), reason, text);
    // Split anywhere, the answer is the same (errors are found as early as the bytes allow).
    for (let i = 1; i < text.length; i++) assert.match(error(feed(Buffer.from(text, 'latin1'), [i])), reason, `${text} cut at ${i}`);
  }
  // Not a header: known from the first byte, no waiting for more.
  assert.equal(parseProxyHeader(Buffer.from('a')).state, 'error');
  assert.equal(parseProxyHeader(Buffer.from('PRO')).state, 'need-more');
});

test('v2 PROXY over IPv4 in every split, leftover bytes kept', () => {
  const header = v2(1, 0x11, inet4([203, 0, 113, 7], [192, 0, 2, 1], 40000, 995));
  const data = Buffer.concat([header, Buffer.from([0x16, 0x03, 0x01])]); // a TLS ClientHello starts
  everySplit(data, (step) => {
    const d = done(step);
    assert.deepEqual(d.header, { version: 2, command: 'proxy', length: 28, source: { address: '203.0.113.7', port: 40000 }, destination: { address: '192.0.2.1', port: 995 } });
    assert.deepEqual([...d.rest], [0x16, 0x03, 0x01]);
  });
});

test('v2 PROXY over IPv6 with TLVs (skipped)', () => {
  const tlvs = Buffer.from([0x01, 0x00, 0x04, ...Buffer.from('imap'), 0x04, 0x00, 0x00, 0xe0, 0x00, 0x02, 0xab, 0xcd]);
  const header = v2(1, 0x21, Buffer.concat([inet6('2001:db8:0:1::7', '2001:db8::1', 50123, 993), tlvs]));
  everySplit(Buffer.concat([header, Buffer.from('rest')]), (step) => {
    const d = done(step);
    assert.deepEqual(d.header.source, { address: '2001:db8:0:1::7', port: 50123 });
    assert.equal(d.header.length, 16 + 36 + tlvs.length);
    assert.equal(d.rest.toString(), 'rest');
  });
});

test('v2 LOCAL, AF_UNSPEC and AF_UNIX keep the peer address', () => {
  const local = done(parseProxyHeader(v2(0, 0x00, Buffer.alloc(0))));
  assert.deepEqual([local.header.command, local.header.source, local.header.length], ['local', null, 16]);
  // LOCAL with an address block: the block is ignored.
  assert.equal(done(parseProxyHeader(v2(0, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)))).header.source, null);
  assert.equal(done(parseProxyHeader(v2(1, 0x00, Buffer.alloc(0)))).header.source, null);
  assert.equal(done(parseProxyHeader(v2(1, 0x31, Buffer.alloc(216)))).header.source, null);
});

test('malformed and oversize v2 headers are refused', () => {
  const good = v2(1, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
  const withByte = (i: number, b: number): Buffer => { const c = Buffer.from(good); c[i] = b; return c; };
  assert.match(error(parseProxyHeader(withByte(12, 0x11))), /version 1/);
  assert.match(error(parseProxyHeader(withByte(12, 0x22))), /command 2/);
  assert.match(error(parseProxyHeader(withByte(13, 0x41))), /family 4/);
  assert.match(error(parseProxyHeader(withByte(13, 0x13))), /transport 3/);
  assert.match(error(parseProxyHeader(withByte(13, 0x12))), /STREAM/);
  assert.match(error(parseProxyHeader(v2(1, 0x11, Buffer.alloc(8)))), /too short/);
  assert.match(error(parseProxyHeader(v2(1, 0x21, Buffer.alloc(12)))), /too short/);
  // The length alone tells: refused at the 16th byte, before the body arrives.
  const huge = v2(1, 0x11, Buffer.alloc(PROXY_V2_MAX_BYTES));
  assert.match(error(parseProxyHeader(huge.subarray(0, 16))), /longer than 4096/);
  assert.match(error(feed(huge, [13, 15, 16])), /longer than 4096/);
  // A broken signature is not a header, found at the first wrong byte.
  assert.match(error(parseProxyHeader(withByte(5, 0x0e).subarray(0, 6))), /not a PROXY/);
  assert.equal(parseProxyHeader(good.subarray(0, 20)).state, 'need-more');
});

test('a finished parser keeps its answer', () => {
  const p = new ProxyHeaderParser();
  assert.equal(p.push(Buffer.from('nope\r\n')).state, 'error');
  assert.equal(p.push(Buffer.from('PROXY UNKNOWN\r\n')).state, 'error');
});

test('looksLikeProxyHeader: the first bytes of v1 and v2, nothing an IMAP/POP3/TLS client sends', () => {
  assert.equal(looksLikeProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n')), true);
  assert.equal(looksLikeProxyHeader(v2(1, 0x11, inet4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))), true);
  assert.equal(looksLikeProxyHeader(PROXY_V2_SIGNATURE.subarray(0, 6)), true);
  for (const text of ['a1 LOGIN x y\r\n', 'USER alice\r\n', 'PROXY', 'P', '\r\n', 'CAPA\r\n']) assert.equal(looksLikeProxyHeader(Buffer.from(text)), false, text);
  assert.equal(looksLikeProxyHeader(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00])), false);
});

test('formatIPv6 follows RFC 5952', () => {
  const f = (t: string): string => formatIPv6(ipv6Bytes(t));
  assert.equal(f('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(f('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(f('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(f('::'), '::');
  assert.equal(f('::1'), '::1');
  assert.equal(f('fe80::'), 'fe80::');
  assert.equal(f('::ffff:10.0.0.1'), '10.0.0.1');
});
