/**
 * RFC 2047 encoded-word decoding for search text and decodeHeaderValue. Lenient like real
 * clients: encoded words need not be separated from surrounding text, whitespace between two
 * encoded words is dropped, and adjacent words in the same charset are joined as bytes before
 * charset decoding (so a multibyte character split across two words survives).
 */
import { decodeBytes, normalizeCharset } from './charset.js';

const ENCODED_WORD = /=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=/g;

function decodeQ(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out.push(0x20);
    else if (c === 0x3d && i + 2 < text.length && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      out.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(c & 0xff);
  }
  return Buffer.from(out);
}

function decodeB(text: string): Buffer {
  return Buffer.from(text.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
}

/** Decodes the encoded words in an (already unfolded) header value. */
export function decodeEncodedWords(value: string): string {
  if (value.indexOf('=?') < 0) return value;
  let out = '';
  let last = 0;
  let pending: { charset: string; chunks: Buffer[] } | null = null;
  const flush = (): void => {
    if (pending) out += decodeBytes(Buffer.concat(pending.chunks), pending.charset);
    pending = null;
  };
  ENCODED_WORD.lastIndex = 0;
  for (let m = ENCODED_WORD.exec(value); m !== null; m = ENCODED_WORD.exec(value)) {
    const gap = value.slice(last, m.index);
    const charset = normalizeCharset(m[1]);
    const bytes = m[2] === 'Q' || m[2] === 'q' ? decodeQ(m[3]!) : decodeB(m[3]!);
    const onlySpace = /^[ \t\r\n]*$/.test(gap);
    if (pending !== null && onlySpace) {
      const p: { charset: string; chunks: Buffer[] } = pending;
      if (p.charset === charset) p.chunks.push(bytes);
      else {
        flush();
        pending = { charset, chunks: [bytes] };
      }
    } else {
      flush();
      out += gap;
      pending = { charset, chunks: [bytes] };
    }
    last = m.index + m[0].length;
  }
  flush();
  out += value.slice(last);
  return out;
}
