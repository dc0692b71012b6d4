/**
 * The backend node's listener for remote frontends (backend-bindings): TCP from a
 * trusted-frontends address only (others are closed at once and logged), TLS with the node's
 * certificate, the cluster-secret proofs, then the hand-off header. IMAP sessions are served by
 * the ordinary ImapBackend over a ProxiedConnection; POP3 maildrops answer one framed request
 * per command; "ping" answers whether this backend serves (the frontends' health check).
 */
import * as net from 'node:net';
import type { Binding } from '../config/config.js';
import type { Logger } from '../core/log.js';
import { isMailError } from '../core/errors.js';
import type { Account } from '../store/store.js';
import type { TlsContextProvider } from '../tls/provider.js';
import { normaliseAddress, serverHandshake } from '../net/connection.js';
import { liveNetworkList } from '../net/networks.js';
import type { ImapBackend } from '../imap/service.js';
import type { Pop3Backend, Pop3Transaction, PopOutput } from '../pop3/types.js';
import { acceptChannel, type FramedSocket } from './channel.js';
import { validateHeader, type HandoffHeader } from './header.js';
import { ProxiedConnection } from './proxied-connection.js';
import { parseJsonFrame } from './frames.js';

export interface BackendListenerDeps {
  /** "imap4-backend" or "pop3-backend" (for logs and the listener info). */
  service: 'imap4-backend' | 'pop3-backend';
  bindings: Binding[];
  tls: TlsContextProvider;
  secret: () => Buffer | null;
  trustedFrontends: () => readonly string[];
  accounts: { getAccount(address: string): Promise<Account | null> };
  imap?: () => ImapBackend | null;
  pop3?: () => Pop3Backend | null;
  logger: Logger;
  handshakeTimeoutMs?: number;
}

export interface RunningBackendListener {
  addresses(): Array<{ address: string; port: number }>;
  /** Stops accepting; sessions in progress continue. */
  close(): Promise<void>;
}

export async function startBackendListener(deps: BackendListenerDeps): Promise<RunningBackendListener> {
  const trusted = liveNetworkList(deps.trustedFrontends);
  const servers: net.Server[] = [];
  const log = deps.logger;
  const onSocket = (raw: net.Socket, binding: string): void => {
    const peer = normaliseAddress(raw.remoteAddress);
    raw.on('error', () => {});
    if (!trusted().contains(peer)) {
      log.warn('handoff-refused', { peer, reason: 'not in trusted-frontends' });
      raw.destroy();
      return;
    }
    const secret = deps.secret();
    if (!secret) {
      log.warn('handoff-refused', { peer, reason: 'no usable cluster secret' });
      raw.destroy();
      return;
    }
    void (async () => {
      const socket = await serverHandshake(raw, deps.tls, deps.handshakeTimeoutMs ?? 10_000);
      const accepted = await acceptChannel(socket, secret);
      if (!accepted.channel) {
        log.warn('handoff-refused', { peer, reason: accepted.reason });
        return;
      }
      const h = validateHeader(accepted.header);
      if ('error' in h) {
        log.warn('handoff-refused', { peer, reason: h.error });
        accepted.channel.sendJson({ ok: false, error: h.error });
        accepted.channel.end();
        return;
      }
      await serveChannel(accepted.channel, h, binding, peer);
    })().catch((err: unknown) => {
      log.warn('handoff-failed', { peer, err: err instanceof Error ? err : new Error(String(err)) });
      raw.destroy();
    });
  };

  const serveChannel = async (channel: FramedSocket, h: HandoffHeader, binding: string, peer: string): Promise<void> => {
    const imap = deps.imap?.() ?? null;
    const pop3 = deps.pop3?.() ?? null;
    const refuse = (error: string, code = 'UNAVAILABLE'): void => {
      log.info('handoff-refused', { peer, session: h.sessionId, protocol: h.protocol, reason: error });
      channel.sendJson({ ok: false, code, error });
      channel.end();
    };
    if (h.protocol === 'ping') {
      channel.sendJson({ ok: true, serving: { imap4: imap !== null, pop3: pop3 !== null } });
      channel.end();
      return;
    }
    if ((h.protocol === 'imap4' && !imap) || (h.protocol === 'pop3' && !pop3)) return refuse(`${h.protocol} backend is not running here`);
    const account = await deps.accounts.getAccount(h.account);
    const enabled = account && (h.protocol === 'imap4' ? account.imapEnabled : account.popEnabled);
    if (!account || !enabled) return refuse('unknown or disabled account', 'UNKNOWN-ACCOUNT');
    const clog = log.child({ session: h.sessionId, user: account.address, client: h.clientAddress, frontend: peer });
    if (h.protocol === 'imap4') {
      channel.sendJson({ ok: true });
      const conn = new ProxiedConnection(channel, h, { service: 'imap4-backend', kind: 'implicit', binding });
      clog.info('handoff-imap');
      imap!.serve({ connection: conn, account, leftover: Buffer.from(h.leftover ?? '', 'base64'), tag: h.tag ?? '*', mechanism: h.mechanism });
      return;
    }
    let txn: Pop3Transaction;
    try {
      txn = await pop3!.openMaildrop({ account, sessionId: h.sessionId, logger: clog });
    } catch (err) {
      if (isMailError(err, 'INUSE')) return refuse('maildrop in use', 'INUSE');
      clog.warn('maildrop-open-failed', { err: err instanceof Error ? err : new Error(String(err)) });
      return refuse('cannot open the maildrop');
    }
    channel.sendJson({ ok: true, count: txn.count, octets: txn.octets });
    clog.info('handoff-pop3', { messages: txn.count });
    servePop3(channel, txn, clog);
  };

  for (const b of deps.bindings) {
    const server = net.createServer({ pauseOnConnect: false }, (s) => onSocket(s, `${b.host}:${b.port}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: b.host.replace(/^\[|\]$/g, ''), port: b.port }, () => { server.removeListener('error', reject); resolve(); });
    }).catch(async (err: unknown) => {
      for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
      throw err;
    });
    server.on('error', (err) => log.error('backend-listener-error', { err }));
    servers.push(server);
  }
  return {
    addresses: () => servers.map((s) => s.address()).filter((a): a is net.AddressInfo => typeof a === 'object' && a !== null).map((a) => ({ address: a.address, port: a.port })),
    // Stop listening at once; net.Server's close callback would wait for every session to end.
    close: async () => { for (const s of servers) s.close(); },
  };
}

/** POP3 over the channel: J {op:'execute', verb, args, rest} → D frames of the reply + E continue|quit|error. */
function servePop3(channel: FramedSocket, txn: Pop3Transaction, log: Logger): void {
  let chain = Promise.resolve();
  let quit = false;
  const out: PopOutput = {
    write: (data) => { channel.sendData(data); },
    drained: () => channel.drained(),
    close: (finalWrite) => { if (finalWrite) channel.sendData(finalWrite); channel.send('E', 'quit'); channel.end(); },
  };
  channel.onFrame((f) => {
    chain = chain.then(async () => {
      if (quit || channel.closed) return;
      let req: Record<string, unknown>;
      try {
        req = parseJsonFrame(f);
      } catch {
        channel.destroy();
        return;
      }
      if (req.op === 'abort') {
        channel.end();
        return;
      }
      const verb = typeof req.verb === 'string' ? req.verb : '';
      const args = Array.isArray(req.args) ? req.args.filter((a): a is string => typeof a === 'string') : [];
      const rest = typeof req.rest === 'string' ? req.rest : '';
      try {
        const outcome = await txn.execute({ verb, args, rest }, out);
        if (outcome === 'quit') quit = true;
        channel.send('E', outcome);
        if (quit) channel.end();
      } catch (err) {
        log.error('pop3-remote-command-failed', { err: err instanceof Error ? err : new Error(String(err)) });
        channel.send('E', 'error');
      }
    });
  });
  channel.onClose(() => {
    void chain.then(() => txn.abort()).catch((err: unknown) => log.warn('maildrop-release-failed', { err: err instanceof Error ? err : new Error(String(err)) }));
  });
}
