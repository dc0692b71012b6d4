/**
 * A Connection that forwards everything to another one: the base of the decorators that change
 * one or two behaviours (handing handlers over at login, counting bytes written) and delegate
 * the rest.
 */
import type { Connection, ListenerInfo, TlsFacts } from './types.js';

export class DelegatingConnection implements Connection {
  constructor(protected readonly inner: Connection) {}

  get sessionId(): string { return this.inner.sessionId; }
  get remoteAddress(): string { return this.inner.remoteAddress; }
  get remotePort(): number { return this.inner.remotePort; }
  get localAddress(): string { return this.inner.localAddress; }
  get localPort(): number { return this.inner.localPort; }
  get listener(): ListenerInfo { return this.inner.listener; }
  get tls(): TlsFacts | null { return this.inner.tls; }
  get tlsMode(): 'none' | 'starttls' | 'implicit' { return this.inner.tlsMode; }
  get closed(): boolean { return this.inner.closed; }

  onData(handler: (chunk: Buffer) => void): void { this.inner.onData(handler); }
  onClose(handler: () => void): void { this.inner.onClose(handler); }
  write(data: string | Buffer): void { this.inner.write(data); }
  drained(): Promise<void> { return this.inner.drained(); }
  pause(): void { this.inner.pause(); }
  resume(): void { this.inner.resume(); }
  startTls(): Promise<void> { return this.inner.startTls(); }
  setIdleTimeout(ms: number, onTimeout: () => void): void { this.inner.setIdleTimeout(ms, onTimeout); }
  close(finalWrite?: string | Buffer): void { this.inner.close(finalWrite); }
}
