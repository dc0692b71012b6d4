/**
 * Listeners: one TCP server per binding, implicit TLS or cleartext-with-STARTTLS, with the
 * connection caps of the service (total and per client address) enforced at accept time.
 *
 * - An implicit-TLS listener writes nothing before the handshake completes and hands the
 *   Connection over only after it; a handshake that does not finish in time is dropped.
 * - A refused connection gets `refusal(reason)` then is closed (on implicit-TLS ports after the
 *   handshake, so the client can read it).
 * - close() stops accepting; live connections are left alone.
 */
import * as net from 'node:net';
import type { Binding } from '../config/config.js';
import { formatBinding } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { TlsContextProvider } from '../tls/provider.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, SocketConnection, normaliseAddress, serverHandshake } from './connection.js';
import type { Connection, ListenerKind } from './types.js';

export interface ListenerSpec {
  binding: Binding;
  kind: ListenerKind;
}

export interface ListenerAddress {
  service: string;
  kind: ListenerKind;
  /** The binding as configured, e.g. "[::]:993". */
  binding: string;
  /** The address actually bound. */
  address: string;
  /** The port actually bound (the real one when the binding asked for port 0). */
  port: number;
}

export interface RunningListeners {
  addresses(): ListenerAddress[];
  /** Stop accepting; live connections continue. */
  close(): Promise<void>;
  connections(): Connection[];
}

export interface RunningService {
  listeners: RunningListeners;
  stop(): Promise<void>;
}

export type RefusalReason = 'max-connections' | 'max-per-ip';

export interface ConnectionLimits {
  maxConnections: number;
  maxConnectionFromSingleIp: number;
}

export interface StartListenersOptions {
  service: string;
  listeners: ListenerSpec[];
  tls: TlsContextProvider;
  limits: () => ConnectionLimits;
  /** Bytes written before closing a refused connection. */
  refusal: (reason: RefusalReason) => string;
  logger: Logger;
  onConnection: (conn: Connection) => void;
  /** Longest TLS handshake allowed (implicit ports and STARTTLS); default 30 s. */
  handshakeTimeoutMs?: number;
}

/** The key client addresses are counted under: the address itself (IPv6 as given). */
function clientKey(address: string): string {
  return address.toLowerCase();
}

export async function startListeners(opts: StartListenersOptions): Promise<RunningListeners> {
  const live = new Set<SocketConnection>();
  const perIp = new Map<string, number>();
  const servers: Array<{ server: net.Server; spec: ListenerSpec; address: ListenerAddress }> = [];
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const log = opts.logger.child({ service: opts.service });
  /** Connections accepted and counted, including those still in their TLS handshake. */
  let active = 0;

  const release = (key: string): void => {
    active--;
    const n = (perIp.get(key) ?? 1) - 1;
    if (n <= 0) perIp.delete(key);
    else perIp.set(key, n);
  };

  const refuse = (raw: net.Socket, spec: ListenerSpec, reason: RefusalReason, remote: string): void => {
    log.warn('connection-refused', { reason, client: remote, kind: spec.kind });
    let text: string;
    try {
      text = opts.refusal(reason);
    } catch {
      text = '';
    }
    if (spec.kind === 'starttls') {
      raw.end(text);
      setTimeout(() => raw.destroy(), 2_000).unref();
      return;
    }
    serverHandshake(raw, opts.tls, Math.min(handshakeTimeoutMs, 5_000)).then(
      (secure) => {
        secure.on('error', () => {});
        secure.end(text);
        setTimeout(() => secure.destroy(), 2_000).unref();
      },
      () => {},
    );
  };

  const accept = (raw: net.Socket, spec: ListenerSpec, info: ListenerAddress): void => {
    raw.on('error', () => {}); // errors before hand-over only end this socket
    // Replies go out in several writes (status line, literal, tagged line): without this, Nagle
    // holds each small tail segment until the client's delayed ACK (~40 ms) — measured in bench/.
    raw.setNoDelay(true);
    const remote = normaliseAddress(raw.remoteAddress);
    if (!remote) {
      raw.destroy();
      return;
    }
    const key = clientKey(remote);
    let limits: ConnectionLimits;
    try {
      limits = opts.limits();
    } catch {
      limits = { maxConnections: 0, maxConnectionFromSingleIp: 0 };
    }
    if (active >= limits.maxConnections) return refuse(raw, spec, 'max-connections', remote);
    if ((perIp.get(key) ?? 0) >= limits.maxConnectionFromSingleIp) return refuse(raw, spec, 'max-per-ip', remote);
    active++;
    perIp.set(key, (perIp.get(key) ?? 0) + 1);
    const listenerInfo = { service: opts.service, kind: spec.kind, binding: info.binding };

    const handOver = (socket: net.Socket, tlsMode: 'none' | 'implicit'): void => {
      if (socket.destroyed) {
        release(key); // gone before it could be handed over
        return;
      }
      const conn = new SocketConnection({ socket, listener: listenerInfo, tlsMode, tls: opts.tls, logger: opts.logger, handshakeTimeoutMs });
      live.add(conn);
      conn.onClose(() => {
        live.delete(conn);
        release(key);
      });
      try {
        opts.onConnection(conn);
      } catch (err) {
        conn.log.error('session-exception', { err: err instanceof Error ? err : new Error(String(err)) });
        conn.destroy();
      }
    };

    if (spec.kind === 'starttls') {
      handOver(raw, 'none');
      return;
    }
    serverHandshake(raw, opts.tls, handshakeTimeoutMs).then(
      (secure) => handOver(secure, 'implicit'),
      (err: Error) => {
        log.info('tls-handshake-failed', { client: remote, binding: info.binding, reason: err.message });
        release(key);
      },
    );
  };

  try {
    for (const spec of opts.listeners) {
      const server = net.createServer({ pauseOnConnect: false });
      const binding = formatBinding(spec.binding);
      const info: ListenerAddress = { service: opts.service, kind: spec.kind, binding, address: spec.binding.host, port: spec.binding.port };
      server.on('connection', (raw) => {
        try {
          accept(raw, spec, info);
        } catch (err) {
          log.error('accept-failed', { err: err instanceof Error ? err : new Error(String(err)) });
          raw.destroy();
        }
      });
      server.on('error', (err) => log.error('listener-error', { binding, err }));
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error): void => reject(new Error(`${opts.service}: cannot listen on ${binding}: ${err.message}`));
        server.once('error', onError);
        server.listen({ host: spec.binding.host, port: spec.binding.port, ipv6Only: spec.binding.host.includes(':') }, () => {
          server.removeListener('error', onError);
          resolve();
        });
      });
      const bound = server.address() as net.AddressInfo;
      info.address = bound.address;
      info.port = bound.port;
      servers.push({ server, spec, address: info });
      log.info('listening', { kind: spec.kind, binding, address: bound.address, port: bound.port });
    }
  } catch (err) {
    for (const s of servers) s.server.close();
    throw err;
  }

  let closed = false;
  return {
    addresses: () => servers.map((s) => ({ ...s.address })),
    connections: () => [...live],
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        // server.close's callback waits for every connection; we only stop accepting.
        s.server.close();
        setImmediate(resolve);
      })));
      log.info('stopped-listening', { bindings: servers.map((s) => s.address.binding) });
    },
  };
}
