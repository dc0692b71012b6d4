/**
 * A cursor over a command's argument tokens, with the typed readers commands need. Every
 * reader throws ImapSyntaxError with a message that says what was expected (the session
 * replies BAD with it).
 */
import { ImapSyntaxError, type ImapToken } from './tokenizer.js';
import { parseSequenceSet, type SeqRange } from './seqset.js';
import { decodeMailboxName } from './mutf7.js';

export class Args {
  private i = 0;
  constructor(private readonly tokens: ImapToken[], private readonly what = 'command') {}

  get remaining(): number {
    return this.tokens.length - this.i;
  }

  peek(): ImapToken | undefined {
    return this.tokens[this.i];
  }

  next(expected: string): ImapToken {
    const t = this.tokens[this.i];
    if (!t) throw new ImapSyntaxError(`Missing argument: expected ${expected}`);
    this.i++;
    return t;
  }

  /** The next token when it is an atom equal (case-insensitively) to `word`. */
  acceptAtom(word: string): boolean {
    const t = this.tokens[this.i];
    if (t && t.type === 'atom' && t.value.toUpperCase() === word.toUpperCase()) {
      this.i++;
      return true;
    }
    return false;
  }

  atom(expected = 'an atom'): string {
    const t = this.next(expected);
    if (t.type !== 'atom') throw new ImapSyntaxError(`Expected ${expected}`);
    return t.value;
  }

  /** astring: atom, quoted string or literal, as bytes. */
  astringBytes(expected = 'a string'): Buffer {
    const t = this.next(expected);
    if (t.type === 'atom') return Buffer.from(t.value, 'utf8');
    if (t.type === 'string') return t.value;
    throw new ImapSyntaxError(`Expected ${expected}, got a list`);
  }

  astring(expected = 'a string'): string {
    const b = this.astringBytes(expected);
    const s = b.toString('utf8');
    if (s.includes('\ufffd') && !Buffer.from(s, 'utf8').equals(b)) throw new ImapSyntaxError('Invalid UTF-8 in string');
    return s;
  }

  /** nstring: NIL or a string. */
  nstring(expected = 'a string or NIL'): string | null {
    const t = this.peek();
    if (t && t.type === 'atom' && t.value.toUpperCase() === 'NIL') {
      this.i++;
      return null;
    }
    return this.astring(expected);
  }

  /** A mailbox name, decoded from modified UTF-7 ("INBOX" in any case becomes "INBOX"). */
  mailbox(): string {
    const raw = this.astring('a mailbox name');
    return decodeMailboxArg(raw);
  }

  number(expected = 'a number'): number {
    const v = this.atom(expected);
    if (!/^\d{1,20}$/.test(v)) throw new ImapSyntaxError(`Expected ${expected}, got "${v.slice(0, 40)}"`);
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new ImapSyntaxError(`Number out of range: ${v.slice(0, 40)}`);
    return n;
  }

  sequenceSet(): SeqRange[] {
    const v = this.atom('a sequence set');
    const set = parseSequenceSet(v);
    if (!set) throw new ImapSyntaxError(`Invalid sequence set "${v.slice(0, 60)}"`);
    return set;
  }

  list(expected = 'a parenthesised list'): ImapToken[] {
    const t = this.next(expected);
    if (t.type !== 'list') throw new ImapSyntaxError(`Expected ${expected}`);
    return t.items;
  }

  /** A list, or a single atom treated as a one-element list. */
  listOrAtom(expected: string): ImapToken[] {
    const t = this.next(expected);
    return t.type === 'list' ? t.items : [t];
  }

  end(): void {
    if (this.i < this.tokens.length) throw new ImapSyntaxError(`Unexpected extra arguments to ${this.what}`);
  }

  rest(): ImapToken[] {
    const r = this.tokens.slice(this.i);
    this.i = this.tokens.length;
    return r;
  }
}

export function decodeMailboxArg(raw: string): string {
  const name = decodeMailboxName(raw);
  return name.toUpperCase() === 'INBOX' ? 'INBOX' : name.toUpperCase().startsWith('INBOX/') ? 'INBOX' + name.slice(5) : name;
}

export function tokenText(t: ImapToken): string {
  return t.type === 'atom' ? t.value : t.type === 'string' ? t.value.toString('utf8') : '';
}
