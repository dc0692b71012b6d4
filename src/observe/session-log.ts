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

export function sessionProtocolLog(log: ProtocolLog | null, conn: ConnFacts, now: () => Date = () => new Date()): SessionProtocolLog {
  let seq = 0;
  let user = '';
  let authMech = '';
  const write = (command: string, parameters: string, rqsize: number, rpsize: number, duration: number, context: string): void => {
    if (!log) return;
    log.write({
      dateTime: now(), sessionId: conn.sessionId, seqNumber: seq++, sIp: hostPort(conn.localAddress, conn.localPort),
      cIp: hostPort(conn.remoteAddress, conn.remotePort), user, duration, rqsize, rpsize, command, parameters, context,
      tls: tlsColumn(conn.tlsMode, conn.tls?.version), authMech, secure: conn.tls !== null,
    });
  };
  return {
    setUser(u: string): void { user = u; },
    setAuthMech(m: string): void { authMech = m; },
    event(context: string): void { write('', '', 0, 0, 0, context); },
    command(c): void { write(c.command, c.parameters, c.rqsize, c.rpsize, c.duration, c.context); },
  };
}
