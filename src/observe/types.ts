/**
 * What protocol sessions and the authenticator hand to the observe layer: one protocol-log row
 * per command/response exchange, and one login event per authentication attempt. Both are plain
 * data; the writers (protocol-log.ts, security-log.ts) mask and store them.
 */
import type { Protocol } from '../auth/types.js';

/** One row of a protocol log (Exchange-style CSV). */
export interface ProtocolLogRow {
  dateTime: Date;
  sessionId: string;
  /** Per-session running number of the row. */
  seqNumber: number;
  /** Server address:port. */
  sIp: string;
  /** Client address:port (the real one, also when passed by a trusted load balancer). */
  cIp: string;
  /** Authenticated user, or '' before login. */
  user: string;
  /** Milliseconds the command took. */
  duration: number;
  /** Request size in bytes. */
  rqsize: number;
  /** Response size in bytes. */
  rpsize: number;
  /**
   * The command verb (LOGIN, SELECT, USER, PASS, AUTHENTICATE, ...), or "*SASL*" for any
   * continuation line that may carry a credential (SASL responses, the literal of a LOGIN
   * password), or "" for connection events (connect, disconnect).
   */
  command: string;
  /** The command arguments. Masked by the writer for credential-bearing commands. */
  parameters: string;
  /** Free text: the response status, an event name ("Connected", "Disconnected"), ... */
  context: string;
  /** "none" | "starttls TLSv1.3" | "implicit TLSv1.3" — see tlsColumn(). */
  tls: string;
  /** SASL mechanism or LOGIN/USER once known, else ''. */
  authMech: string;
  /** Whether the connection was encrypted when this row happened. */
  secure: boolean;
}

/** The `tls` column text from a connection's TLS facts. */
export function tlsColumn(mode: 'none' | 'starttls' | 'implicit', version: string | null | undefined): string {
  return mode === 'none' ? 'none' : `${mode} ${version ?? ''}`.trim();
}

export type LoginResult = 'success' | 'failure';
export type TlsMode = 'none' | 'starttls' | 'implicit';

/** One login attempt, success or failure. Never carries a secret. */
export interface LoginEvent {
  time: Date;
  protocol: Protocol;
  /** Local port the connection arrived on. */
  port: number;
  sessionId: string;
  clientAddress: string;
  /** User name as the client sent it; the writer sanitises it again (length, control bytes). */
  user: string;
  /** "LOGIN", "USER", "PLAIN", "LOGIN-SASL", ... */
  mechanism: string;
  result: LoginResult;
  /** Failure reason (AuthFailureReason: policy, credentials, throttled, ...); '' on success. */
  reason: string;
  secure: boolean;
  tlsMode: TlsMode;
  tlsVersion: string | null;
  tlsCipher: string | null;
}

/** What a protocol session writes to. */
export interface ProtocolLog {
  write(row: ProtocolLogRow): void;
  /** Resolves when every row written so far is on disk. */
  flush(): Promise<void>;
  /** Flushes and stops; later writes are dropped. */
  close(): Promise<void>;
}

/**
 * An attack pattern the failure throttle detected: one network failing for many accounts
 * (ip-many-accounts, the network is then blocked) or one account failing from many networks
 * (account-many-ips). `count` is the number of distinct accounts or networks in the window.
 */
export interface AttackEvent {
  time: Date;
  kind: 'ip-many-accounts' | 'account-many-ips';
  /** An IPv4 address or an IPv6 /64. */
  network: string;
  /** The account of the attempt that crossed the threshold (sanitised when stored). */
  user: string;
  count: number;
}

/** What the authenticator (or a protocol frontend) writes login events to. */
export interface SecurityLog {
  record(event: LoginEvent): void;
  /** Stored as {"time","event":"auth-attack-detected","kind","network","user","count"}; the login reports skip it. */
  recordAttack(event: AttackEvent): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Makes a user name safe to store and print: no control bytes, at most 256 characters. */
export function sanitiseUser(user: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = user.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > 256 ? clean.slice(0, 256) + '…' : clean;
}

/**
 * A LoginEvent from what the authenticator knows about an attempt. `tlsMode` should be given by
 * callers that know it (Connection.tlsMode); without it, a secure connection on 993/995/465 is
 * taken as implicit TLS and any other secure one as STARTTLS.
 */
export function loginEvent(
  ctx: { protocol: Protocol; sessionId: string; remoteAddress: string; localPort: number; secure: boolean; tlsVersion: string | null; tlsCipher: string | null },
  attempt: { username: string; mechanism: string },
  outcome: { ok: true } | { ok: false; reason: string },
  opts: { tlsMode?: TlsMode; time?: Date } = {},
): LoginEvent {
  const tlsMode: TlsMode = opts.tlsMode ?? (!ctx.secure ? 'none' : [993, 995, 465].includes(ctx.localPort) ? 'implicit' : 'starttls');
  return {
    time: opts.time ?? new Date(), protocol: ctx.protocol, port: ctx.localPort, sessionId: ctx.sessionId,
    clientAddress: ctx.remoteAddress, user: sanitiseUser(attempt.username), mechanism: attempt.mechanism,
    result: outcome.ok ? 'success' : 'failure', reason: outcome.ok ? '' : outcome.reason,
    secure: ctx.secure, tlsMode, tlsVersion: ctx.tlsVersion, tlsCipher: ctx.tlsCipher,
  };
}
