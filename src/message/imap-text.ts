/**
 * RFC 3501 §7.4.2 text form of ENVELOPE and BODYSTRUCTURE, as a plain reference rendering.
 * The corpus tests compare it with expectations written by hand; the IMAP service has its own
 * encoder (literals, UTF-8 and size rules belong there). Strings are always quoted here.
 */
import type { BodyPart, Envelope, EnvelopeAddress } from './types.js';

function q(s: string): string {
  return '"' + s.replace(/["\\]/g, (c) => '\\' + c) + '"';
}

function n(s: string | null): string {
  return s === null ? 'NIL' : q(s);
}

function addresses(list: EnvelopeAddress[] | null): string {
  if (list === null) return 'NIL';
  return '(' + list.map((a) => `(${n(a.name)} ${n(a.adl)} ${n(a.mailbox)} ${n(a.host)})`).join('') + ')';
}

export function envelopeText(e: Envelope): string {
  return '(' + [
    n(e.date), n(e.subject), addresses(e.from), addresses(e.sender), addresses(e.replyTo),
    addresses(e.to), addresses(e.cc), addresses(e.bcc), n(e.inReplyTo), n(e.messageId),
  ].join(' ') + ')';
}

function params(p: [string, string][]): string {
  return p.length === 0 ? 'NIL' : '(' + p.map(([k, v]) => `${q(k)} ${q(v)}`).join(' ') + ')';
}

function extension(part: BodyPart): string {
  const disp = part.disposition === null ? 'NIL' : `(${q(part.disposition.type)} ${params(part.disposition.params)})`;
  const lang = part.language === null ? 'NIL' : '(' + part.language.map(q).join(' ') + ')';
  return `${disp} ${lang} ${n(part.location)}`;
}

/** BODYSTRUCTURE with extension data. Iterative, so deep trees cannot overflow the stack. */
export function bodyStructureText(root: BodyPart): string {
  const out: string[] = [];
  type Item = { part: BodyPart } | { text: string };
  const stack: Item[] = [{ part: root }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('text' in item) { out.push(item.text); continue; }
    const p = item.part;
    if (p.parts) {
      out.push('(');
      stack.push({ text: ` ${q(p.subtype)} ${params(p.params)} ${extension(p)})` });
      for (let i = p.parts.length - 1; i >= 0; i--) stack.push({ part: p.parts[i]! });
      continue;
    }
    const head = `(${q(p.type)} ${q(p.subtype)} ${params(p.params)} ${n(p.id)} ${n(p.description)} ${q(p.encoding)} ${p.size}`;
    const tail = ` ${n(p.md5)} ${extension(p)})`;
    if (p.message && p.envelope) {
      out.push(`${head} ${envelopeText(p.envelope)} `);
      stack.push({ text: ` ${p.lines}${tail}` });
      stack.push({ part: p.message });
    } else if (p.type.toLowerCase() === 'text') {
      out.push(`${head} ${p.lines}${tail}`);
    } else {
      out.push(head + tail);
    }
  }
  return out.join('');
}
