/**
 * smtp-server, adapted to Portcullis. The library does the framing (commands, DATA with dot
 * unstuffing and the <CRLF>.<CRLF> end, STARTTLS with the plaintext pipeline discarded, LMTP
 * per-recipient replies); this file adds, per connection and in one place:
 *
 * - TLS from our TlsContextProvider, asked at every handshake (a renewed certificate reaches new
 *   connections; the library's built-in test certificate and TLSv1 default are never used);
 *   client-initiated renegotiation refused;
 * - the login policy on AUTH: the EHLO reply lists only the mechanisms the Authenticator allows
 *   on this connection, and AUTH refused by policy gets `530 5.7.0 Must issue a STARTTLS command
 *   first` before any credential is read;
 * - exact enhanced status codes: a reply text that starts with one ("5.7.1 ...") is sent as is,
 *   instead of the library's per-code default.
 * - connection limits in total and per client address;
 * - a screen on a session's first input (screenFirstInput), which proxy-front.ts uses to refuse
 *   PROXY headers from peers that are not trusted proxies.
 *
 * The hooks rely on SMTPConnection.send/handler_EHLO/handler_AUTH (smtp-server 3.x); the tests in
 * submission.test.ts pin every behaviour, so a library change that breaks them fails loudly.
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';
import type { Binding } from '../config/config.js';
import { formatBinding } from '../config/config.js';
import type { ListenerAddress, RunningListeners } from '../net/listener.js';
import type { ListenerKind } from '../net/types.js';
import { hardenTlsSocket } from '../tls/policy.js';
import type { TlsContextProvider } from '../tls/provider.js';
import type { AuthResult, SaslExchangeStep } from '../auth/types.js';

/** An error whose text becomes the SMTP reply: `smtpError(553, '5.7.1', 'text')`. */
export interface SmtpReplyError extends Error {
  responseCode: number;
}

export function smtpError(code: number, enhanced: string, text: string): SmtpReplyError {
  const err = new Error(`${enhanced} ${text}`) as SmtpReplyError;
  err.responseCode = code;
  return err;
}

const ENHANCED_PREFIX = /^[245]\.\d{1,3}\.\d{1,3} /;

/** A SASL exchange run by this file instead of the library (SCRAM, OAUTHBEARER, XOAUTH2). */
export interface SmtpSaslExchange {
  step(response: Buffer | null): Promise<SaslExchangeStep>;
  /** The session user on success, or the reply for a failure. */
  finish(result: AuthResult): { user: unknown } | SmtpReplyError;
}

export interface ConnectionHooks {
  /** SASL mechanisms allowed on a connection; [] means AUTH is refused by policy there. */
  authMechanisms?: (secure: boolean, socket?: net.Socket | tls.TLSSocket) => string[];
  /** An exchange for `method`, or null to let the library run it (PLAIN, LOGIN). */
  saslExchange?: (method: string, session: SMTPServerSession, socket: net.Socket | tls.TLSSocket) => SmtpSaslExchange | null;
  /** Called before each new connection is set up: apply live settings to server.options. */
  refresh?: (server: SMTPServer) => void;
}

/** Secure contexts asked from the provider at every handshake (never cached). */
class LiveContexts extends Map<string, tls.SecureContext> {
  constructor(private readonly provider: TlsContextProvider) {
    super();
  }
  override get(): tls.SecureContext | undefined {
    const o = this.provider.serverOptions();
    return o.secureContext ?? tls.createSecureContext(o);
  }
}

function installHooks(conn: SMTPConnection, hooks: ConnectionHooks): void {
  const send = conn.send.bind(conn);
  conn.send = (code: number, data?: string | string[] | null, context?: string | false): void => {
    if (typeof data === 'string' && ENHANCED_PREFIX.test(data)) return send(code, data, false);
    return send(code, data, context);
  };
  const mechanismsFor = hooks.authMechanisms;
  if (!mechanismsFor) return;
  const ehlo = conn.handler_EHLO;
  conn.handler_EHLO = function (this: SMTPConnection, command: Buffer, callback: () => void): void {
    const mechs = mechanismsFor(this.secure, this._socket);
    const inner = this.send;
    this.send = (code, data, context) => {
      if (code === 250 && Array.isArray(data)) {
        data = data.filter((l) => !/^AUTH\b/i.test(l));
        if (mechs.length && !this.session.user) data.splice(Math.min(1, data.length), 0, `AUTH ${mechs.join(' ')}`);
      }
      inner(code, data, context);
    };
    try {
      ehlo.call(this, command, callback);
    } finally {
      this.send = inner;
    }
  };
  const auth = conn.handler_AUTH;
  conn.handler_AUTH = function (this: SMTPConnection, command: Buffer, callback: () => void): void {
    const method = (command.toString().trim().split(/\s+/)[1] ?? '').toUpperCase();
    const mechs = mechanismsFor(this.secure, this._socket);
    if (!mechs.length) {
      this.send(530, '5.7.0 Must issue a STARTTLS command first');
      return callback();
    }
    if (this.session.user) {
      this.send(503, '5.5.1 Already authenticated');
      return callback();
    }
    if (!mechs.includes(method)) {
      this.send(504, '5.5.4 Unrecognized authentication type');
      return callback();
    }
    const initial = command.toString().trim().split(/\s+/)[2];
    const exchange = hooks.saslExchange?.(method, this.session, this._socket) ?? null;
    if (exchange) return runSasl(this, exchange, initial, callback);
    // The library decodes base64 leniently (a truncated response would be verified as a wrong
    // password): RFC 4954 wants 501 for anything that is not base64, so check it first.
    if (initial !== undefined && !decodeBase64(initial)) {
      this.send(501, '5.5.2 Invalid base64 in initial response');
      return callback();
    }
    auth.call(this, command, () => {
      guardContinuation(this);
      callback();
    });
  };
}

/** Makes the library's pending SASL continuation handler (if any) refuse non-base64 with 501. */
function guardContinuation(conn: SMTPConnection): void {
  const next = conn._nextHandler;
  if (typeof next !== 'function') return;
  conn._nextHandler = function (this: SMTPConnection, command: Buffer, cb: () => void): void {
    const line = command.toString().trim();
    if (line !== '*' && !decodeBase64(line)) {
      conn.send(501, '5.5.2 Invalid base64 in SASL response');
      return cb();
    }
    next.call(this, command, () => {
      guardContinuation(conn); // LOGIN asks for the password next
      cb();
    });
  };
}

/**
 * Runs `screen` on the first chunk read from the socket, before the session's parser sees it
 * (prepended to the 'data' listeners). Refused: the parser is retired the way the library
 * retires it at STARTTLS (closed, it dispatches nothing it holds) and the socket destroyed.
 */
function installScreen(conn: SMTPConnection, socket: net.Socket, screen: (chunk: Buffer) => boolean): void {
  socket.prependOnceListener('data', (chunk: Buffer) => {
    let ok: boolean;
    try {
      ok = screen(chunk);
    } catch {
      ok = false;
    }
    if (ok) return;
    if (conn._parser) conn._parser.isClosed = true;
    socket.destroy();
  });
}

/** Drives one of our own SASL exchanges over 334 challenges (RFC 4954), "*" cancels. */
function runSasl(conn: SMTPConnection, exchange: SmtpSaslExchange, initial: string | undefined, callback: () => void): void {
  const feed = async (response: Buffer | null): Promise<void> => {
    const s = await exchange.step(response);
    if ('challenge' in s) {
      conn.send(334, s.challenge.toString('base64'));
      conn._nextHandler = function (this: SMTPConnection, command: Buffer, cb: () => void): void {
        const line = command.toString().trim();
        if (line === '*') {
          conn.send(501, '5.7.0 Authentication aborted');
          return cb();
        }
        const decoded = decodeBase64(line);
        if (!decoded) {
          conn.send(501, '5.5.2 Invalid base64 in SASL response');
          return cb();
        }
        feed(decoded).then(cb, (err: unknown) => failed(err, cb));
      };
      return;
    }
    if ('error' in s) {
      conn.send(535, `5.7.8 ${s.error.replace(/[\r\n]/g, ' ')}`);
      return;
    }
    const out = exchange.finish(s.result);
    if (out instanceof Error) {
      conn.send(out.responseCode, out.message);
      return;
    }
    conn.session.user = out.user;
    conn.session.transmissionType = conn._transmissionType();
    conn.send(235, '2.7.0 Authentication successful');
  };
  const failed = (_err: unknown, cb: () => void): void => {
    conn.send(454, '4.7.0 Temporary authentication failure');
    cb();
  };
  let first: Buffer | null = null;
  if (initial !== undefined) {
    const d = decodeBase64(initial);
    if (!d) {
      conn.send(501, '5.5.2 Invalid base64 in initial response');
      return callback();
    }
    first = d;
  }
  feed(first).then(callback, (err: unknown) => failed(err, callback));
}

function decodeBase64(s: string): Buffer | null {
  if (s === '=') return Buffer.alloc(0);
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  return Buffer.from(s, 'base64');
}

export interface ServerLimits {
  maxConnections: number;
  maxConnectionFromSingleIp: number;
}

/** Connection counting shared by all listeners of one service. */
export class ConnectionCounter {
  private total = 0;
  private readonly perIp = new Map<string, number>();
  private readonly counted = new Set<string>();

  /** Returns a refusal reply, or null after counting the session in. */
  admit(session: SMTPServerSession, limits: ServerLimits): SmtpReplyError | null {
    const ip = session.remoteAddress || 'local';
    if (this.total >= limits.maxConnections) return smtpError(421, '4.3.2', 'Too many connections, try again later');
    if ((this.perIp.get(ip) ?? 0) >= limits.maxConnectionFromSingleIp) return smtpError(421, '4.7.0', 'Too many connections from your address, try again later');
    this.total++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    this.counted.add(session.id);
    return null;
  }

  release(session: SMTPServerSession): void {
    if (!this.counted.delete(session.id)) return;
    const ip = session.remoteAddress || 'local';
    this.total--;
    const n = (this.perIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(ip);
    else this.perIp.set(ip, n);
  }

  get size(): number {
    return this.total;
  }
}

export class PortcullisSmtpServer extends SMTPServer {
  constructor(options: SMTPServerOptions, private readonly hooks: ConnectionHooks, provider: TlsContextProvider | null) {
    super({
      ...options,
      logger: false,
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: false,
      // our own TLS, asked per handshake; this also keeps the library's test certificate unused
      ...(provider
        ? {
          SNICallback: (servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void => {
            const o = provider.serverOptions();
            if (o.SNICallback) o.SNICallback(servername, cb);
            else cb(null, o.secureContext ?? tls.createSecureContext(o));
          },
        }
        : {}),
    });
    if (provider) this.secureContext = new LiveContexts(provider);
    const onSecure = options.onSecure;
    this.onSecure = (socket: net.Socket | tls.TLSSocket, session: SMTPServerSession, callback: (err?: Error | null) => void): void => {
      if (socket instanceof tls.TLSSocket) hardenTlsSocket(socket);
      if (onSecure) onSecure(socket, session, callback);
      else callback();
    };
  }

  /** First-input screens of sockets not yet handed to connect() (see screenFirstInput). */
  private readonly screens = new WeakMap<net.Socket, (chunk: Buffer) => boolean>();

  /**
   * Looks at the first bytes the client sends on this socket once its session runs: when
   * `screen` returns false the connection is closed and nothing in those bytes is answered
   * (proxy-front.ts: a PROXY header from a peer that is not a trusted proxy).
   */
  screenFirstInput(socket: net.Socket, screen: (chunk: Buffer) => boolean): void {
    this.screens.set(socket, screen);
  }

  override connect(socket: net.Socket | tls.TLSSocket, socketOptions?: Parameters<SMTPServer['connect']>[1]): void {
    try {
      this.hooks.refresh?.(this);
    } catch {
      // settings unreadable: keep the previous values
    }
    super.connect(socket, socketOptions);
    let last: SMTPConnection | undefined;
    for (const c of this.connections) last = c;
    if (last) installHooks(last, this.hooks);
    const screen = this.screens.get(socket);
    if (last && screen) {
      this.screens.delete(socket);
      installScreen(last, socket, screen);
    }
  }
}

export interface BoundServer {
  server: SMTPServer;
  address: ListenerAddress;
}

/** Listens on a TCP binding (port 0: any free port) or a unix socket path. */
export function listen(server: SMTPServer, target: Binding | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.server.once('error', onError);
    const done = (): void => {
      server.server.removeListener('error', onError);
      server.server.on('error', () => {});
      resolve();
    };
    if ('path' in target) server.server.listen(target.path, done);
    else server.server.listen(target.port, target.host, done);
  });
}

export function addressOf(service: string, kind: ListenerKind, binding: string, server: SMTPServer): ListenerAddress {
  const a = server.server.address();
  if (a && typeof a === 'object') return { service, kind, binding, address: a.address, port: a.port };
  return { service, kind, binding, address: typeof a === 'string' ? a : binding, port: 0 };
}

export function closeServer(server: SMTPServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** RunningListeners over a set of smtp-server instances (connections() is empty: smtp-server owns them). */
export function runningListeners(bound: BoundServer[]): RunningListeners {
  let closed = false;
  return {
    addresses: () => bound.map((b) => b.address),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      // stop accepting only: smtp-server's close() would also time out live sessions
      await Promise.all(bound.map((b) => new Promise<void>((r) => (b.server.server.listening ? b.server.server.close(() => r()) : r()))));
    },
    connections: () => [],
  };
}

export { formatBinding };
