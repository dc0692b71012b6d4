/**
 * ISO-2022-JP (RFC 1468), which iconv-lite lacks: JIS X 0208 runs are mapped to EUC-JP bytes
 * and decoded with iconv-lite. Half-width katakana (ESC ( I) are mapped to EUC-JP SS2 bytes.
 */
import iconv from 'iconv-lite';

export function decodeIso2022Jp(buf: Buffer): string {
  const out: number[] = [];
  let mode: 'ascii' | 'jis' | 'kana' = 'ascii';
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b === 0x1b && i + 2 < buf.length) {
      const a = buf[i + 1]!;
      const c = buf[i + 2]!;
      if (a === 0x24 && (c === 0x42 || c === 0x40)) { mode = 'jis'; i += 2; continue; }
      if (a === 0x28 && (c === 0x42 || c === 0x4a)) { mode = 'ascii'; i += 2; continue; }
      if (a === 0x28 && c === 0x49) { mode = 'kana'; i += 2; continue; }
    }
    if (b === 0x0a || b === 0x0d) { mode = mode === 'kana' ? 'ascii' : mode; out.push(b); continue; }
    if (mode === 'jis' && b >= 0x21 && b <= 0x7e && i + 1 < buf.length) {
      out.push(b | 0x80, buf[i + 1]! | 0x80);
      i++;
    } else if (mode === 'kana' && b >= 0x21 && b <= 0x5f) {
      out.push(0x8e, b | 0x80);
    } else {
      out.push(b);
    }
  }
  return iconv.decode(Buffer.from(out), 'euc-jp');
}
