/**
 * Listeners: one TCP server per binding, implicit TLS or cleartext-with-STARTTLS, with the
 * connection caps of the service (total and per client address) enforced at accept time.
 *
 * - An implicit-TLS listener writes nothing before the handshake completes and hands the
 *   Connection over only after it; a handshake that does not finish in time is dropped.
 * - A refused connection gets `refusal(reason)` then is closed (on implicit-TLS ports after the
 *   handshake, so the client can read it).
 * - close() stops accepting; live connections are left alone.
 * - PROXY protocol (v1/v2): from a peer in `trustedProxies` a header is required before anything
 *   else (before the TLS handshake on implicit ports); its client address then counts for the
 *   per-address cap and becomes the Connection's remote address. No header in time, or a bad
 *   one: closed. A header from any other peer: closed and logged (on implicit ports before the
 *   handshake; on STARTTLS ports, where the greeting goes out first, at the first bytes read).
 */
import * as net from 'node:net';
import type { Binding } from '../config/config.js';
import { formatBinding } from '../config/config.js';
import type { Logger } from '../core/log.js';
import type { TlsContextProvider } from '../tls/provider.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, SocketConnection, normaliseAddress, serverHandshake } from './connection.js';
import { liveNetworkList } from './networks.js';
import { looksLikeProxyHeader } from './proxy-protocol.js';
import { readPrefix, readProxyHeader } from './read-prefix.js';
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
  /** Load balancers (CIDRs) that must send a PROXY header; read for each connection. Absent: none. */
  trustedProxies?: () => readonly string[];
  /** Longest wait for the PROXY header of a trusted proxy; default 5 s. */
  proxyHeaderTimeoutMs?: number;
}

/** How long a trusted proxy may take to send its PROXY header. */
export const DEFAULT_PROXY_HEADER_TIMEOUT_MS = 5_000;

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

  /**
   * Counts a connection until it closes. Its own function, so the close handler an idle session
   * keeps for hours holds only (conn, key), not the whole admission scope and its closures.
   */
  const track = (conn: SocketConnection, key: string): void => {
    live.add(conn);
    conn.onClose(() => {
      live.delete(conn);
      release(key);
    });
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

  const trusted = liveNetworkList(opts.trustedProxies ?? (() => []), (ignored) => log.warn('trusted-proxies-invalid', { ignored }));
  const proxyHeaderTimeoutMs = opts.proxyHeaderTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS;

  const accept = (raw: net.Socket, spec: ListenerSpec, info: ListenerAddress): void => {
    raw.on('error', () => {}); // errors before hand-over only end this socket
    // Replies go out in several writes (status line, literal, tagged line): without this, Nagle
    // holds each small tail segment until the client's delayed ACK (~40 ms) — measured in bench/.
    raw.setNoDelay(true);
    const peer = normaliseAddress(raw.remoteAddress);
    if (!peer) {
      raw.destroy();
      return;
    }
    const proxies = trusted();
    if (!proxies.contains(peer)) {
      admit(raw, spec, info, { address: peer, port: raw.remotePort ?? 0 }, false);
      return;
    }
    readProxyHeader(raw, proxyHeaderTimeoutMs).then(
      (header) => {
        if (raw.destroyed) return;
        const client = header.source ?? { address: peer, port: raw.remotePort ?? 0 };
        log.debug('proxy-header', { proxy: peer, client: client.address, version: header.version, command: header.command });
        admit(raw, spec, info, client, true);
      },
      (err: Error) => {
        log.warn('proxy-header-invalid', { proxy: peer, kind: spec.kind, reason: err.message });
        raw.destroy();
      },
    );
  };

  /** A PROXY header where none may come: logged; returns false (the caller closes the connection). */
  const refuseProxyHeader = (spec: ListenerSpec, remote: string): false => {
    log.warn('proxy-header-refused', { client: remote, kind: spec.kind, reason: 'not a trusted proxy (trusted-proxies)' });
    return false;
  };

  const admit = (raw: net.Socket, spec: ListenerSpec, info: ListenerAddress, client: { address: string; port: number }, proxied: boolean): void => {
    const remote = client.address;
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
      const conn = new SocketConnection({
        socket, listener: listenerInfo, tlsMode, tls: opts.tls, logger: opts.logger, handshakeTimeoutMs,
        ...(proxied ? { remote: client } : {}),
        // A cleartext port greets first, so an untrusted PROXY header shows up as the first input.
        ...(proxied || tlsMode !== 'none' ? {} : { screenFirstInput: (chunk: Buffer) => !looksLikeProxyHeader(chunk) || refuseProxyHeader(spec, remote) }),
      });
      socket.resume(); // paused while a PROXY header was read; the Connection does flow control
      track(conn, key);
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
    const started = Date.now();
    const handshake = (): void => {
      serverHandshake(raw, opts.tls, Math.max(1, handshakeTimeoutMs - (Date.now() - started))).then(
        (secure) => handOver(secure, 'implicit'),
        (err: Error) => {
          log.info('tls-handshake-failed', { client: remote, binding: info.binding, reason: err.message });
          release(key);
        },
      );
    };
    if (proxied) return handshake();
    // The client speaks first on an implicit-TLS port: look at its first bytes before the
    // handshake, so a PROXY header from an untrusted peer is refused as such.
    readPrefix(raw, handshakeTimeoutMs, (chunk) => ({ value: looksLikeProxyHeader(chunk), rest: chunk })).then(
      (isProxy) => {
        if (!isProxy) return handshake();
        refuseProxyHeader(spec, remote);
        raw.destroy();
        release(key);
      },
      (err: Error) => {
        log.info('tls-handshake-failed', { client: remote, binding: info.binding, reason: err.message });
        raw.destroy();
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
