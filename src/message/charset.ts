/**
 * Charset decoding with iconv-lite. Never throws: an unknown or misspelt charset name falls
 * back to UTF-8 when the bytes are valid UTF-8 and to windows-1252 (a superset of ISO-8859-1
 * for printable text) otherwise.
 */
import iconv from 'iconv-lite';
import { isAscii, isValidUtf8, stripNul } from './bytes.js';
import { decodeIso2022Jp } from './iso2022jp.js';

const ALIASES: Record<string, string> = {
  'iso-8859-1': 'windows-1252', // as browsers do: C1 bytes are almost always cp1252 text
  latin1: 'windows-1252',
  'iso8859-1': 'windows-1252',
  'x-mac-roman': 'macintosh',
  'mac-roman': 'macintosh',
  'x-sjis': 'shift_jis',
  'x-euc-jp': 'euc-jp',
  'x-gbk': 'gbk',
  'x-euc-kr': 'euc-kr',
  'ks_c_5601': 'cp949',
  'x-cp1250': 'windows-1250',
  'x-cp1251': 'windows-1251',
  'x-cp1252': 'windows-1252',
};

const FALLBACK_NAMES = new Set(['', 'unknown', 'unknown-8bit', 'x-unknown', 'default', 'x-user-defined', '8bit', 'binary', 'charset']);

/** Lowercased, unquoted, without an RFC 2231 language suffix ("utf-8*en"). */
export function normalizeCharset(name: string | null | undefined): string {
  if (!name) return '';
  let n = name.trim().replace(/^["']+|["']+$/g, '').toLowerCase();
  const star = n.indexOf('*');
  if (star >= 0) n = n.slice(0, star);
  return n.trim();
}

function fallback(buf: Buffer): string {
  if (isAscii(buf)) return buf.toString('latin1');
  if (isValidUtf8(buf)) return buf.toString('utf8');
  return iconv.decode(buf, 'windows-1252');
}

function resolve(n: string): string | null {
  if (ALIASES[n]) return ALIASES[n]!;
  if (iconv.encodingExists(n as string)) return n;
  const name: string = n;
  const stripped = name.replace(/^x-/, '');
  if (ALIASES[stripped]) return ALIASES[stripped]!;
  if (iconv.encodingExists(stripped)) return stripped;
  // "utf-8'" or "iso-8859-1;" and similar trailing junk
  const m = /^[a-z0-9_\-.:]+/.exec(name);
  if (m && m[0] !== name) return resolve(m[0]);
  return null;
}

/** Decodes bytes in the named charset to a string (NUL replaced by U+FFFD). */
export function decodeBytes(buf: Buffer, charset: string | null | undefined): string {
  return stripNul(decodeBytesRaw(buf, charset));
}

function decodeBytesRaw(buf: Buffer, charset: string | null | undefined): string {
  if (buf.length === 0) return '';
  const n = normalizeCharset(charset);
  try {
    if (FALLBACK_NAMES.has(n)) return fallback(buf);
    if (n === 'us-ascii' || n === 'ascii' || n === 'ansi_x3.4-1968') return fallback(buf);
    if (n === 'utf-8' || n === 'utf8') return buf.toString('utf8');
    if (n === 'iso-2022-jp' || n === 'csiso2022jp' || n === 'iso-2022-jp-2') return decodeIso2022Jp(buf);
    const enc = resolve(n);
    if (enc === null) return fallback(buf);
    return iconv.decode(buf, enc);
  } catch {
    return fallback(buf);
  }
}

/** True when iconv-lite (or our own ISO-2022-JP decoder) knows the charset name. */
export function isKnownCharset(name: string): boolean {
  const n = normalizeCharset(name);
  return n === 'iso-2022-jp' || resolve(n) !== null;
}
