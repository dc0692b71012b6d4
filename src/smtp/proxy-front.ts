/**
 * PROXY protocol (v1/v2) for submission on 587 (STARTTLS) and 465 (implicit TLS), with the rules
 * net/listener.ts applies to IMAP and POP3 (trusted-proxies, read for each connection):
 *
 * - from a trusted proxy a header is required before anything else (on 465 before the TLS
 *   handshake); its client address becomes the session's remoteAddress, so the protocol log, the
 *   security log, the per-address connection cap and auth throttling all see the real client.
 *   A LOCAL/UNKNOWN header (health check) keeps the proxy's own address. No complete header in
 *   time, or a bad one: closed with nothing sent.
 * - from any other peer a header is refused: on 465 the first bytes are looked at before the
 *   handshake (closed, nothing sent); on 587, where the greeting goes out first, the first input is
 *   screened (closed without a reply, and nothing in it is answered).
 *
 * Why not smtp-server's own `useProxy`: it takes exact addresses only (no CIDR) and v1 only. So
 * the header is read here, with our parser, in front of the library: we take over the 'connection'
 * listener of the library's own net.Server (the one server.ts listens on). Peers that are not
 * trusted proxies go to the library's listener unchanged; a proxied socket is handed over through
 * the library's connection entry points, `connect(socket, { remoteAddress, remotePort })`, after
 * `_upgrade` (the library's implicit-TLS handshake, with its client-certificate options and
 * handshake timeout) on 465. Bytes that followed the header in the same packet are put back into
 * the socket, so the TLS ClientHello (or anything else) reaches the library intact.
 */
import type * as net from 'node:net';
import type { Logger } from '../core/log.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, normaliseAddress } from '../net/connection.js';
import { DEFAULT_PROXY_HEADER_TIMEOUT_MS } from '../net/listener.js';
import { liveNetworkList } from '../net/networks.js';
import { looksLikeProxyHeader } from '../net/proxy-protocol.js';
import { readPrefix, readProxyHeader } from '../net/read-prefix.js';
import type { ListenerKind } from '../net/types.js';
import type { PortcullisSmtpServer } from './server.js';

export interface ProxyFrontOptions {
  kind: ListenerKind;
  /** Load balancers (CIDRs) that must send a PROXY header; read for each connection. */
  trustedProxies: () => readonly string[];
  /** The submission service logger. */
  logger: Logger;
  /** Longest wait for a trusted proxy's header; default 5 s (as IMAP/POP3). */
  proxyHeaderTimeoutMs?: number;
  /** Longest wait for an untrusted peer's first bytes on 465; default 30 s (as IMAP/POP3). */
  firstInputTimeoutMs?: number;
}

type ConnectionListener = (socket: net.Socket) => void;

export function installProxyFront(server: PortcullisSmtpServer, opts: ProxyFrontOptions): void {
  const log = opts.logger;
  const headerTimeoutMs = opts.proxyHeaderTimeoutMs ?? DEFAULT_PROXY_HEADER_TIMEOUT_MS;
  const firstInputTimeoutMs = opts.firstInputTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
  const trusted = liveNetworkList(opts.trustedProxies, (ignored) => log.warn('trusted-proxies-invalid', { ignored }));

  // The library's own accept path (its pre-session guard, implicit-TLS handshake, connect()).
  const library = server.server.listeners('connection') as ConnectionListener[];
  server.server.removeAllListeners('connection');
  const toLibrary = (raw: net.Socket): void => {
    for (const listener of library) listener.call(server.server, raw);
  };

  const refuseHeader = (client: string): void => {
    log.warn('proxy-header-refused', { client, kind: opts.kind, reason: 'not a trusted proxy (trusted-proxies)' });
  };

  const untrusted = (raw: net.Socket, peer: string): void => {
    if (opts.kind === 'starttls') {
      // The server greets first: the client's first input is looked at once the session runs.
      server.screenFirstInput(raw, (chunk) => {
        if (!looksLikeProxyHeader(chunk)) return true;
        refuseHeader(peer);
        return false;
      });
      toLibrary(raw);
      return;
    }
    // The client speaks first on 465: look at its first bytes before the handshake.
    readPrefix(raw, firstInputTimeoutMs, (chunk) => ({ value: looksLikeProxyHeader(chunk), rest: chunk })).then(
      (isProxy) => {
        if (raw.destroyed) return;
        if (!isProxy) return toLibrary(raw);
        refuseHeader(peer);
        raw.destroy();
      },
      (err: Error) => {
        log.info('tls-handshake-failed', { client: peer, kind: opts.kind, reason: err.message });
        raw.destroy();
      },
    );
  };

  const proxied = (raw: net.Socket, peer: string): void => {
    readProxyHeader(raw, headerTimeoutMs).then(
      (header) => {
        if (raw.destroyed) return;
        log.debug('proxy-header', { proxy: peer, client: header.source?.address ?? peer, version: header.version, command: header.command });
        // LOCAL / UNKNOWN: no client address, the proxy's own address stands (library path).
        if (!header.source) return toLibrary(raw);
        const socketOptions = { remoteAddress: header.source.address, remotePort: header.source.port };
        if (opts.kind === 'starttls') return server.connect(raw, socketOptions);
        server._upgrade(raw, (err, secure) => {
          if (err || !secure) {
            log.info('tls-handshake-failed', { client: header.source?.address, proxy: peer, kind: opts.kind, reason: err?.message ?? 'no TLS socket' });
            raw.destroy();
            return;
          }
          server.connect(secure, socketOptions);
        });
      },
      (err: Error) => {
        log.warn('proxy-header-invalid', { proxy: peer, kind: opts.kind, reason: err.message });
        raw.destroy();
      },
    );
  };

  server.server.on('connection', (raw: net.Socket) => {
    try {
      raw.on('error', () => {}); // errors before hand-over only end this socket
      const peer = normaliseAddress(raw.remoteAddress);
      if (!peer) {
        raw.destroy();
        return;
      }
      const proxies = trusted();
      if (proxies.contains(peer)) proxied(raw, peer);
      else untrusted(raw, peer);
    } catch (err) {
      log.error('accept-failed', { err: err instanceof Error ? err : new Error(String(err)) });
      raw.destroy();
    }
  });
}
