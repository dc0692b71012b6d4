/** SEARCH program parsing (RFC 3501 §6.4.4, RFC 4731 ESEARCH RETURN, RFC 7162 MODSEQ). */
import { ImapSyntaxError, type ImapToken } from './tokenizer.js';
import { parseSequenceSet, type SeqRange } from './seqset.js';
import { parseSearchDate, dayNumber } from './dates.js';

export type SearchTextField = 'text' | 'body' | 'subject' | 'from' | 'to' | 'cc' | 'bcc' | { header: string };

export type SearchKey =
  | { op: 'all' }
  | { op: 'flag'; flag: string; set: boolean }
  | { op: 'recent'; set: boolean }
  | { op: 'text'; field: SearchTextField; value: string }
  | { op: 'date'; sent: boolean; cmp: 'before' | 'on' | 'since'; day: number }
  | { op: 'size'; cmp: 'larger' | 'smaller'; n: number }
  | { op: 'seq'; set: SeqRange[] }
  | { op: 'uid'; set: SeqRange[] }
  | { op: 'modseq'; n: number }
  | { op: 'not'; key: SearchKey }
  | { op: 'or'; a: SearchKey; b: SearchKey }
  | { op: 'and'; keys: SearchKey[] };

export type ReturnOption = 'MIN' | 'MAX' | 'ALL' | 'COUNT';

export interface SearchProgram {
  charset: string | null;
  /** Present when RETURN (...) was given (ESEARCH); an empty RETURN () means ALL. */
  returnOpts: ReturnOption[] | null;
  key: SearchKey;
}

export class BadCharsetError extends Error {
  constructor(readonly charset: string) {
    super(`Unsupported charset ${charset}`);
  }
}

export const SEARCH_CHARSETS = ['UTF-8', 'US-ASCII'];
const MAX_DEPTH = 64;

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], UNANSWERED: ['\\Answered', false],
  DELETED: ['\\Deleted', true], UNDELETED: ['\\Deleted', false],
  DRAFT: ['\\Draft', true], UNDRAFT: ['\\Draft', false],
  FLAGGED: ['\\Flagged', true], UNFLAGGED: ['\\Flagged', false],
  SEEN: ['\\Seen', true], UNSEEN: ['\\Seen', false],
};
const TEXT_KEYS: Record<string, SearchTextField> = {
  BCC: 'bcc', BODY: 'body', CC: 'cc', FROM: 'from', SUBJECT: 'subject', TEXT: 'text', TO: 'to',
};
const DATE_KEYS: Record<string, [boolean, 'before' | 'on' | 'since']> = {
  BEFORE: [false, 'before'], ON: [false, 'on'], SINCE: [false, 'since'],
  SENTBEFORE: [true, 'before'], SENTON: [true, 'on'], SENTSINCE: [true, 'since'],
};

export function parseSearchProgram(tokens: ImapToken[], allowReturn: boolean): SearchProgram {
  let i = 0;
  let returnOpts: ReturnOption[] | null = null;
  let charset: string | null = null;
  const atomAt = (k: number): string | null => (tokens[k]?.type === 'atom' ? (tokens[k] as { value: string }).value.toUpperCase() : null);
  if (allowReturn && atomAt(i) === 'RETURN') {
    const list = tokens[i + 1];
    if (!list || list.type !== 'list') throw new ImapSyntaxError('RETURN needs a list of options');
    returnOpts = [];
    for (const t of list.items) {
      const v = t.type === 'atom' ? t.value.toUpperCase() : '';
      if (v !== 'MIN' && v !== 'MAX' && v !== 'ALL' && v !== 'COUNT') throw new ImapSyntaxError(`Unknown RETURN option "${v}"`);
      if (!returnOpts.includes(v)) returnOpts.push(v);
    }
    if (!returnOpts.length) returnOpts.push('ALL');
    i += 2;
  }
  if (atomAt(i) === 'CHARSET') {
    const t = tokens[i + 1];
    if (!t || t.type === 'list') throw new ImapSyntaxError('CHARSET needs a name');
    charset = (t.type === 'atom' ? t.value : t.value.toString('latin1')).toUpperCase();
    if (!SEARCH_CHARSETS.includes(charset)) throw new BadCharsetError(charset);
    i += 2;
  }
  const rest = tokens.slice(i);
  if (!rest.length) throw new ImapSyntaxError('Missing search criteria');
  const cursor = { tokens: rest, i: 0 };
  const keys: SearchKey[] = [];
  while (cursor.i < rest.length) keys.push(parseKey(cursor, 0, charset));
  return { charset, returnOpts, key: keys.length === 1 ? keys[0] : { op: 'and', keys } };
}

interface Cursor { tokens: ImapToken[]; i: number }

function str(c: Cursor, key: string, charset: string | null): string {
  const t = c.tokens[c.i++];
  if (!t || t.type === 'list') throw new ImapSyntaxError(`${key} needs a string`);
  const bytes = t.type === 'atom' ? Buffer.from(t.value, 'utf8') : t.value;
  if (charset === 'US-ASCII' && bytes.some((b) => b > 0x7f)) throw new ImapSyntaxError(`${key}: 8-bit data in a US-ASCII search`);
  const s = bytes.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(bytes)) throw new ImapSyntaxError(`${key}: invalid UTF-8`);
  return s;
}

function atomArg(c: Cursor, key: string): string {
  const t = c.tokens[c.i++];
  if (!t || t.type !== 'atom') throw new ImapSyntaxError(`${key} needs an argument`);
  return t.value;
}

function num(c: Cursor, key: string): number {
  const v = atomArg(c, key);
  if (!/^\d{1,20}$/.test(v) || !Number.isSafeInteger(Number(v))) throw new ImapSyntaxError(`${key} needs a number`);
  return Number(v);
}

function parseKey(c: Cursor, depth: number, charset: string | null): SearchKey {
  if (depth > MAX_DEPTH) throw new ImapSyntaxError('Search program nested too deeply');
  const t = c.tokens[c.i++];
  if (!t) throw new ImapSyntaxError('Missing search key');
  if (t.type === 'list') {
    if (!t.items.length) throw new ImapSyntaxError('Empty parenthesised search key');
    const inner: Cursor = { tokens: t.items, i: 0 };
    const keys: SearchKey[] = [];
    while (inner.i < t.items.length) keys.push(parseKey(inner, depth + 1, charset));
    return keys.length === 1 ? keys[0] : { op: 'and', keys };
  }
  if (t.type === 'string') throw new ImapSyntaxError('Unexpected string in search program');
  const k = t.value.toUpperCase();
  if (k === 'ALL') return { op: 'all' };
  if (FLAG_KEYS[k]) return { op: 'flag', flag: FLAG_KEYS[k][0], set: FLAG_KEYS[k][1] };
  if (k === 'KEYWORD' || k === 'UNKEYWORD') {
    const kw = atomArg(c, k);
    if (!/^[\x21-\x7e]+$/.test(kw) || /[(){%*"\]]/.test(kw)) throw new ImapSyntaxError(`Invalid keyword "${kw.slice(0, 40)}"`);
    return { op: 'flag', flag: kw, set: k === 'KEYWORD' };
  }
  if (k === 'RECENT') return { op: 'recent', set: true };
  if (k === 'OLD') return { op: 'recent', set: false };
  if (k === 'NEW') return { op: 'and', keys: [{ op: 'recent', set: true }, { op: 'flag', flag: '\\Seen', set: false }] };
  if (TEXT_KEYS[k]) return { op: 'text', field: TEXT_KEYS[k], value: str(c, k, charset) };
  if (k === 'HEADER') {
    const name = str(c, k, charset);
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) throw new ImapSyntaxError('HEADER needs a field name');
    return { op: 'text', field: { header: name.toLowerCase() }, value: str(c, k, charset) };
  }
  if (DATE_KEYS[k]) {
    const v = c.tokens[c.i++];
    const text = v && v.type !== 'list' ? (v.type === 'atom' ? v.value : v.value.toString('latin1')) : '';
    const d = parseSearchDate(text);
    if (!d) throw new ImapSyntaxError(`${k} needs a date like 1-Feb-2024`);
    return { op: 'date', sent: DATE_KEYS[k][0], cmp: DATE_KEYS[k][1], day: dayNumber(d) };
  }
  if (k === 'LARGER' || k === 'SMALLER') return { op: 'size', cmp: k === 'LARGER' ? 'larger' : 'smaller', n: num(c, k) };
  if (k === 'NOT') return { op: 'not', key: parseKey(c, depth + 1, charset) };
  if (k === 'OR') {
    const a = parseKey(c, depth + 1, charset);
    const b = parseKey(c, depth + 1, charset);
    return { op: 'or', a, b };
  }
  if (k === 'UID') {
    const v = atomArg(c, k);
    const set = parseSequenceSet(v);
    if (!set) throw new ImapSyntaxError(`Invalid UID set "${v.slice(0, 60)}"`);
    return { op: 'uid', set };
  }
  if (k === 'MODSEQ') {
    // MODSEQ [entry-name entry-type] mod-sequence-valzer
    const next = c.tokens[c.i];
    if (next && next.type === 'string') {
      c.i++;
      const type = atomArg(c, k).toLowerCase();
      if (!['priv', 'shared', 'all'].includes(type)) throw new ImapSyntaxError('MODSEQ entry type must be priv, shared or all');
    }
    return { op: 'modseq', n: num(c, k) };
  }
  const set = parseSequenceSet(t.value);
  if (set) return { op: 'seq', set };
  throw new ImapSyntaxError(`Unknown search key "${t.value.slice(0, 40)}"`);
}

/** True when the program uses a MODSEQ key (the SEARCH response then carries (MODSEQ n)). */
export function usesModseq(key: SearchKey): boolean {
  switch (key.op) {
    case 'modseq': return true;
    case 'not': return usesModseq(key.key);
    case 'or': return usesModseq(key.a) || usesModseq(key.b);
    case 'and': return key.keys.some(usesModseq);
    default: return false;
  }
}
