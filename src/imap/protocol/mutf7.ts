/**
 * Modified UTF-7 for mailbox names (RFC 3501 §5.1.3), with strict validation on decode:
 * "&" must start a base64 run ("&-" is "&"), runs use "," instead of "/", must be non-empty,
 * must not encode printable ASCII, must be minimally padded, and must decode to valid UTF-16.
 */

export class MailboxNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MailboxNameError';
  }
}

export function encodeMailboxName(name: string): string {
  let out = '';
  let pending: number[] = [];
  const flush = (): void => {
    if (!pending.length) return;
    const buf = Buffer.alloc(pending.length * 2);
    pending.forEach((u, i) => buf.writeUInt16BE(u, i * 2));
    out += '&' + buf.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
    pending = [];
  };
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += code === 0x26 ? '&-' : name[i];
    } else {
      pending.push(code);
    }
  }
  flush();
  return out;
}

export function decodeMailboxName(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new MailboxNameError('Mailbox name must be 7-bit (modified UTF-7)');
    if (c !== 0x26) {
      out += text[i];
      i++;
      continue;
    }
    const end = text.indexOf('-', i + 1);
    if (end < 0) throw new MailboxNameError('Unterminated "&" sequence in mailbox name');
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      continue;
    }
    const b64 = text.slice(i + 1, end);
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) throw new MailboxNameError('Invalid modified UTF-7 in mailbox name');
    const bytes = Buffer.from(b64.replace(/,/g, '/'), 'base64');
    if (bytes.length % 2 !== 0 || bytes.length === 0) throw new MailboxNameError('Invalid modified UTF-7 in mailbox name');
    // Minimal encoding: re-encoding must give the same text (rejects extra bits and padding).
    if (bytes.toString('base64').replace(/=+$/, '') !== b64.replace(/,/g, '/')) {
      throw new MailboxNameError('Non-canonical modified UTF-7 in mailbox name');
    }
    let chunk = '';
    for (let k = 0; k < bytes.length; k += 2) {
      const u = bytes.readUInt16BE(k);
      chunk += String.fromCharCode(u);
    }
    for (let k = 0; k < chunk.length; k++) {
      const u = chunk.charCodeAt(k);
      if (u >= 0x20 && u <= 0x7e) throw new MailboxNameError('Modified UTF-7 must not encode printable ASCII');
      if (u >= 0xd800 && u <= 0xdbff) {
        const low = chunk.charCodeAt(k + 1);
        if (!(low >= 0xdc00 && low <= 0xdfff)) throw new MailboxNameError('Invalid UTF-16 in mailbox name');
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        throw new MailboxNameError('Invalid UTF-16 in mailbox name');
      }
    }
    out += chunk;
    i = end + 1;
    // Two adjacent encoded runs are not canonical.
    if (text[i] === '&' && text[i + 1] !== '-') throw new MailboxNameError('Non-canonical modified UTF-7 in mailbox name');
  }
  return out;
}
