/**
 * A Connection whose input and close handlers can be handed over: the frontend reads through
 * it, and on login passes the same object to the backend session, which installs its own
 * handlers. Everything else is delegated to the real connection.
 */
import type { Connection, ListenerInfo, TlsFacts } from '../net/types.js';

export class RelayConnection implements Connection {
  private dataHandler: ((chunk: Buffer) => void) | null = null;
  private closeHandler: (() => void) | null = null;
  private isClosed = false;

  constructor(private readonly inner: Connection) {
    inner.onData((chunk) => this.dataHandler?.(chunk));
    inner.onClose(() => {
      this.isClosed = true;
      this.closeHandler?.();
    });
  }

  get sessionId(): string { return this.inner.sessionId; }
  get remoteAddress(): string { return this.inner.remoteAddress; }
  get remotePort(): number { return this.inner.remotePort; }
  get localAddress(): string { return this.inner.localAddress; }
  get localPort(): number { return this.inner.localPort; }
  get listener(): ListenerInfo { return this.inner.listener; }
  get tls(): TlsFacts | null { return this.inner.tls; }
  get tlsMode(): 'none' | 'starttls' | 'implicit' { return this.inner.tlsMode; }
  get closed(): boolean { return this.isClosed || this.inner.closed; }

  onData(handler: (chunk: Buffer) => void): void { this.dataHandler = handler; }
  onClose(handler: () => void): void {
    this.closeHandler = handler;
    if (this.closed) queueMicrotask(handler);
  }
  /** Forget the current handlers (before handing over). */
  release(): void {
    this.dataHandler = null;
    this.closeHandler = null;
  }
  write(data: string | Buffer): void { if (!this.closed) this.inner.write(data); }
  drained(): Promise<void> { return this.inner.drained(); }
  pause(): void { this.inner.pause(); }
  resume(): void { this.inner.resume(); }
  startTls(): Promise<void> { return this.inner.startTls(); }
  setIdleTimeout(ms: number, onTimeout: () => void): void { this.inner.setIdleTimeout(ms, onTimeout); }
  close(finalWrite?: string | Buffer): void { this.inner.close(finalWrite); }
}
