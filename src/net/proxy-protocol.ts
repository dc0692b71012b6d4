/**
 * PROXY protocol (HAProxy, versions 1 and 2): the header a TCP load balancer puts before the
 * client's own bytes to pass on the real client address. An incremental parser fed bytes in any
 * split, plus a screen for the first bytes of connections that must not carry a header.
 *
 * - v1: one text line, "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n",
 *   at most 107 bytes with the CRLF.
 * - v2: a 12-byte signature, version/command, family/transport, a 16-bit length and that many
 *   bytes of addresses and TLVs (TLVs are skipped). Headers longer than PROXY_V2_MAX_BYTES are
 *   refused.
 * - LOCAL (v2), UNKNOWN (v1), AF_UNSPEC and AF_UNIX: no client address (source is null): the
 *   connection keeps the real peer address (load-balancer health checks use these).
 * Addresses come out in one canonical form: dotted IPv4 (also for IPv4-mapped IPv6) or
 * compressed lower-case IPv6, so per-address limits and logs see one spelling per client.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const PROXY_V1_MAX_BYTES = 107;
/** The longest v2 header accepted (16-byte preamble + addresses + TLVs). */
export const PROXY_V2_MAX_BYTES = 4096;
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ', 'latin1');

export interface ProxyEndpoint {
  address: string;
  port: number;
}

export interface ProxyHeader {
  version: 1 | 2;
  /** 'proxy': source is the client; 'local': no client address (health check, UNKNOWN, AF_UNSPEC, AF_UNIX). */
  command: 'proxy' | 'local';
  /** The client as the load balancer saw it; null: keep the real peer address. */
  source: ProxyEndpoint | null;
  /** The address the client connected to on the load balancer; null when not given. */
  destination: ProxyEndpoint | null;
  /** Bytes the header took. */
  length: number;
}

export type ProxyParseStep =
  | { state: 'need-more' }
  | { state: 'done'; header: ProxyHeader; rest: Buffer }
  | { state: 'error'; error: string };

/** Whether `data` is a prefix of `sig` or starts with it. */
function agrees(data: Buffer, sig: Buffer): boolean {
  const n = Math.min(data.length, sig.length);
  return data.subarray(0, n).equals(sig.subarray(0, n));
}

/**
 * Does this first chunk of a connection begin a PROXY header? True for "PROXY " and for the v2
 * signature (also when the chunk holds only its first 4 or more bytes, which no IMAP or POP3
 * client sends first). Used to refuse headers from peers that are not trusted proxies.
 */
export function looksLikeProxyHeader(first: Buffer): boolean {
  if (first.length >= V1_PREFIX.length && agrees(first, V1_PREFIX)) return true;
  return first.length >= 4 && agrees(first, PROXY_V2_SIGNATURE);
}

/** Parses a PROXY header from bytes arriving in any split. Once done or failed it stays so. */
export class ProxyHeaderParser {
  private buffered: Buffer = Buffer.alloc(0);
  private result: ProxyParseStep | null = null;

  push(chunk: Buffer): ProxyParseStep {
    if (this.result) return this.result;
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : Buffer.from(chunk);
    const step = parseProxyHeader(this.buffered);
    if (step.state !== 'need-more') {
      this.result = step;
      this.buffered = Buffer.alloc(0);
    }
    return step;
  }
}

/** Parses a header at the start of `data`; 'need-more' when `data` is a valid but unfinished start. */
export function parseProxyHeader(data: Buffer): ProxyParseStep {
  if (data.length === 0) return { state: 'need-more' };
  if (agrees(data, PROXY_V2_SIGNATURE)) return data.length < PROXY_V2_SIGNATURE.length ? { state: 'need-more' } : parseV2(data);
  if (agrees(data, V1_PREFIX)) return parseV1(data);
  return { state: 'error', error: 'not a PROXY protocol header' };
}

const fail = (error: string): ProxyParseStep => ({ state: 'error', error });

function parseV1(data: Buffer): ProxyParseStep {
  const window = data.subarray(0, PROXY_V1_MAX_BYTES);
  const lf = window.indexOf(0x0a);
  if (lf < 0) return data.length >= PROXY_V1_MAX_BYTES ? fail(`v1 header longer than ${PROXY_V1_MAX_BYTES} bytes`) : checkV1Chars(window);
  if (lf === 0 || window[lf - 1] !== 0x0d) return fail('v1 header line must end with CRLF');
  const bad = checkV1Chars(window.subarray(0, lf - 1));
  if (bad.state === 'error') return bad;
  const line = window.subarray(0, lf - 1).toString('latin1');
  const rest = data.subarray(lf + 1);
  const parts = line.split(' ');
  const done = (header: Omit<ProxyHeader, 'length' | 'version'>): ProxyParseStep => ({ state: 'done', header: { version: 1, length: lf + 1, ...header }, rest });
  if (parts[1] === 'UNKNOWN') return done({ command: 'local', source: null, destination: null });
  if (parts[1] !== 'TCP4' && parts[1] !== 'TCP6') return fail(`v1 protocol "${parts[1] ?? ''}" (allowed: TCP4, TCP6, UNKNOWN)`);
  if (parts.length !== 6) return fail('v1 header needs exactly: PROXY TCP4|TCP6 SOURCE DESTINATION SOURCE-PORT DESTINATION-PORT');
  const v4 = parts[1] === 'TCP4';
  const [, , src, dst, sport, dport] = parts;
  for (const a of [src, dst]) {
    if (v4 ? !isIPv4(a) : !isIPv6(a) || a.includes('%')) return fail(`v1 ${parts[1]} address "${a}" is not an ${v4 ? 'IPv4' : 'IPv6'} address`);
  }
  const sp = portOf(sport);
  const dp = portOf(dport);
  if (sp === null || dp === null) return fail(`v1 port "${sp === null ? sport : dport}" (allowed: 0-65535)`);
  const canon = (a: string): string => (v4 ? a : formatIPv6(ipv6Bytes(a)));
  return done({ command: 'proxy', source: { address: canon(src), port: sp }, destination: { address: canon(dst), port: dp } });
}

/** A v1 line holds printable US-ASCII only. */
function checkV1Chars(bytes: Buffer): ProxyParseStep {
  for (const b of bytes) if ((b < 0x20 || b > 0x7e) && b !== 0x0d) return fail('v1 header holds a byte that is not printable ASCII');
  const cr = bytes.indexOf(0x0d);
  if (cr >= 0 && cr < bytes.length - 1) return fail('v1 header holds a CR before its end');
  return { state: 'need-more' };
}

function portOf(text: string): number | null {
  if (!/^(0|[1-9]\d{0,4})$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

function parseV2(data: Buffer): ProxyParseStep {
  if (data.length < 16) return { state: 'need-more' };
  const verCmd = data[12];
  if (verCmd >> 4 !== 2) return fail(`v2 version ${verCmd >> 4} (allowed: 2)`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return fail(`v2 command ${cmd} (allowed: 0 LOCAL, 1 PROXY)`);
  const family = data[13] >> 4;
  const transport = data[13] & 0x0f;
  const length = data.readUInt16BE(14);
  const total = 16 + length;
  if (total > PROXY_V2_MAX_BYTES) return fail(`v2 header of ${total} bytes is longer than ${PROXY_V2_MAX_BYTES}`);
  if (family > 3) return fail(`v2 address family ${family} (allowed: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX)`);
  if (transport > 2) return fail(`v2 transport ${transport} (allowed: 0 UNSPEC, 1 STREAM, 2 DGRAM)`);
  const needed = family === 1 ? 12 : family === 2 ? 36 : family === 3 ? 216 : 0;
  if (cmd === 1 && length < needed) return fail(`v2 address block of ${length} bytes is too short for family ${family} (needs ${needed})`);
  if (data.length < total) return { state: 'need-more' };
  const rest = data.subarray(total);
  const done = (header: Omit<ProxyHeader, 'length' | 'version'>): ProxyParseStep => ({ state: 'done', header: { version: 2, length: total, ...header }, rest });
  if (cmd === 0 || family === 0 || family === 3) return done({ command: 'local', source: null, destination: null });
  if (transport !== 1) return fail('v2 PROXY of an internet address needs transport STREAM (TCP)');
  const body = data.subarray(16, total);
  if (family === 1) {
    const ip = (o: number): string => `${body[o]}.${body[o + 1]}.${body[o + 2]}.${body[o + 3]}`;
    return done({ command: 'proxy', source: { address: ip(0), port: body.readUInt16BE(8) }, destination: { address: ip(4), port: body.readUInt16BE(10) } });
  }
  return done({
    command: 'proxy',
    source: { address: formatIPv6(body.subarray(0, 16)), port: body.readUInt16BE(32) },
    destination: { address: formatIPv6(body.subarray(16, 32)), port: body.readUInt16BE(34) },
  });
}

/** 16 bytes of a valid IPv6 address in text form (checked with isIPv6 first). */
export function ipv6Bytes(text: string): Buffer {
  let a = text.toLowerCase();
  const out = Buffer.alloc(16);
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) a = a.slice(0, -v4[0].length) + ((Number(v4[1]) << 8) | Number(v4[2])).toString(16) + ':' + ((Number(v4[3]) << 8) | Number(v4[4])).toString(16);
  const [head, tail] = a.includes('::') ? a.split('::') : [a, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** RFC 5952 text of 16 address bytes; IPv4-mapped addresses (::ffff:a.b.c.d) as dotted IPv4. */
export function formatIPv6(bytes: Buffer): string {
  const g = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
