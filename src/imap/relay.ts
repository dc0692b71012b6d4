/**
 * A Connection whose input and close handlers can be handed over: the frontend reads through
 * it, and on login passes the same object to the backend session, which installs its own
 * handlers. Everything else is delegated to the real connection.
 */
import type { Connection } from '../net/types.js';
import { DelegatingConnection } from '../net/delegating-connection.js';

export class RelayConnection extends DelegatingConnection {
  private dataHandler: ((chunk: Buffer) => void) | null = null;
  private closeHandler: (() => void) | null = null;
  private isClosed = false;

  constructor(inner: Connection) {
    super(inner);
    inner.onData((chunk) => this.dataHandler?.(chunk));
    inner.onClose(() => {
      this.isClosed = true;
      this.closeHandler?.();
    });
  }

  override get closed(): boolean { return this.isClosed || this.inner.closed; }

  override onData(handler: (chunk: Buffer) => void): void { this.dataHandler = handler; }
  override onClose(handler: () => void): void {
    this.closeHandler = handler;
    if (this.closed) queueMicrotask(handler);
  }
  /** Forget the current handlers (before handing over). */
  release(): void {
    this.dataHandler = null;
    this.closeHandler = null;
  }
  override write(data: string | Buffer): void { if (!this.closed) this.inner.write(data); }
}
