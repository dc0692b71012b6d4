// A raw SMTP dialog for e2e tests that need control over the bytes before SMTP (a PROXY header):
// replies read one complete (possibly multi-line) reply at a time, STARTTLS over the same socket,
// and a stream that sends a prefix together with the first bytes written to it (so a PROXY header
// and the TLS ClientHello leave in one packet, as a load balancer sends them).
import { Duplex } from 'node:stream';
import type * as net from 'node:net';
import * as tls from 'node:tls';

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

/** A stream over `raw` whose first write goes out as one write of `prefix` + those bytes. */
export function withPrefixOnFirstWrite(raw: net.Socket, prefix: Buffer): Duplex {
  let first = true;
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      raw.write(first ? Buffer.concat([prefix, chunk]) : chunk, cb);
      first = false;
    },
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on('data', (d: Buffer) => stream.push(d));
  raw.on('end', () => stream.push(null));
  raw.on('close', () => stream.destroy());
  raw.on('error', () => {});
  return stream;
}

/** AUTH PLAIN with an initial response. */
export function authPlain(user: string, password: string): string {
  return `AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`;
}
