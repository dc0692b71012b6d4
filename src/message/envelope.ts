/** ENVELOPE (RFC 3501 §7.4.2) from a parsed header block: raw unfolded strings, first field of each name wins. */
import { parseAddressList } from './addresses.js';
import { fieldRawValue, findField, type HeaderField } from './headers.js';
import type { Envelope, EnvelopeAddress } from './types.js';

export function buildEnvelope(buf: Buffer, fields: HeaderField[]): Envelope {
  const str = (name: string): string | null => {
    const f = findField(fields, name);
    return f ? fieldRawValue(buf, f) : null;
  };
  const addrs = (name: string): EnvelopeAddress[] | null => {
    const v = str(name);
    return v === null ? null : parseAddressList(v);
  };
  const from = addrs('from');
  return {
    date: str('date'),
    subject: str('subject'),
    from,
    sender: addrs('sender') ?? from,
    replyTo: addrs('reply-to') ?? from,
    to: addrs('to'),
    cc: addrs('cc'),
    bcc: addrs('bcc'),
    inReplyTo: str('in-reply-to'),
    messageId: str('message-id'),
  };
}
