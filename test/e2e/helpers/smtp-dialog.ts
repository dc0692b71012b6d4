// A raw SMTP dialog for e2e tests that need control over the bytes before SMTP (a PROXY header):
// replies read one complete (possibly multi-line) reply at a time, STARTTLS over the same socket,
// and (re-exported from src/smtp/testkit.ts) a stream that sends a prefix together with the first
// bytes written to it (so a PROXY header and the TLS ClientHello leave in one packet).
import type { Duplex } from 'node:stream';
import type * as net from 'node:net';
import * as tls from 'node:tls';

export { withPrefixOnFirstWrite } from '../../../src/smtp/testkit.js';

export interface SmtpDialog {
  /** The next complete reply ("250-a\r\n250 b\r\n"); '' when the connection closed first. */
  reply(): Promise<string>;
  /** Sends a command line and returns its reply. */
  command(line: string): Promise<string>;
  /** Everything received not yet returned by reply(), and whether the connection has closed. */
  end(): Promise<{ text: string; closed: boolean }>;
  /** Stops reading (before the socket is handed to a TLS layer). */
  detach(): void;
}

const COMPLETE_REPLY = /^(?:\d{3}-[^\n]*\n)*\d{3}(?: [^\n]*)?\n/;

export function smtpDialog(sock: net.Socket | tls.TLSSocket | Duplex): SmtpDialog {
  let text = '';
  let closed = false;
  let wake = (): void => {};
  const onData = (d: Buffer): void => { text += d.toString('latin1'); wake(); };
  const onClose = (): void => { closed = true; wake(); };
  sock.on('data', onData);
  sock.on('close', onClose);
  sock.on('error', () => {});
  const reply = (): Promise<string> => new Promise((resolve) => {
    const check = (): void => {
      const m = COMPLETE_REPLY.exec(text);
      if (m) {
        text = text.slice(m[0].length);
        resolve(m[0]);
      } else if (closed) resolve('');
      else wake = check;
    };
    check();
  });
  return {
    reply,
    command: (line) => {
      sock.write(line + '\r\n');
      return reply();
    },
    end: () => new Promise((resolve) => {
      const check = (): void => {
        if (closed) resolve({ text, closed });
        else wake = check;
      };
      check();
    }),
    detach: () => {
      sock.removeListener('data', onData);
      sock.removeListener('close', onClose);
    },
  };
}

/** TLS client over an open stream (certificate not verified: a test certificate). */
export function startTls(sock: net.Socket | Duplex): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const secure = tls.connect({ socket: sock, rejectUnauthorized: false, servername: 'localhost' }, () => resolve(secure));
    secure.once('error', reject);
  });
}

/** AUTH PLAIN with an initial response. */
export function authPlain(user: string, password: string): string {
  return `AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`;
}
