/** Collects the decoded text SEARCH matches, within MAX_SEARCH_TEXT characters. */
import { decodeBytes } from './charset.js';
import { decodeHeaderValue, fieldValueBytes, type HeaderField } from './headers.js';
import { MAX_SEARCH_HEADER_CHARS, MAX_SEARCH_TEXT } from './limits.js';
import { decodeTransfer } from './transfer.js';

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** Drops tags and the content of script and style elements, in one linear pass. */
function stripTags(html: string): string {
  const lower = html.toLowerCase();
  let out = '';
  let pos = 0;
  while (pos < html.length) {
    const lt = html.indexOf('<', pos);
    if (lt < 0) break;
    const gt = html.indexOf('>', lt);
    if (gt < 0) break; // an unclosed "<": keep the rest as text
    out += html.slice(pos, lt) + ' ';
    pos = gt + 1;
    const name = /^<(script|style)\b/.exec(lower.slice(lt, lt + 8));
    if (name) {
      const close = lower.indexOf('</' + name[1], pos);
      if (close < 0) return out;
      const end = html.indexOf('>', close);
      pos = end < 0 ? html.length : end + 1;
    }
  }
  return out + html.slice(pos);
}

/** Rough HTML to text: drops tags, scripts and styles, decodes the common entities. */
export function htmlToText(html: string): string {
  return stripTags(html)
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : m;
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    })
    .replace(/[ \t]{2,}/g, ' ');
}

export class SearchText {
  private chunks: string[] = [];
  private length = 0;
  truncated = false;

  get remaining(): number {
    return MAX_SEARCH_TEXT - this.length;
  }

  add(text: string): void {
    if (this.remaining <= 0) {
      if (text) this.truncated = true;
      return;
    }
    if (text.length > this.remaining) {
      text = text.slice(0, this.remaining);
      this.truncated = true;
    }
    this.chunks.push(text);
    this.length += text.length;
  }

  /** Adds the decoded body of a text/* part. */
  addBody(buf: Buffer, start: number, end: number, subtype: string, encoding: string, charset: string | null): void {
    const rem = this.remaining;
    if (rem <= 0) {
      if (end > start) this.truncated = true;
      return;
    }
    const rawEnd = Math.min(end, start + rem * 4 + 16);
    const bytes = decodeTransfer(buf.subarray(start, rawEnd), encoding);
    let text = decodeBytes(bytes, charset);
    if (subtype.toLowerCase() === 'html') text = htmlToText(text);
    this.add(text + '\n');
  }

  /** Adds the header fields of an encapsulated message ("name: decoded value" lines). */
  addHeaders(buf: Buffer, fields: HeaderField[]): void {
    for (const f of fields) {
      if (this.remaining <= 0) break;
      this.add(`${f.name}: ${decodeHeaderValue(fieldValueBytes(buf, f))}\n`);
    }
  }

  text(): string {
    return this.chunks.join('');
  }
}

/** Top-level header fields, names lowercased, values unfolded and decoded, capped in total size. */
export function searchHeaders(buf: Buffer, fields: HeaderField[]): [string, string][] {
  const out: [string, string][] = [];
  let total = 0;
  for (const f of fields) {
    if (total >= MAX_SEARCH_HEADER_CHARS) break;
    let v = decodeHeaderValue(fieldValueBytes(buf, f));
    if (total + v.length > MAX_SEARCH_HEADER_CHARS) v = v.slice(0, MAX_SEARCH_HEADER_CHARS - total);
    total += v.length + f.name.length;
    out.push([f.name, v]);
  }
  return out;
}
