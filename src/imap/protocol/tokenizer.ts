/**
 * Turns a framed command (line parts + literals) into a generic token tree: atoms, strings
 * (quoted or literal), and parenthesised lists. Atoms are kept as text; NIL, numbers, flags,
 * sequence sets and FETCH items like BODY[HEADER.FIELDS (A B)]<0.10> are atoms (brackets are
 * read as part of the atom, with their contents). Consumers give atoms meaning.
 */

export type ImapToken =
  | { type: 'atom'; value: string }
  | { type: 'string'; value: Buffer; literal: boolean }
  | { type: 'list'; items: ImapToken[] };

export class ImapSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImapSyntaxError';
  }
}

/** Deepest list nesting accepted. */
export const MAX_LIST_DEPTH = 32;
/** Most tokens in one command. */
export const MAX_TOKENS = 100_000;

export interface TokenizedCommand {
  tag: string;
  tokens: ImapToken[];
}

const SPECIAL = new Set([0x20, 0x28, 0x29, 0x22, 0x7b, 0x0d, 0x0a]); // SP ( ) " { CR LF

export function tokenize(parts: Buffer[], literals: Buffer[]): ImapToken[] {
  let count = 0;
  const root: ImapToken[] = [];
  const stack: ImapToken[][] = [root];
  for (let p = 0; p < parts.length; p++) {
    const line = parts[p];
    let i = 0;
    while (i < line.length) {
      const c = line[i];
      if (c === 0x00) throw new ImapSyntaxError('NUL bytes are not allowed');
      if (c === 0x20) { i++; continue; }
      const cur = stack[stack.length - 1];
      if (++count > MAX_TOKENS) throw new ImapSyntaxError('Too many arguments');
      if (c === 0x28) {
        if (stack.length > MAX_LIST_DEPTH) throw new ImapSyntaxError('Lists nested too deeply');
        const list: ImapToken = { type: 'list', items: [] };
        cur.push(list);
        stack.push(list.items);
        i++;
      } else if (c === 0x29) {
        if (stack.length === 1) throw new ImapSyntaxError('Unexpected ")"');
        stack.pop();
        i++;
      } else if (c === 0x22) {
        const bytes: number[] = [];
        i++;
        for (;;) {
          if (i >= line.length) throw new ImapSyntaxError('Unterminated quoted string');
          const q = line[i];
          if (q === 0x22) { i++; break; }
          if (q === 0x5c) {
            const n = line[i + 1];
            if (n !== 0x22 && n !== 0x5c) throw new ImapSyntaxError('Invalid escape in quoted string');
            bytes.push(n);
            i += 2;
            continue;
          }
          if (q === 0x00) throw new ImapSyntaxError('NUL bytes are not allowed');
          bytes.push(q);
          i++;
        }
        cur.push({ type: 'string', value: Buffer.from(bytes), literal: false });
      } else if (c === 0x7b) {
        throw new ImapSyntaxError('Misplaced literal');
      } else {
        const start = i;
        let depth = 0;
        while (i < line.length) {
          const a = line[i];
          if (a === 0x00) throw new ImapSyntaxError('NUL bytes are not allowed');
          if (a === 0x5b) depth++;
          else if (a === 0x5d && depth > 0) depth--;
          else if (depth === 0 && (SPECIAL.has(a) || a < 0x20 || a === 0x7f)) break;
          else if (depth > 0 && (a === 0x0d || a === 0x0a)) break;
          i++;
        }
        if (depth > 0) throw new ImapSyntaxError('Unterminated "["');
        if (i === start) throw new ImapSyntaxError(`Unexpected character 0x${line[i].toString(16)}`);
        const text = line.subarray(start, i).toString('utf8');
        cur.push({ type: 'atom', value: text });
        if (i < line.length && line[i] !== 0x20 && line[i] !== 0x29 && line[i] !== 0x28) {
          throw new ImapSyntaxError(`Unexpected character after "${text}"`);
        }
      }
    }
    if (p < literals.length) {
      if (++count > MAX_TOKENS) throw new ImapSyntaxError('Too many arguments');
      stack[stack.length - 1].push({ type: 'string', value: literals[p], literal: true });
    }
  }
  if (stack.length !== 1) throw new ImapSyntaxError('Unterminated list: missing ")"');
  return root;
}

/** Splits off the tag; throws when the tag is missing or invalid. */
export function tokenizeCommand(parts: Buffer[], literals: Buffer[]): TokenizedCommand {
  const tokens = tokenize(parts, literals);
  const first = tokens[0];
  if (!first || first.type !== 'atom' || !isValidTag(first.value)) throw new ImapSyntaxError('Missing or invalid tag');
  return { tag: first.value, tokens: tokens.slice(1) };
}

export function isValidTag(tag: string): boolean {
  return tag.length > 0 && tag.length <= 64 && /^[\x21-\x7e]+$/.test(tag) && !/[(){%*"\\+\]]/.test(tag);
}
