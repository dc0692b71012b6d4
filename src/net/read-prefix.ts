/**
 * Reading the first bytes of a raw socket before anyone else does: the PROXY header of a trusted
 * load balancer, or a peek at a client's first input. Shared by net/listener.ts (IMAP, POP3) and
 * smtp/proxy-front.ts (submission), so both read and refuse headers the same way.
 */
import type * as net from 'node:net';
import { ProxyHeaderParser, type ProxyHeader } from './proxy-protocol.js';

/**
 * Resolves with the first input of a raw socket as `read` wants it, then leaves the socket
 * paused with the unconsumed bytes put back (so a TLSSocket or the protocol layer reads them next).
 * Rejects on timeout, close, or when `read` throws.
 */
export function readPrefix<T>(raw: net.Socket, timeoutMs: number, read: (chunk: Buffer) => { value: T; rest: Buffer } | null): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (err: Error | null, value?: T, rest?: Buffer): void => {
      clearTimeout(timer);
      raw.removeListener('data', onData);
      raw.removeListener('close', onClose);
      raw.pause();
      if (err) return reject(err);
      if (rest && rest.length) raw.unshift(rest);
      resolve(value as T);
    };
    const onData = (chunk: Buffer): void => {
      let got: { value: T; rest: Buffer } | null;
      try {
        got = read(chunk);
      } catch (err) {
        return finish(err as Error);
      }
      if (got) finish(null, got.value, got.rest);
    };
    const onClose = (): void => finish(new Error('connection closed'));
    const timer = setTimeout(() => finish(new Error(`nothing within ${timeoutMs} ms`)), timeoutMs);
    raw.on('data', onData);
    raw.once('close', onClose);
  });
}

/**
 * Reads and strips the PROXY header (v1 or v2) a trusted proxy must send first. Bytes after the
 * header in the same packet stay in the socket, which is left paused. Rejects on a bad header,
 * on close, or when no complete header came within `timeoutMs`.
 */
export function readProxyHeader(raw: net.Socket, timeoutMs: number): Promise<ProxyHeader> {
  const parser = new ProxyHeaderParser();
  return readPrefix(raw, timeoutMs, (chunk) => {
    const step = parser.push(chunk);
    if (step.state === 'need-more') return null;
    if (step.state === 'error') throw new Error(step.error);
    return { value: step.header, rest: step.rest };
  });
}
