/**
 * What submission and LMTP do to the bytes of a message before storing or relaying it:
 * the SMTP-smuggling guard, line-end normalisation and the Received: trace header.
 */
import { isIPv6 } from 'node:net';

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;

export type LineEndCheck = { ok: true; message: Buffer } | { ok: false; reason: string };

/**
 * SMTP smuggling guard. smtp-server ends DATA only on <CRLF>.<CRLF>; but a "." line bounded by a
 * bare LF or bare CR ("\n.\n", "\r\n.\n", "\n.\r\n", "\r.\r", ...) is a terminator to some other
 * MTAs, so relaying it would let a client smuggle a second message past them. Such messages are
 * refused; any other bare CR or LF is normalised to CRLF (RFC 5322 allows no bare CR/LF).
 */
export function checkAndNormaliseLineEnds(raw: Buffer): LineEndCheck {
  let bare = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === LF && (i === 0 || raw[i - 1] !== CR)) bare = true;
    else if (c === CR && raw[i + 1] !== LF) bare = true;
    if (c !== DOT) continue;
    const atLineStart = i === 0 || raw[i - 1] === LF || raw[i - 1] === CR;
    const next = raw[i + 1];
    if (!atLineStart || (next !== LF && next !== CR)) continue;
    const crlfBefore = i === 0 || (i >= 2 && raw[i - 2] === CR && raw[i - 1] === LF);
    const crlfAfter = next === CR && raw[i + 2] === LF;
    if (!(crlfBefore && crlfAfter)) {
      return { ok: false, reason: 'a "." line with a bare CR or LF line end (refused: SMTP smuggling protection)' };
    }
  }
  if (!bare) return { ok: true, message: raw };
  const out = Buffer.allocUnsafe(raw.length * 2);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === CR) {
      out[o++] = CR;
      out[o++] = LF;
      if (raw[i + 1] === LF) i++;
    } else if (c === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else {
      out[o++] = c;
    }
  }
  return { ok: true, message: Buffer.from(out.subarray(0, o)) };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 5322 date-time in UTC, e.g. "Tue, 1 Jul 2025 10:00:00 +0000". */
export function rfc5322Date(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export interface ReceivedFacts {
  /** The HELO/EHLO/LHLO argument. */
  helo: string;
  remoteAddress: string;
  /** Our name (fqdn setting). */
  by: string;
  /** RFC 3848 protocol type: ESMTPSA, ESMTPS, ESMTPA, ESMTP, LMTP, LMTPS. */
  with: string;
  /** TLS facts when encrypted: IANA cipher suite name and protocol version. */
  tls: { cipher: string; version: string } | null;
  id: string;
  date?: Date;
}

function clean(s: string, max = 255): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x20\x7f()\\]/g, '_').slice(0, max) || 'unknown';
}

/**
 * The Received: trace field (RFC 5321 §4.4), with the TLS clause of RFC 8314 §4.3 (the cipher
 * suite's IANA name) and the TLS version as a comment. The authenticated user is not recorded.
 */
export function receivedHeader(f: ReceivedFacts): string {
  const addr = f.remoteAddress ? (isIPv6(f.remoteAddress) ? `IPv6:${f.remoteAddress}` : f.remoteAddress) : 'local';
  const tls = f.tls ? `\r\n\ttls ${clean(f.tls.cipher)} (version=${clean(f.tls.version)})` : '';
  return `Received: from ${clean(f.helo)} ([${addr}])\r\n\tby ${clean(f.by)} (Portcullis) with ${f.with}${tls}\r\n\tid ${clean(f.id)}; ${rfc5322Date(f.date ?? new Date())}\r\n`;
}

/** RFC 3848 "with" keyword for an SMTP session. */
export function withKeyword(base: 'ESMTP' | 'LMTP', secure: boolean, authenticated: boolean): string {
  return base + (secure ? 'S' : '') + (authenticated ? 'A' : '');
}
