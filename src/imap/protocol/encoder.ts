/**
 * Response encoding: strings as quoted or literal, NIL, lists, ENVELOPE and BODYSTRUCTURE
 * (RFC 3501 §7.4.2) from the indexer's records. Output is text to be written as UTF-8; literal
 * lengths count UTF-8 octets.
 */
import type { BodyPart, Envelope, EnvelopeAddress } from '../../message/types.js';

/** A string as an IMAP quoted string, or a literal when it cannot be quoted. */
export function quote(s: string): string {
  if (s.length <= 1024 && !/[\r\n\0\x80-\uffff]/.test(s)) {
    return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
  }
  return literal(s);
}

export function literal(s: string): string {
  return `{${Buffer.byteLength(s, 'utf8')}}\r\n${s}`;
}

export function nstring(s: string | null | undefined): string {
  return s === null || s === undefined ? 'NIL' : quote(s);
}

/** An astring: an atom when safe, else quoted. */
export function astring(s: string): string {
  return /^[!#$&'+-Z^-z|}~]+$/.test(s) && s.toUpperCase() !== 'NIL' ? s : quote(s);
}

function addressList(list: EnvelopeAddress[] | null): string {
  if (!list || list.length === 0) return 'NIL';
  return '(' + list.map((a) => `(${nstring(a.name)} ${nstring(a.adl)} ${nstring(a.mailbox)} ${nstring(a.host)})`).join('') + ')';
}

export function encodeEnvelope(e: Envelope): string {
  return '(' + [
    nstring(e.date), nstring(e.subject), addressList(e.from), addressList(e.sender ?? e.from),
    addressList(e.replyTo ?? e.from), addressList(e.to), addressList(e.cc), addressList(e.bcc),
    nstring(e.inReplyTo), nstring(e.messageId),
  ].join(' ') + ')';
}

function params(p: [string, string][]): string {
  if (!p.length) return 'NIL';
  return '(' + p.map(([k, v]) => `${quote(k.toUpperCase())} ${quote(v)}`).join(' ') + ')';
}

function disposition(part: BodyPart): string {
  const d = part.disposition;
  if (!d) return 'NIL';
  return `(${quote(d.type.toUpperCase())} ${params(d.params)})`;
}

function language(part: BodyPart): string {
  const l = part.language;
  if (!l || !l.length) return 'NIL';
  return l.length === 1 ? quote(l[0]) : '(' + l.map(quote).join(' ') + ')';
}

/** BODYSTRUCTURE (ext = true) or BODY (ext = false). */
export function encodeBodyStructure(part: BodyPart, ext: boolean, depth = 0): string {
  if (depth > 100) return '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0)';
  const type = part.type.toUpperCase();
  if (part.parts && part.parts.length) {
    let out = '(' + part.parts.map((c) => encodeBodyStructure(c, ext, depth + 1)).join('') + ' ' + quote(part.subtype.toUpperCase());
    if (ext) out += ` ${params(part.params)} ${disposition(part)} ${language(part)} ${nstring(part.location)}`;
    return out + ')';
  }
  if (type === 'MULTIPART') {
    // A multipart without parts is described as one empty text/plain part.
    const empty = '("TEXT" "PLAIN" NIL NIL NIL "7BIT" 0 0)';
    let out = '(' + empty + ' ' + quote(part.subtype.toUpperCase());
    if (ext) out += ` ${params(part.params)} ${disposition(part)} ${language(part)} ${nstring(part.location)}`;
    return out + ')';
  }
  const fields = [
    quote(type), quote(part.subtype.toUpperCase()), params(part.params), nstring(part.id),
    nstring(part.description), quote(part.encoding.toUpperCase()), String(part.size),
  ];
  let out = '(' + fields.join(' ');
  if (part.message && part.envelope) {
    out += ` ${encodeEnvelope(part.envelope)} ${encodeBodyStructure(part.message, ext, depth + 1)} ${part.lines}`;
  } else if (type === 'TEXT') {
    out += ` ${part.lines}`;
  }
  if (ext) out += ` ${nstring(part.md5)} ${disposition(part)} ${language(part)} ${nstring(part.location)}`;
  return out + ')';
}

/** A flag list "(\Seen $Label)". */
export function flagList(flags: readonly string[]): string {
  return '(' + flags.join(' ') + ')';
}
