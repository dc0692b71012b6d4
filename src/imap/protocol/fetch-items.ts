/** FETCH data items (RFC 3501 §6.4.5, RFC 7162 MODSEQ) parsed from tokens. */
import { ImapSyntaxError, type ImapToken } from './tokenizer.js';

export type SimpleItem = 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'ENVELOPE' | 'BODY' | 'BODYSTRUCTURE' | 'UID' | 'MODSEQ';

export type SectionSpec = '' | 'HEADER' | 'TEXT' | 'MIME' | 'HEADER.FIELDS' | 'HEADER.FIELDS.NOT';

export interface BodySection {
  /** Part numbers, e.g. [1, 2] for "1.2"; empty for the whole message. */
  path: number[];
  spec: SectionSpec;
  /** Field names for HEADER.FIELDS(.NOT), as the client wrote them. */
  fields?: string[];
}

export interface BodyItem {
  kind: 'body';
  peek: boolean;
  section: BodySection;
  partial?: { offset: number; length: number };
  /** How the item is named in the response, e.g. "BODY[HEADER.FIELDS (From)]<0>" or "RFC822". */
  label: string;
}

export type FetchItem = { kind: 'simple'; name: SimpleItem } | BodyItem;

const SIMPLE = new Set<string>(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE', 'UID', 'MODSEQ']);
const MACROS: Record<string, SimpleItem[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** Parses the item argument of FETCH: a macro, a single item, or a list of items. */
export function parseFetchItems(arg: ImapToken): FetchItem[] {
  if (arg.type === 'atom' && MACROS[arg.value.toUpperCase()]) {
    return MACROS[arg.value.toUpperCase()].map((name) => ({ kind: 'simple', name }));
  }
  const tokens = arg.type === 'list' ? arg.items : [arg];
  if (tokens.length === 0) throw new ImapSyntaxError('Empty FETCH item list');
  return tokens.map(parseFetchItem);
}

function parseFetchItem(t: ImapToken): FetchItem {
  if (t.type !== 'atom') throw new ImapSyntaxError('Invalid FETCH item');
  const upper = t.value.toUpperCase();
  if (SIMPLE.has(upper)) return { kind: 'simple', name: upper as SimpleItem };
  if (upper === 'RFC822') return { kind: 'body', peek: false, section: { path: [], spec: '' }, label: 'RFC822' };
  if (upper === 'RFC822.HEADER') return { kind: 'body', peek: true, section: { path: [], spec: 'HEADER' }, label: 'RFC822.HEADER' };
  if (upper === 'RFC822.TEXT') return { kind: 'body', peek: false, section: { path: [], spec: 'TEXT' }, label: 'RFC822.TEXT' };
  const m = /^(BODY|BODY\.PEEK)\[([^\]]*)\](?:<(\d{1,10})\.(\d{1,10})>)?$/i.exec(t.value);
  if (!m) throw new ImapSyntaxError(`Unknown FETCH item "${t.value.slice(0, 60)}"`);
  const section = parseSection(m[2]);
  const item: BodyItem = { kind: 'body', peek: m[1].toUpperCase() === 'BODY.PEEK', section, label: 'BODY[' + formatSection(section) + ']' };
  if (m[3] !== undefined) {
    const offset = Number(m[3]);
    const length = Number(m[4]);
    if (length === 0) throw new ImapSyntaxError('Partial length must not be zero');
    item.partial = { offset, length };
    item.label += `<${offset}>`;
  }
  return item;
}

export function parseSection(text: string): BodySection {
  const pm = /^([1-9]\d{0,8}(?:\.[1-9]\d{0,8})*)(?:\.(.+))?$/s.exec(text);
  const path = pm ? pm[1].split('.').map(Number) : [];
  const rest = pm ? (pm[2] ?? '') : text;
  const upper = rest.toUpperCase();
  if (upper === '') return { path, spec: '' };
  if (upper === 'HEADER' || upper === 'TEXT') return { path, spec: upper };
  if (upper === 'MIME') {
    if (!path.length) throw new ImapSyntaxError('MIME needs a part number');
    return { path, spec: 'MIME' };
  }
  const f = /^(HEADER\.FIELDS(?:\.NOT)?) \((.*)\)$/is.exec(rest);
  if (f) {
    const fields = parseFieldNames(f[2]);
    if (!fields.length) throw new ImapSyntaxError('Empty header field list');
    return { path, spec: f[1].toUpperCase() as SectionSpec, fields };
  }
  throw new ImapSyntaxError(`Invalid section "${text.slice(0, 60)}"`);
}

function parseFieldNames(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|([^\s()"]+))/gy;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(text)) !== null) {
    const name = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new ImapSyntaxError(`Invalid header field name "${name.slice(0, 40)}"`);
    out.push(name);
    last = re.lastIndex;
  }
  if (text.slice(last).trim() !== '') throw new ImapSyntaxError('Invalid header field list');
  return out;
}

export function formatSection(s: BodySection): string {
  let out = s.path.join('.');
  if (s.spec) out += (out ? '.' : '') + s.spec;
  if (s.fields) out += ' (' + s.fields.map((f) => f.toUpperCase()).join(' ') + ')';
  return out;
}
