/**
 * The hand-off header a frontend sends once both ends have proved the cluster secret: which
 * protocol, which account (by address: the backend looks it up in its own store), how the user
 * authenticated, and the facts of the real client connection (address, port, TLS) so the
 * backend's logs and limits see the client, not the frontend. "ping" asks whether the backend
 * serves. Validation is strict: anything unexpected is refused with a reason, never thrown.
 */
import type { TlsFacts } from '../net/types.js';

export type HandoffProtocol = 'imap4' | 'pop3' | 'ping';

export interface HandoffHeader {
  protocol: HandoffProtocol;
  /** Account address (empty for ping). */
  account: string;
  mechanism: string;
  clientAddress: string;
  clientPort: number;
  tlsMode: 'none' | 'starttls' | 'implicit';
  tls: TlsFacts | null;
  /** The frontend's session id: the backend logs under the same id. */
  sessionId: string;
  /** IMAP: the tag of the LOGIN/AUTHENTICATE command (the backend writes its tagged OK). */
  tag?: string;
  /** IMAP: input already read by the frontend, base64. */
  leftover?: string;
}

const MAX_STRING = 1024;

function str(v: unknown, name: string, max = MAX_STRING): string {
  if (typeof v !== 'string' || v.length > max) throw new Error(`header field ${name} must be a string of at most ${max} characters`);
  return v;
}

/** Validates a decoded J frame as a header; returns it or an error message. */
export function validateHeader(o: Record<string, unknown>): HandoffHeader | { error: string } {
  try {
    const protocol = o.protocol;
    if (protocol !== 'imap4' && protocol !== 'pop3' && protocol !== 'ping') throw new Error('header field protocol must be imap4, pop3 or ping');
    const tlsMode = o.tlsMode ?? 'none';
    if (tlsMode !== 'none' && tlsMode !== 'starttls' && tlsMode !== 'implicit') throw new Error('header field tlsMode must be none, starttls or implicit');
    let tls: TlsFacts | null = null;
    if (o.tls !== null && o.tls !== undefined) {
      if (typeof o.tls !== 'object' || Array.isArray(o.tls)) throw new Error('header field tls must be an object or null');
      const t = o.tls as Record<string, unknown>;
      tls = { version: str(t.version, 'tls.version', 64), cipher: str(t.cipher, 'tls.cipher', 128), servername: t.servername == null ? null : str(t.servername, 'tls.servername', 255) };
    }
    const port = o.clientPort ?? 0;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error('header field clientPort must be a port number');
    const h: HandoffHeader = {
      protocol,
      account: protocol === 'ping' ? '' : str(o.account, 'account', 320),
      mechanism: protocol === 'ping' ? '' : str(o.mechanism, 'mechanism', 64),
      clientAddress: str(o.clientAddress ?? '', 'clientAddress', 64),
      clientPort: port,
      tlsMode,
      tls,
      sessionId: str(o.sessionId ?? '', 'sessionId', 64),
    };
    if (protocol !== 'ping' && !h.account) throw new Error('header field account is empty');
    if (protocol === 'imap4') {
      h.tag = str(o.tag, 'tag', 256);
      if (!/^[\x21-\x7e]+$/.test(h.tag)) throw new Error('header field tag is not a valid IMAP tag');
      const leftover = str(o.leftover ?? '', 'leftover', 512 * 1024);
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(leftover)) throw new Error('header field leftover is not base64');
      h.leftover = leftover;
    }
    return h;
  } catch (err) {
    return { error: (err as Error).message };
  }
}
