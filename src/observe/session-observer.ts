/**
 * What a protocol session reports about itself, in one object: protocol-log rows (through
 * sessionProtocolLog) and metrics (connections, commands, latency, bytes sent). The session
 * hands `observer.connection` to its code instead of the raw connection, so every byte written
 * is counted without touching the writers; each command is timed between begin() and the
 * function it returns. Credentials are masked by the protocol-log writer; the observer passes
 * the parameters as the client sent them.
 */
import { performance } from 'node:perf_hooks';
import type { Connection } from '../net/types.js';
import { DelegatingConnection } from '../net/delegating-connection.js';
import type { ProtocolLog } from './types.js';
import { sessionProtocolLog, type SessionProtocolLog } from './session-log.js';
import { bytesSent, commandDuration, commandLabel, commands, connectionsAccepted, connectionsOpen, type MetricProtocol } from './metrics.js';

export interface SessionObserver {
  /** The connection the session should use: the same one, with bytes written counted. */
  readonly connection: Connection;
  setUser(user: string): void;
  setAuthMech(mechanism: string): void;
  /**
   * Starts timing a command. Call the returned function once its final reply is written, with
   * the reply status as context (IMAP: OK/NO/BAD); without one, the first word of the first
   * reply line written meanwhile is used (POP3: +OK/-ERR). Calling it twice does nothing.
   */
  begin(command: string, parameters: string, rqsize: number): (context?: string) => void;
  /** The connection is gone: a "Disconnected" row and the open-connection gauge. Idempotent. */
  end(context?: string): void;
}

const textBytes = (d: string | Buffer): number => (typeof d === 'string' ? Buffer.byteLength(d) : d.length);

/** A Connection that counts the bytes written through it and reports its close. */
class MeteredConnection extends DelegatingConnection {
  written = 0;
  /** The first line written since the last mark, up to 64 bytes. */
  firstReply: string | null = null;
  private closeHandler: (() => void) | null = null;

  constructor(inner: Connection, private readonly protocol: MetricProtocol, private readonly observer: { end(): void }) {
    super(inner);
    inner.onClose(() => {
      observer.end();
      this.closeHandler?.();
    });
  }

  override onClose(handler: () => void): void {
    this.closeHandler = handler;
    if (this.inner.closed) queueMicrotask(handler);
  }

  private count(data: string | Buffer): void {
    const n = textBytes(data);
    if (!n) return;
    if (this.firstReply === null) {
      const head = (typeof data === 'string' ? data.slice(0, 64) : data.subarray(0, 64).toString('latin1'));
      this.firstReply = head.split(/[\r\n ]/, 1)[0] ?? '';
    }
    this.written += n;
    bytesSent.inc({ protocol: this.protocol }, n);
  }

  override write(data: string | Buffer): void {
    if (!this.inner.closed) this.count(data);
    this.inner.write(data);
  }
  override close(finalWrite?: string | Buffer): void {
    if (finalWrite !== undefined && !this.inner.closed) this.count(finalWrite);
    this.inner.close(finalWrite);
  }
}

/** The mechanism a login command names: LOGIN, USER, or the SASL mechanism of AUTH/AUTHENTICATE. */
function mechanismOf(command: string, parameters: string): string | null {
  const c = command.toUpperCase();
  if (c === 'LOGIN') return 'LOGIN';
  if (c === 'USER' || c === 'PASS') return 'USER';
  if (c === 'AUTH' || c === 'AUTHENTICATE') {
    const m = parameters.trim().split(/\s+/, 1)[0] ?? '';
    return /^[A-Za-z0-9_-]{1,40}$/.test(m) ? m.toUpperCase() : null;
  }
  return null;
}

/**
 * Starts observing one connection: a "Connected" row, the connection counters. `log` null (or
 * a log whose protocol-log-enabled is off) writes no rows; metrics are always kept.
 */
export function observeSession(opts: { protocol: MetricProtocol; log: ProtocolLog | null; connection: Connection; now?: () => Date }): SessionObserver {
  return new ObservedSession(opts.protocol, opts.log, opts.connection, opts.now);
}

/** A class rather than closures: an idle session keeps this one object for hours. */
class ObservedSession implements SessionObserver {
  readonly connection: MeteredConnection;
  private readonly plog: SessionProtocolLog;
  private tlsLabel: string;
  private ended = false;

  constructor(private readonly protocol: MetricProtocol, log: ProtocolLog | null, connection: Connection, now?: () => Date) {
    this.tlsLabel = connection.tlsMode;
    connectionsAccepted.inc({ protocol, tls: this.tlsLabel });
    connectionsOpen.inc({ protocol, tls: this.tlsLabel });
    this.connection = new MeteredConnection(connection, protocol, this);
    this.plog = sessionProtocolLog(log, this.connection, now);
    this.plog.event('Connected');
  }

  setUser(u: string): void { this.plog.setUser(u); }
  setAuthMech(m: string): void { this.plog.setAuthMech(m); }

  begin(command: string, parameters: string, rqsize: number): (context?: string) => void {
    const started = performance.now();
    const conn = this.connection;
    const sentBefore = conn.written;
    conn.firstReply = null;
    const mech = mechanismOf(command, parameters);
    if (mech) this.plog.setAuthMech(mech);
    let done = false;
    return (context?: string): void => {
      if (done) return;
      done = true;
      const ms = performance.now() - started;
      const label = commandLabel(this.protocol, command.split(' ')[0] ?? command);
      commands.inc({ protocol: this.protocol, command: label });
      commandDuration.observe({ protocol: this.protocol, command: label }, ms / 1000);
      this.plog.command({
        command, parameters, rqsize, rpsize: conn.written - sentBefore, duration: ms,
        context: context ?? conn.firstReply ?? '',
      });
      this.refreshTls();
    };
  }

  end(context = 'Disconnected'): void {
    if (this.ended) return;
    this.ended = true;
    connectionsOpen.dec({ protocol: this.protocol, tls: this.tlsLabel });
    this.plog.event(context);
  }

  private refreshTls(): void {
    const now = this.connection.tlsMode;
    if (this.ended || now === this.tlsLabel) return;
    connectionsOpen.dec({ protocol: this.protocol, tls: this.tlsLabel });
    connectionsOpen.inc({ protocol: this.protocol, tls: now });
    this.tlsLabel = now;
  }
}

/** The command name, parameters and size of a framed IMAP command (literals shown as {n}). */
export function imapRequest(parts: Buffer[], literals: Buffer[]): { command: string; parameters: string; rqsize: number } {
  let text = '';
  let rqsize = 0;
  parts.forEach((p, i) => {
    text += p.toString('latin1');
    rqsize += p.length + 2;
    if (i < literals.length) {
      text += `{${literals[i].length}}`;
      rqsize += literals[i].length + String(literals[i].length).length + 2;
    }
  });
  const words = text.split(' ');
  // words[0] is the tag
  let command = (words[1] ?? '').toUpperCase().slice(0, 40);
  let rest = words.slice(2);
  if (command === 'UID' && words[2]) {
    command = `UID ${words[2].toUpperCase().slice(0, 40)}`;
    rest = words.slice(3);
  }
  return { command, parameters: rest.join(' '), rqsize };
}

/** The command name, parameters and size of a POP3 line; "*SASL*" while an AUTH exchange waits. */
export function popRequest(line: string, sasl: boolean): { command: string; parameters: string; rqsize: number } {
  const rqsize = Buffer.byteLength(line) + 2;
  if (sasl) return { command: '*SASL*', parameters: line, rqsize };
  const sp = line.indexOf(' ');
  const command = (sp < 0 ? line : line.slice(0, sp)).toUpperCase().slice(0, 40);
  return { command, parameters: sp < 0 ? '' : line.slice(sp + 1), rqsize };
}
