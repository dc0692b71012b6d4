/** Small byte-level helpers shared by the indexer modules. */
import { isUtf8 as nodeIsUtf8 } from 'node:buffer';

export const LF = 0x0a;
export const CR = 0x0d;
export const SP = 0x20;
export const HT = 0x09;

/** True when the bytes are well-formed UTF-8 (ASCII included). */
export function isValidUtf8(buf: Uint8Array): boolean {
  return nodeIsUtf8(buf);
}

/** True when every byte is below 0x80. */
export function isAscii(buf: Uint8Array): boolean {
  for (let i = 0; i < buf.length; i++) if (buf[i]! >= 0x80) return false;
  return true;
}

/** Replaces NUL characters, which no IMAP string may carry, with U+FFFD. */
export function stripNul(s: string): string {
  return s.indexOf('\0') < 0 ? s : s.replace(/\0/g, '\uFFFD');
}

/**
 * Raw header bytes as a string without charset interpretation: UTF-8 when the bytes are valid
 * UTF-8 (RFC 6532), otherwise one character per byte (latin1), so nothing is lost.
 */
export function rawText(buf: Uint8Array): string {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (isAscii(b) || isValidUtf8(b)) return stripNul(b.toString('utf8'));
  return stripNul(b.toString('latin1'));
}

/** Number of LF bytes in buf[start, end): the body line count (a last line without LF is not counted, as in Dovecot). */
export function countLines(buf: Buffer, start: number, end: number): number {
  let n = 0;
  let pos = start;
  while (pos < end) {
    const i = buf.indexOf(LF, pos);
    if (i < 0 || i >= end) break;
    n++;
    pos = i + 1;
  }
  return n;
}

/** Removes CRLF/LF line breaks (header unfolding, RFC 5322 §2.2.3) and trims surrounding whitespace. */
export function unfold(s: string): string {
  return trimWsp(s.replace(/[\r\n]/g, ''));
}

/** Trims spaces and tabs at both ends (a loop, not a regex: linear on any input). */
export function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
