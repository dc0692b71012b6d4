/**
 * Header block scanning with byte offsets (RFC 5322 §2.2). Lenient: bare LF line ends, NUL and
 * 8-bit bytes, obsolete "Name : value" syntax. A header block ends at the first empty line
 * (which belongs to the header block); when a line is neither a field nor a continuation, the
 * blank line is taken to be missing and the body starts at that line. A first line that is
 * not a field means the part has no header at all (except an mbox "From " line at the
 * very start, which is skipped).
 */
import { CR, HT, LF, SP, rawText, unfold } from './bytes.js';
import { decodeBytes } from './charset.js';
import { decodeEncodedWords } from './encoded-words.js';
import { MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS } from './limits.js';

/** One header field: name lowercased; [start, end) covers the whole field including its
 * continuation lines and final line end; valueStart is just after the colon. */
export interface HeaderField {
  name: string;
  start: number;
  end: number;
  valueStart: number;
}

export interface HeaderBlock {
  fields: HeaderField[];
  /** Where the body starts: after the blank line, or at the first non-field line, or end. */
  bodyStart: number;
  /** True when the blank line separating header and body was missing. */
  missingBlankLine: boolean;
  /** True when more than MAX_HEADER_FIELDS fields were present (the rest were not parsed). */
  truncated: boolean;
}

function fieldNameEnd(buf: Buffer, pos: number, lineEnd: number): number {
  // Returns the index of the colon when [pos, colon) is a valid (lenient) field name, else -1.
  let i = pos;
  while (i < lineEnd) {
    const c = buf[i]!;
    if (c === 0x3a) break;
    if (c === SP || c === HT) {
      // obsolete syntax allows whitespace between name and colon, nothing else after it
      let j = i;
      while (j < lineEnd && (buf[j] === SP || buf[j] === HT)) j++;
      return j < lineEnd && buf[j] === 0x3a && i > pos ? j : -1;
    }
    if (c === CR || c === LF) return -1;
    i++;
  }
  if (i >= lineEnd || i === pos) return -1;
  return i;
}

/** Scans the header block in buf[start, end). Never reads outside that range. */
export function scanHeaderBlock(buf: Buffer, start: number, end: number): HeaderBlock {
  const fields: HeaderField[] = [];
  let pos = start;
  let current: HeaderField | null = null;
  let seen = 0;
  while (pos < end) {
    const lf = buf.indexOf(LF, pos);
    const nextLine = lf < 0 || lf >= end ? end : lf + 1;
    const contentEnd = nextLine > pos && buf[nextLine - 1] === LF
      ? (nextLine - 1 > pos && buf[nextLine - 2] === CR ? nextLine - 2 : nextLine - 1)
      : nextLine;
    if (contentEnd === pos || (contentEnd === pos + 1 && buf[pos] === CR && nextLine === end)) {
      return { fields, bodyStart: nextLine, missingBlankLine: false, truncated: seen > MAX_HEADER_FIELDS };
    }
    const c = buf[pos]!;
    if (c === SP || c === HT) {
      if (current === null && seen === 0) {
        return { fields, bodyStart: pos, missingBlankLine: true, truncated: false };
      }
      if (current) current.end = nextLine;
    } else {
      const colon = fieldNameEnd(buf, pos, contentEnd);
      if (colon < 0 && seen === 0 && pos === start && buf.toString('latin1', pos, pos + 5) === 'From ') {
        // an mbox "From " separator line before the header: skip it, the header follows
        pos = nextLine;
        continue;
      }
      if (colon < 0) {
        return { fields, bodyStart: pos, missingBlankLine: true, truncated: seen > MAX_HEADER_FIELDS };
      }
      seen++;
      if (seen <= MAX_HEADER_FIELDS) {
        let nameEnd = colon;
        while (nameEnd > pos && (buf[nameEnd - 1] === SP || buf[nameEnd - 1] === HT)) nameEnd--;
        current = { name: buf.toString('latin1', pos, nameEnd).toLowerCase(), start: pos, end: nextLine, valueStart: colon + 1 };
        fields.push(current);
      } else current = null;
    }
    pos = nextLine;
  }
  return { fields, bodyStart: end, missingBlankLine: true, truncated: seen > MAX_HEADER_FIELDS };
}

/**
 * Raw field byte ranges of the header block in buf[start, end), for BODY[HEADER.FIELDS (...)]:
 * copying buf[start, end) of each selected field reproduces it exactly (with its line end).
 * Names are lowercased. At most MAX_HEADER_FIELDS fields are returned.
 */
export function parseHeaderBlock(buf: Buffer, start: number, end: number): Array<{ name: string; start: number; end: number; valueStart: number }> {
  return scanHeaderBlock(buf, start, end).fields;
}

/** The raw value bytes of a field (after the colon, capped at MAX_HEADER_FIELD_BYTES). */
export function fieldValueBytes(buf: Buffer, f: HeaderField): Buffer {
  return buf.subarray(f.valueStart, Math.min(f.end, f.valueStart + MAX_HEADER_FIELD_BYTES));
}

/** The value unfolded and trimmed, not decoded (what ENVELOPE and BODYSTRUCTURE carry). */
export function fieldRawValue(buf: Buffer, f: HeaderField): string {
  return unfold(rawText(fieldValueBytes(buf, f)));
}

/** Unfolds a header value and decodes RFC 2047 encoded words to a UTF-8 string. Bytes that
 * are not valid UTF-8 are read as windows-1252. */
export function decodeHeaderValue(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : decodeBytes(raw, null);
  return decodeEncodedWords(unfold(text));
}

/** First field of that (lowercase) name, or undefined. */
export function findField(fields: HeaderField[], name: string): HeaderField | undefined {
  for (const f of fields) if (f.name === name) return f;
  return undefined;
}
