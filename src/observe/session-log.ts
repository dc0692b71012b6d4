/**
 * The per-session side of a protocol log: numbers the rows, fills the addresses, user, TLS and
 * mechanism columns from the connection as it is at each row (so rows after STARTTLS say so).
 * Protocol sessions call command() once per completed command and event() for connect and
 * disconnect. With no log (protocol logging never set up) every call is a no-op.
 */
import type { Connection } from '../net/types.js';
import { tlsColumn, type ProtocolLog } from './types.js';

export interface SessionProtocolLog {
  setUser(user: string): void;
  setAuthMech(mechanism: string): void;
  /** A connection event row: "Connected", "Disconnected", "Timeout", ... */
  event(context: string): void;
  command(c: { command: string; parameters: string; rqsize: number; rpsize: number; duration: number; context: string }): void;
}

type ConnFacts = Pick<Connection, 'sessionId' | 'remoteAddress' | 'remotePort' | 'localAddress' | 'localPort' | 'tls' | 'tlsMode'>;

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function sessionProtocolLog(log: ProtocolLog | null, conn: ConnFacts, now: () => Date = defaultNow): SessionProtocolLog {
  return new SessionRows(log, conn, now);
}

const defaultNow = (): Date => new Date();

/** One session's rows: a class, not closures, so an idle session keeps one small object. */
class SessionRows implements SessionProtocolLog {
  private seq = 0;
  private user = '';
  private authMech = '';

  constructor(private readonly log: ProtocolLog | null, private readonly conn: ConnFacts, private readonly now: () => Date) {}

  setUser(u: string): void { this.user = u; }
  setAuthMech(m: string): void { this.authMech = m; }
  event(context: string): void { this.write('', '', 0, 0, 0, context); }
  command(c: Parameters<SessionProtocolLog['command']>[0]): void { this.write(c.command, c.parameters, c.rqsize, c.rpsize, c.duration, c.context); }

  private write(command: string, parameters: string, rqsize: number, rpsize: number, duration: number, context: string): void {
    if (!this.log) return;
    const conn = this.conn;
    this.log.write({
      dateTime: this.now(), sessionId: conn.sessionId, seqNumber: this.seq++, sIp: hostPort(conn.localAddress, conn.localPort),
      cIp: hostPort(conn.remoteAddress, conn.remotePort), user: this.user, duration, rqsize, rpsize, command, parameters, context,
      tls: tlsColumn(conn.tlsMode, conn.tls?.version), authMech: this.authMech, secure: conn.tls !== null,
    });
  }
}
