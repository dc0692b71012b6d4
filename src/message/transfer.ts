/** Content-Transfer-Encoding decoding for search text (RFC 2045 §6.7, §6.8). Lenient, never throws. */

export function decodeQuotedPrintable(buf: Buffer): Buffer {
  const out = Buffer.alloc(buf.length);
  let n = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (c !== 0x3d) { out[n++] = c; continue; }
    // soft line break: "=" [WSP] CRLF / LF
    let j = i + 1;
    while (j < buf.length && (buf[j] === 0x20 || buf[j] === 0x09)) j++;
    if (j < buf.length && buf[j] === 0x0d && buf[j + 1] === 0x0a) { i = j + 1; continue; }
    if (j < buf.length && buf[j] === 0x0a) { i = j; continue; }
    if (j >= buf.length) { i = j; continue; }
    const h = hex(buf[i + 1]);
    const l = hex(buf[i + 2]);
    if (h >= 0 && l >= 0) { out[n++] = h * 16 + l; i += 2; } else out[n++] = c;
  }
  return out.subarray(0, n);
}

function hex(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

export function decodeBase64(buf: Buffer): Buffer {
  // Node's decoder skips characters outside the alphabet and tolerates missing padding.
  return Buffer.from(buf.toString('latin1'), 'base64');
}

/** Decodes a body according to its Content-Transfer-Encoding; unknown encodings pass through. */
export function decodeTransfer(buf: Buffer, encoding: string): Buffer {
  const e = encoding.toLowerCase();
  if (e === 'base64') return decodeBase64(buf);
  if (e === 'quoted-printable') return decodeQuotedPrintable(buf);
  return buf;
}
