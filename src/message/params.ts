/**
 * Content-Type and Content-Disposition parsing (RFC 2045 §5.1, RFC 2183) with RFC 2231
 * parameter value continuations and charset'language'%XX encoding. Parameter names are
 * lowercased; RFC 2231 parameters are joined and decoded to UTF-8 under their base name
 * ("filename*0*", "filename*1*" -> "filename"), at the position of their first section.
 * Plain values keep what was written (quotes removed, quoted-pairs unescaped; RFC 2047
 * encoded words are left as they are).
 */
import { decodeBytes } from './charset.js';

export interface ContentType {
  type: string;
  subtype: string;
  params: [string, string][];
}

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  return c > 0x20 && c !== 0x7f && TSPECIALS.indexOf(ch) < 0;
}

class Cursor {
  pos = 0;
  constructor(readonly s: string) {}
  get done(): boolean { return this.pos >= this.s.length; }
  peek(): string { return this.s[this.pos] ?? ''; }
  /** Skips whitespace and (nested) comments. */
  skipCfws(): void {
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos]!;
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') this.pos++;
      else if (ch === '(') {
        let depth = 0;
        while (this.pos < this.s.length) {
          const c = this.s[this.pos++]!;
          if (c === '\\') this.pos++;
          else if (c === '(') depth++;
          else if (c === ')' && --depth === 0) break;
        }
      } else break;
    }
  }
  token(): string {
    const from = this.pos;
    while (this.pos < this.s.length && isTokenChar(this.s[this.pos]!)) this.pos++;
    return this.s.slice(from, this.pos);
  }
  quoted(): string {
    // at '"'
    this.pos++;
    let out = '';
    while (this.pos < this.s.length) {
      const ch = this.s[this.pos++]!;
      if (ch === '\\' && this.pos < this.s.length) out += this.s[this.pos++]!;
      else if (ch === '"') return out;
      else out += ch;
    }
    return out;
  }
  /** A parameter value: a quoted string, or (lenient) everything up to the next ';'. */
  value(): string {
    this.skipCfws();
    if (this.peek() === '"') {
      const v = this.quoted();
      // tolerate junk after the closing quote
      while (!this.done && this.peek() !== ';') this.pos++;
      return v;
    }
    const from = this.pos;
    while (this.pos < this.s.length && this.s[this.pos] !== ';') this.pos++;
    let v = this.s.slice(from, this.pos).trim();
    // a trailing comment after an unquoted value: "name=x.pdf (comment)"
    if (v.endsWith(')')) {
      const open = v.lastIndexOf('(');
      if (open > 0) v = v.slice(0, open).trim();
    }
    return v;
  }
}

function percentDecode(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) out.push(c);
    else out.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(out);
}

interface Section { index: number; encoded: boolean; value: string }

/** Parses "; name=value" pairs from the cursor, then joins RFC 2231 sections. */
function parseParams(cur: Cursor): [string, string][] {
  const raw: Array<{ name: string; value: string }> = [];
  while (!cur.done) {
    cur.skipCfws();
    if (cur.peek() === ';') { cur.pos++; continue; }
    if (cur.done) break;
    const name = cur.token().toLowerCase();
    cur.skipCfws();
    if (!name || cur.peek() !== '=') {
      // garbage: skip to the next ';'
      while (!cur.done && cur.peek() !== ';') cur.pos++;
      continue;
    }
    cur.pos++;
    raw.push({ name, value: cur.value() });
  }
  const order: string[] = [];
  const seen = new Set<string>();
  const plain = new Map<string, string>();
  const ext = new Map<string, Section[]>();
  const sectionKeys = new Set<string>();
  for (const { name, value } of raw) {
    const m2 = /^(.*?)\*(\d+)(\*)?$/.exec(name);
    let base = name;
    let section: Section | null = null;
    if (m2) {
      base = m2[1]!;
      section = { index: Number(m2[2]), encoded: m2[3] === '*', value };
    } else if (name.endsWith('*')) {
      base = name.slice(0, -1);
      section = { index: 0, encoded: true, value };
    }
    if (!base) continue;
    if (!seen.has(base)) { seen.add(base); order.push(base); }
    if (section) {
      const key = `${base}*${section.index}`;
      if (!sectionKeys.has(key)) {
        sectionKeys.add(key);
        const list = ext.get(base) ?? [];
        list.push(section);
        ext.set(base, list);
      }
    } else if (!plain.has(base)) plain.set(base, value);
  }
  const out: [string, string][] = [];
  for (const base of order) {
    const sections = ext.get(base);
    if (sections && sections.length > 0) out.push([base, joinSections(sections)]);
    else out.push([base, plain.get(base) ?? '']);
  }
  return out;
}

function joinSections(sections: Section[]): string {
  sections.sort((a, b) => a.index - b.index);
  let charset: string | null = null;
  const chunks: Buffer[] = [];
  sections.forEach((s, i) => {
    let v = s.value;
    if (i === 0 && s.encoded) {
      const m = /^([^']*)'[^']*'(.*)$/s.exec(v);
      if (m) {
        charset = m[1] || null;
        v = m[2]!;
      }
    }
    chunks.push(s.encoded ? percentDecode(v) : Buffer.from(v, 'utf8'));
  });
  return decodeBytes(Buffer.concat(chunks), charset);
}

/** Parses a Content-Type value; null when it is syntactically invalid (the caller applies the default). */
export function parseContentType(value: string): ContentType | null {
  const cur = new Cursor(value);
  cur.skipCfws();
  const type = cur.token();
  cur.skipCfws();
  if (!type || cur.peek() !== '/') return null;
  cur.pos++;
  cur.skipCfws();
  const subtype = cur.token();
  if (!subtype) return null;
  cur.skipCfws();
  if (!cur.done && cur.peek() !== ';') {
    // junk after the subtype: keep the type, look for parameters after the next ';'
    while (!cur.done && cur.peek() !== ';') cur.pos++;
  }
  return { type, subtype, params: parseParams(cur) };
}

/** Parses a Content-Disposition value; null when there is no disposition type. */
export function parseDisposition(value: string): { type: string; params: [string, string][] } | null {
  const cur = new Cursor(value);
  cur.skipCfws();
  const type = cur.token();
  if (!type) return null;
  while (!cur.done && cur.peek() !== ';') cur.pos++;
  return { type, params: parseParams(cur) };
}

/** Parses a Content-Transfer-Encoding value: the token, or "7bit" when absent or invalid. */
export function parseEncoding(value: string | null): string {
  if (value === null) return '7bit';
  const cur = new Cursor(value);
  cur.skipCfws();
  const tok = cur.token();
  cur.skipCfws();
  return tok && cur.done ? tok : '7bit';
}
