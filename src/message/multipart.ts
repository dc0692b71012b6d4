/**
 * Splitting a multipart body into its parts (RFC 2046 §5.1.1). A boundary line is "--" +
 * boundary at the start of a line, optionally followed by "--" (the close delimiter), then
 * only spaces/tabs up to the line end. The preamble (before the first boundary) and the
 * epilogue (after the close delimiter) belong to no part. The line end before a boundary line
 * belongs to the boundary, not to the part before it. A missing close delimiter: the last part
 * runs to the end of the multipart body.
 */
import { CR, HT, LF, SP } from './bytes.js';

export interface PartRange { start: number; end: number }

export interface SplitResult {
  parts: PartRange[];
  /** False when the close delimiter was missing. */
  closed: boolean;
}

export function splitMultipart(buf: Buffer, start: number, end: number, boundary: string): SplitResult {
  const delim = Buffer.from('--' + boundary, 'utf8');
  const body = buf.subarray(start, end);
  const parts: PartRange[] = [];
  let cur = -1; // start of the current part (absolute), -1 while in the preamble
  let from = 0;
  while (from <= body.length - delim.length) {
    const idx = body.indexOf(delim, from);
    if (idx < 0) break;
    from = idx + 1;
    if (idx > 0 && body[idx - 1] !== LF) continue;
    let j = idx + delim.length;
    let close = false;
    if (body[j] === 0x2d && body[j + 1] === 0x2d) { close = true; j += 2; }
    while (j < body.length && (body[j] === SP || body[j] === HT)) j++;
    if (j < body.length && body[j] === CR) j++;
    if (j < body.length && body[j] !== LF) continue;
    const lineStart = start + idx;
    const lineEnd = j < body.length ? start + j + 1 : end;
    if (cur >= 0) {
      let partEnd = lineStart;
      if (partEnd > cur && buf[partEnd - 1] === LF) {
        partEnd--;
        if (partEnd > cur && buf[partEnd - 1] === CR) partEnd--;
      }
      parts.push({ start: cur, end: partEnd });
    }
    if (close) return { parts, closed: true };
    cur = lineEnd;
    from = lineEnd - start;
  }
  if (cur >= 0) parts.push({ start: cur, end });
  return { parts, closed: false };
}
