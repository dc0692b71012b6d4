/**
 * RFC 5322 address-list parsing for ENVELOPE (RFC 3501 §7.4.2): mailboxes, groups, quoted
 * strings, comments, obsolete routes ("<@a,@b:user@host>") and obsolete phrases. Strings stay
 * raw: encoded words are not decoded. Name: the display phrase with quotes removed and
 * quoted-pairs unescaped (or, without a phrase, the last comment, as Dovecot does). Mailbox:
 * the local part as written (a quoted local part keeps its quotes, so mailbox@host is a
 * valid address). A missing local part or domain becomes "MISSING_MAILBOX" / "MISSING_DOMAIN"
 * (Dovecot's placeholders), since host=null is reserved for group markers.
 */
import type { EnvelopeAddress } from './types.js';

type Token =
  | { k: 'word'; text: string; raw: string; space: boolean }
  | { k: 'special'; ch: string; space: boolean }
  | { k: 'comment'; text: string; space: boolean };

const SPECIALS = '()<>[]:;@\\,."';

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let space = false;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') { i++; space = true; continue; }
    if (ch === '(') {
      let depth = 0;
      let text = '';
      while (i < s.length) {
        const c = s[i++]!;
        if (c === '\\' && i < s.length) { text += s[i++]!; continue; }
        if (c === '(') { if (depth++ > 0) text += c; continue; }
        if (c === ')') { if (--depth === 0) break; text += c; continue; }
        text += c;
      }
      out.push({ k: 'comment', text: text.trim(), space });
      space = true;
      continue;
    }
    if (ch === '"') {
      let text = '';
      const from = i;
      i++;
      while (i < s.length) {
        const c = s[i++]!;
        if (c === '\\' && i < s.length) { text += s[i++]!; continue; }
        if (c === '"') break;
        text += c;
      }
      out.push({ k: 'word', text, raw: s.slice(from, i), space });
    } else if (ch === '[') {
      const close = s.indexOf(']', i);
      const end = close < 0 ? s.length : close + 1;
      const raw = s.slice(i, end);
      out.push({ k: 'word', text: raw, raw, space });
      i = end;
    } else if (SPECIALS.includes(ch)) {
      out.push({ k: 'special', ch, space });
      i++;
    } else {
      const from = i;
      while (i < s.length && !SPECIALS.includes(s[i]!) && !' \t\r\n'.includes(s[i]!)) i++;
      const raw = s.slice(from, i);
      out.push({ k: 'word', text: raw, raw, space });
    }
    space = false;
  }
  return out;
}

function phrase(tokens: Token[]): string | null {
  let out = '';
  for (const t of tokens) {
    if (t.k === 'comment') continue;
    const text = t.k === 'word' ? t.text : t.ch;
    if (out && t.space) out += ' ';
    out += text;
  }
  out = out.trim();
  return out === '' ? null : out;
}

function lastComment(tokens: Token[]): string | null {
  for (let i = tokens.length - 1; i >= 0; i--) {
    const t = tokens[i]!;
    if (t.k === 'comment' && t.text !== '') return t.text;
  }
  return null;
}

function addrSpec(tokens: Token[], name: string | null): EnvelopeAddress {
  const ts = tokens.filter((t) => t.k !== 'comment');
  let i = 0;
  let adl: string | null = null;
  if (ts[0]?.k === 'special' && ts[0].ch === '@') {
    const colon = ts.findIndex((t) => t.k === 'special' && t.ch === ':');
    if (colon >= 0) {
      adl = ts.slice(0, colon).map((t) => (t.k === 'word' ? t.raw : t.k === 'special' ? t.ch : '')).join('');
      i = colon + 1;
    }
  }
  let local = '';
  for (; i < ts.length; i++) {
    const t = ts[i]!;
    if (t.k === 'special' && t.ch === '@') break;
    local += t.k === 'word' ? t.raw : t.k === 'special' ? t.ch : '';
  }
  let domain = '';
  for (i++; i < ts.length; i++) {
    const t = ts[i]!;
    domain += t.k === 'word' ? t.raw : t.k === 'special' ? t.ch : '';
  }
  return { name, adl, mailbox: local || 'MISSING_MAILBOX', host: domain || 'MISSING_DOMAIN' };
}

function hasContent(item: Token[]): boolean {
  return item.some((t) => t.k !== 'comment');
}

function mailbox(item: Token[]): EnvelopeAddress | null {
  if (!hasContent(item)) return null;
  const lt = item.findIndex((t) => t.k === 'special' && t.ch === '<');
  if (lt >= 0) {
    let gt = item.findIndex((t, j) => j > lt && t.k === 'special' && t.ch === '>');
    if (gt < 0) gt = item.length;
    const name = phrase(item.slice(0, lt)) ?? lastComment(item);
    const inner = item.slice(lt + 1, gt);
    if (!hasContent(inner)) return { name, adl: null, mailbox: 'MISSING_MAILBOX', host: 'MISSING_DOMAIN' };
    return addrSpec(inner, name);
  }
  return addrSpec(item, lastComment(item));
}

/** Parses an unfolded header value into ENVELOPE addresses; null when it holds no address or group. */
export function parseAddressList(value: string): EnvelopeAddress[] | null {
  const tokens = tokenize(value);
  const out: EnvelopeAddress[] = [];
  let inGroup = false;
  let item: Token[] = [];
  let inAngle = false;
  let itemHasAddr = false; // the item holds '@' or '<': a ':' is then not a group start
  const emit = (): void => {
    const a = mailbox(item);
    if (a) out.push(a);
    item = [];
    itemHasAddr = false;
  };
  for (const t of tokens) {
    if (t.k === 'special') {
      if (t.ch === '<' || t.ch === '@') itemHasAddr = true;
      if (t.ch === '<') inAngle = true;
      else if (t.ch === '>') inAngle = false;
      else if (!inAngle && t.ch === ',') { emit(); continue; }
      else if (!inAngle && t.ch === ';') {
        emit();
        if (inGroup) {
          out.push({ name: null, adl: null, mailbox: null, host: null });
          inGroup = false;
        }
        continue;
      } else if (!inAngle && t.ch === ':' && !inGroup && !itemHasAddr) {
        out.push({ name: null, adl: null, mailbox: phrase(item) ?? '', host: null });
        inGroup = true;
        item = [];
        continue;
      }
    }
    item.push(t);
  }
  emit();
  if (inGroup) out.push({ name: null, adl: null, mailbox: null, host: null });
  return out.length > 0 ? out : null;
}
