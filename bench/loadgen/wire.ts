/**
 * The load generator's sockets: raw TLS (or TCP for LMTP) with a small incremental line reader
 * that skips IMAP literals without copying them. Lean on purpose: it must not be the bottleneck.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';

export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
}

/** Incremental reader: calls onLine for each CRLF line; `{N}` at a line's end skips N literal bytes. */
export class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private literal = 0;
  /** Bytes received in total (payload, literals included). */
  bytes = 0;

  constructor(private readonly onLine: (line: string, afterLiteral: boolean) => void, private readonly imapLiterals: boolean) {}

  private afterLiteral = false;

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    if (this.literal > 0) {
      if (chunk.length <= this.literal) {
        this.literal -= chunk.length;
        return;
      }
      chunk = chunk.subarray(this.literal);
      this.literal = 0;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = this.buf.indexOf(10, start);
      if (nl < 0) break;
      const end = nl > start && this.buf[nl - 1] === 13 ? nl - 1 : nl;
      const line = this.buf.toString('latin1', start, end);
      start = nl + 1;
      const after = this.afterLiteral;
      this.afterLiteral = false;
      if (this.imapLiterals && line.endsWith('}')) {
        const m = /\{(\d+)\+?\}$/.exec(line);
        if (m) {
          this.onLine(line, after);
          const n = Number(m[1]);
          const avail = this.buf.length - start;
          this.afterLiteral = true;
          if (avail >= n) {
            start += n;
            continue;
          }
          this.literal = n - avail;
          this.buf = Buffer.alloc(0);
          return;
        }
      }
      this.onLine(line, after);
    }
    this.buf = start >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(start);
  }
}

/** Opens a socket and resolves once it is connected (after the TLS handshake for TLS). */
export function openSocket(ep: Endpoint, timeoutMs = 30_000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    };
    const sock: net.Socket = ep.tls
      ? tls.connect({ host: ep.host, port: ep.port, rejectUnauthorized: false, servername: 'localhost' }, () => done())
      : net.connect({ host: ep.host, port: ep.port }, () => done());
    const timer = setTimeout(() => onError(new Error(`connect to ${ep.host}:${ep.port} timed out`)), timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      sock.removeListener('error', onError);
      sock.setNoDelay(true);
      resolve(sock);
    };
    sock.once('error', onError);
  });
}

/** A FIFO of waiters for lines, shared by the protocol clients. */
export class Waiters<T> {
  private readonly q: Array<{ resolve: (v: T) => void; reject: (e: Error) => void }> = [];
  push(): Promise<T> {
    return new Promise((resolve, reject) => this.q.push({ resolve, reject }));
  }
  shift(): { resolve: (v: T) => void; reject: (e: Error) => void } | undefined {
    return this.q.shift();
  }
  get length(): number {
    return this.q.length;
  }
  failAll(err: Error): void {
    for (const w of this.q.splice(0)) w.reject(err);
  }
}
