/**
 * The backend's view of a client whose session a remote frontend handed over: a Connection
 * whose remote address, port and TLS facts are the real client's (from the hand-off header),
 * whose input is the D frames the frontend forwards, and whose output goes back as D frames.
 * close() sends an E frame, so the frontend can tell a session that ended from a backend that
 * died (it then tells the client itself).
 */
import type { Connection, ListenerInfo, TlsFacts } from '../net/types.js';
import type { FramedSocket } from './channel.js';
import type { HandoffHeader } from './header.js';

export class ProxiedConnection implements Connection {
  readonly sessionId: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly tls: TlsFacts | null;
  readonly tlsMode: 'none' | 'starttls' | 'implicit';
  private dataHandler: ((chunk: Buffer) => void) | null = null;
  private readonly pendingInput: Buffer[] = [];
  private closeHandlers: Array<() => void> = [];
  private isClosed = false;
  private idleTimer: NodeJS.Timeout | null = null;
  private idle: { ms: number; onTimeout: () => void } | null = null;

  constructor(private readonly channel: FramedSocket, header: HandoffHeader, readonly listener: ListenerInfo) {
    this.sessionId = header.sessionId || `be-${Date.now().toString(36)}`;
    this.remoteAddress = header.clientAddress;
    this.remotePort = header.clientPort;
    this.localAddress = channel.socket.localAddress ?? '';
    this.localPort = channel.socket.localPort ?? 0;
    this.tls = header.tls;
    this.tlsMode = header.tlsMode;
    channel.onFrame((f) => {
      if (f.type === 'D') {
        this.touch();
        if (this.dataHandler) this.dataHandler(f.payload);
        else this.pendingInput.push(f.payload);
      } else if (f.type === 'E') {
        channel.end();
      }
    });
    channel.onClose(() => this.gone());
  }

  get closed(): boolean { return this.isClosed; }

  onData(handler: (chunk: Buffer) => void): void {
    this.dataHandler = handler;
    const q = this.pendingInput.splice(0);
    q.forEach((c) => handler(c));
  }
  onClose(handler: () => void): void {
    if (this.isClosed) queueMicrotask(handler);
    else this.closeHandlers.push(handler);
  }
  write(data: string | Buffer): void {
    if (this.isClosed) return;
    this.channel.sendData(data);
    this.touch();
  }
  drained(): Promise<void> { return this.channel.drained(); }
  pause(): void { this.channel.socket.pause(); }
  resume(): void { this.channel.socket.resume(); }
  startTls(): Promise<void> { return Promise.reject(new Error('TLS is terminated by the frontend')); }
  setIdleTimeout(ms: number, onTimeout: () => void): void {
    this.idle = ms > 0 ? { ms, onTimeout } : null;
    this.touch();
  }
  close(finalWrite?: string | Buffer): void {
    if (this.isClosed) return;
    if (finalWrite !== undefined && finalWrite.length) this.channel.sendData(finalWrite);
    this.channel.send('E', 'bye');
    this.channel.end();
    this.gone();
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (!this.idle || this.isClosed) return;
    const { ms, onTimeout } = this.idle;
    this.idleTimer = setTimeout(onTimeout, ms);
    this.idleTimer.unref();
  }

  private gone(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const hs = this.closeHandlers;
    this.closeHandlers = [];
    hs.forEach((h) => h());
  }
}
