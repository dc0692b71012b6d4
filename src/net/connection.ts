/**
 * SocketConnection: the Connection contract (net/types.ts) over node:net and node:tls.
 *
 * Safety rules kept here, so no protocol engine can get them wrong:
 * - Input is delivered to exactly one handler; an exception thrown by it is logged and closes
 *   this connection only.
 * - startTls(): from the moment it is called no cleartext byte is delivered again (anything
 *   received and not yet delivered is discarded); input resumes only after the handshake has
 *   completed; a failed handshake closes the connection and rejects.
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import type { Logger } from '../core/log.js';
import { newSessionId } from '../core/ids.js';
import { hardenTlsSocket } from '../tls/policy.js';
import { clientCertificateOf, judgePeerCertificate } from '../tls/client-cert.js';
import type { TlsContextProvider } from '../tls/provider.js';
import type { Connection, ListenerInfo, TlsFacts } from './types.js';

/** Longest time a TLS handshake (implicit or STARTTLS) may take before the connection is dropped. */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 30_000;
/** How long close() waits for the peer before destroying the socket. */
const CLOSE_GRACE_MS = 5_000;

/** Strips the IPv4-mapped IPv6 prefix so that limits and logs see one form per client. */
export function normaliseAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function tlsFactsOf(socket: tls.TLSSocket): TlsFacts {
  const cipher = socket.getCipher();
  const servername = (socket as tls.TLSSocket & { servername?: string | false | null }).servername;
  const clientCertificate = clientCertificateOf(socket);
  return {
    version: socket.getProtocol() ?? 'unknown',
    cipher: cipher?.standardName ?? cipher?.name ?? 'unknown',
    servername: typeof servername === 'string' && servername ? servername : null,
    ...(clientCertificate ? { clientCertificate } : {}),
  };
}

/**
 * Wraps a raw socket in a server-side TLSSocket and resolves once the handshake is done.
 * Rejects (after destroying the socket) on failure or timeout.
 */
export function serverHandshake(raw: net.Socket, provider: TlsContextProvider, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let secure: tls.TLSSocket;
    let requestCert = false;
    try {
      const options = provider.serverOptions();
      requestCert = options.requestCert === true;
      secure = new tls.TLSSocket(raw, { ...options, isServer: true });
    } catch (err) {
      raw.destroy();
      reject(err as Error);
      return;
    }
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secure.destroy();
      raw.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new Error('TLS handshake timed out')), timeoutMs);
    secure.once('secure', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secure.removeListener('error', fail);
      secure.removeListener('close', onEarlyClose);
      // A client certificate (SASL EXTERNAL) is requested, never required: record the verdict.
      if (requestCert) judgePeerCertificate(secure);
      try {
        hardenTlsSocket(secure);
      } catch {
        /* socket already gone: the close handler reports it */
      }
      resolve(secure);
    });
    const onEarlyClose = (): void => fail(new Error('connection closed during TLS handshake'));
    secure.on('error', fail);
    secure.once('close', onEarlyClose);
  });
}

export interface SocketConnectionOptions {
  socket: net.Socket;
  listener: ListenerInfo;
  tlsMode: 'none' | 'implicit';
  tls: TlsContextProvider;
  logger: Logger;
  handshakeTimeoutMs?: number;
  /** The client as a trusted PROXY protocol header gave it; absent: the socket's peer. */
  remote?: { address: string; port: number };
  /**
   * Sees the first chunk of input before the session does; false closes the connection without
   * delivering it (used to refuse PROXY headers from untrusted peers).
   */
  screenFirstInput?: (chunk: Buffer) => boolean;
}

export class SocketConnection implements Connection {
  readonly sessionId = newSessionId();
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly listener: ListenerInfo;
  private socketNow: net.Socket;
  private tlsNow: TlsFacts | null = null;
  private mode: 'none' | 'starttls' | 'implicit';
  private isClosed = false;
  private upgrading = false;
  private paused = false;
  private dataHandler: ((chunk: Buffer) => void) | null = null;
  private readonly pending: Buffer[] = [];
  private readonly closeHandlers: Array<() => void> = [];
  private idleTimer: NodeJS.Timeout | null = null;
  private idle: { ms: number; onTimeout: () => void } | null = null;
  private readonly provider: TlsContextProvider;
  private readonly handshakeTimeoutMs: number;
  private screenFirstInput: ((chunk: Buffer) => boolean) | null;
  readonly log: Logger;

  constructor(opts: SocketConnectionOptions) {
    const s = opts.socket;
    this.socketNow = s;
    this.remoteAddress = opts.remote?.address ?? normaliseAddress(s.remoteAddress);
    this.remotePort = opts.remote?.port ?? s.remotePort ?? 0;
    this.screenFirstInput = opts.screenFirstInput ?? null;
    this.localAddress = normaliseAddress(s.localAddress);
    this.localPort = s.localPort ?? 0;
    this.listener = opts.listener;
    this.mode = opts.tlsMode;
    this.provider = opts.tls;
    this.handshakeTimeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.log = opts.logger.child({ session: this.sessionId });
    if (s instanceof tls.TLSSocket) this.tlsNow = tlsFactsOf(s);
    this.attach(s);
  }

  get tls(): TlsFacts | null { return this.tlsNow; }
  get tlsMode(): 'none' | 'starttls' | 'implicit' { return this.mode; }
  get closed(): boolean { return this.isClosed; }
  /** The socket currently carrying the session (the TLSSocket after an upgrade). */
  get socket(): net.Socket { return this.socketNow; }

  private readonly onSocketData = (chunk: Buffer): void => {
    if (this.upgrading || this.isClosed) return; // cleartext after STARTTLS: discarded
    if (this.screenFirstInput) {
      const screen = this.screenFirstInput;
      this.screenFirstInput = null;
      if (!screen(chunk)) {
        this.destroy();
        return;
      }
    }
    this.touch();
    if (!this.dataHandler || this.paused || this.pending.length > 0) {
      this.pending.push(chunk);
      this.flushPending();
      return;
    }
    this.deliver(chunk);
  };
  private readonly onSocketError = (err: Error): void => {
    this.log.debug('socket-error', { err: err.message });
    this.socketNow.destroy();
  };
  private readonly onSocketClose = (): void => this.finish();

  private attach(s: net.Socket): void {
    s.on('data', this.onSocketData);
    s.on('error', this.onSocketError);
    s.on('close', this.onSocketClose);
  }

  private detach(s: net.Socket): void {
    s.removeListener('data', this.onSocketData);
    s.removeListener('error', this.onSocketError);
    s.removeListener('close', this.onSocketClose);
  }

  private deliver(chunk: Buffer): void {
    const handler = this.dataHandler;
    if (!handler) return;
    try {
      handler(chunk);
    } catch (err) {
      this.log.error('session-exception', { err: err instanceof Error ? err : new Error(String(err)) });
      this.socketNow.destroy();
    }
  }

  private flushPending(): void {
    while (this.pending.length > 0 && this.dataHandler && !this.paused && !this.upgrading && !this.isClosed) {
      this.deliver(this.pending.shift() as Buffer);
    }
  }

  onData(handler: (chunk: Buffer) => void): void {
    this.dataHandler = handler;
    queueMicrotask(() => this.flushPending());
  }

  onClose(handler: () => void): void {
    if (this.isClosed) {
      queueMicrotask(handler);
      return;
    }
    this.closeHandlers.push(handler);
  }

  /**
   * Writes of one turn of the event loop are corked and leave together (one TLS record and one
   * system call instead of one per untagged line): a reply is usually written in pieces.
   */
  write(data: string | Buffer): void {
    const s = this.socketNow;
    if (this.isClosed || s.destroyed) return;
    if (this.corked === null) {
      this.corked = s;
      s.cork();
      process.nextTick(this.uncork);
    }
    s.write(data);
  }

  private corked: net.Socket | null = null;
  private readonly uncork = (): void => {
    const s = this.corked;
    this.corked = null;
    if (s && !s.destroyed) s.uncork();
  };

  drained(): Promise<void> {
    const s = this.socketNow;
    if (this.isClosed || s.destroyed || !s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        s.removeListener('drain', done);
        s.removeListener('close', done);
        resolve();
      };
      s.once('drain', done);
      s.once('close', done);
    });
  }

  pause(): void {
    this.paused = true;
    this.socketNow.pause();
  }

  resume(): void {
    this.paused = false;
    if (!this.upgrading) this.socketNow.resume();
    queueMicrotask(() => this.flushPending());
  }

  async startTls(): Promise<void> {
    if (this.mode !== 'none') throw new Error('connection is already encrypted');
    if (this.upgrading) throw new Error('TLS upgrade already in progress');
    if (this.isClosed) throw new Error('connection is closed');
    this.upgrading = true;
    this.pending.length = 0; // received but undelivered cleartext: discarded, never executed
    this.uncork(); // the cleartext reply that announced TLS must leave before the handshake
    const raw = this.socketNow;
    this.detach(raw);
    // Keep the raw socket from crashing the process on a late error; the TLS socket reports it.
    raw.on('error', () => {});
    let secure: tls.TLSSocket;
    try {
      secure = await serverHandshake(raw, this.provider, this.handshakeTimeoutMs);
    } catch (err) {
      this.log.info('starttls-failed', { reason: (err as Error).message });
      this.finish();
      throw err;
    }
    this.socketNow = secure;
    this.mode = 'starttls';
    this.tlsNow = tlsFactsOf(secure);
    this.attach(secure);
    if (secure.destroyed) {
      this.finish();
      throw new Error('connection closed after TLS handshake');
    }
    this.upgrading = false;
    if (this.paused) secure.pause();
    this.touch();
  }

  setIdleTimeout(ms: number, onTimeout: () => void): void {
    this.idle = ms > 0 ? { ms, onTimeout } : null;
    this.touch();
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    const idle = this.idle;
    if (!idle || this.isClosed) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      try {
        idle.onTimeout();
      } catch (err) {
        this.log.error('session-exception', { err: err instanceof Error ? err : new Error(String(err)) });
        this.socketNow.destroy();
      }
    }, idle.ms);
    this.idleTimer.unref();
  }

  close(finalWrite?: string | Buffer): void {
    if (this.isClosed) return;
    const s = this.socketNow;
    if (this.upgrading) {
      s.destroy();
      return;
    }
    this.pending.length = 0;
    this.dataHandler = null;
    if (finalWrite !== undefined && !s.destroyed) s.end(finalWrite);
    else s.end();
    const t = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
    t.unref();
    s.once('close', () => clearTimeout(t));
  }

  /** Destroys the socket at once. */
  destroy(): void {
    this.socketNow.destroy();
    if (this.upgrading) this.finish();
  }

  private finish(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.upgrading = false;
    this.pending.length = 0;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.socketNow.destroyed) this.socketNow.destroy();
    for (const h of this.closeHandlers.splice(0)) {
      try {
        h();
      } catch (err) {
        this.log.error('session-exception', { err: err instanceof Error ? err : new Error(String(err)) });
      }
    }
  }
}
