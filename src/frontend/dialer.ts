/**
 * The frontend's way to a backend: for one user, try the healthy proxy targets in rendezvous
 * order, opening a hand-off channel; a target that cannot be reached or does not prove the
 * secret is marked down and the next one is tried. A user pinned to a backend is dialled there
 * and nowhere else: when the pin is down the session fails like "no backend available" rather than
 * silently moving the user (a pinned user's mail may live only there). Also the health probe the
 * router runs.
 */
import type { Logger } from '../core/log.js';
import type { Connection } from '../net/types.js';
import { HandoffError, openChannel, type BackendAddress, type FramedSocket } from './channel.js';
import type { HandoffHeader, HandoffProtocol } from './header.js';
import { BackendRouter, targetKey } from './router.js';

export interface DialerDeps {
  protocol: 'imap4' | 'pop3';
  targets: () => readonly string[];
  defaultPort: () => number;
  /** The cluster secret, or null when the file is missing or too short. */
  secret: () => Buffer | null;
  logger: Logger;
  /** Health-check period; default 2 s. Each probe times out after probeTimeoutMs (default 1.5 s). */
  intervalMs?: number;
  probeTimeoutMs?: number;
}

export class BackendDialer {
  readonly router: BackendRouter;

  constructor(private readonly deps: DialerDeps) {
    this.router = new BackendRouter({
      targets: deps.targets,
      defaultPort: deps.defaultPort,
      logger: deps.logger,
      ...(deps.intervalMs ? { intervalMs: deps.intervalMs } : {}),
      probe: (t) => this.probe(t),
    });
  }

  /** Whether proxy targets are configured (the frontend then never uses a local backend). */
  get configured(): boolean {
    return this.deps.targets().length > 0;
  }

  /** Whether some target is (believed) healthy and a secret is available. */
  available(): boolean {
    return this.deps.secret() !== null && this.router.healthy().length > 0;
  }

  async probe(target: BackendAddress): Promise<boolean> {
    const secret = this.deps.secret();
    if (!secret) return false;
    try {
      const { channel, answer } = await openChannel({ target, secret, header: pingHeader(), timeoutMs: this.deps.probeTimeoutMs ?? 1500 });
      channel.destroy();
      const serving = answer.serving as Record<string, unknown> | undefined;
      return serving?.[this.deps.protocol] === true;
    } catch {
      return false;
    }
  }

  /**
   * A channel to the user's backend with the header accepted. Throws HandoffError: ANSWER for a
   * backend's refusal (answerCode INUSE, UNKNOWN-ACCOUNT, ...), CONNECT when no target is left.
   * `pin` is the account's backend pin (HOST[:PORT]); one that does not parse is ignored with a
   * warning (the user is routed as if unpinned) so a typo in a directory cannot lock them out.
   */
  async dial(header: HandoffHeader, pin?: string | null): Promise<{ channel: FramedSocket; answer: Record<string, unknown>; target: BackendAddress }> {
    const secret = this.deps.secret();
    if (!secret) throw new HandoffError('CONNECT', 'no usable cluster secret');
    const pinned = pin ? this.router.pinned(pin) : null;
    if (pin && !pinned) this.deps.logger.warn('backend-pin-invalid', { user: header.account, pin: pin.slice(0, 300) });
    const candidates = pinned ? [pinned] : this.router.route(header.account);
    for (const target of candidates) {
      try {
        const { channel, answer } = await openChannel({ target, secret, header });
        return { channel, answer, target };
      } catch (err) {
        const e = err as HandoffError;
        if (e.code === 'ANSWER' && e.answerCode !== 'UNAVAILABLE') throw e;
        // A pin outside the proxy targets is not health-checked, so it is not marked down either:
        // nothing would ever mark it up again.
        if (!pinned || this.router.isConfigured(target)) this.router.markDown(target, e.message);
      }
    }
    if (pinned) throw new HandoffError('CONNECT', `pinned backend ${targetKey(pinned)} is not available`);
    throw new HandoffError('CONNECT', 'no backend is available');
  }
}

export function pingHeader(): HandoffHeader {
  return { protocol: 'ping', account: '', mechanism: '', clientAddress: '', clientPort: 0, tlsMode: 'none', tls: null, sessionId: '' };
}

/** The header for a client connection. */
export function headerFor(protocol: Exclude<HandoffProtocol, 'ping'>, conn: Connection, account: string, mechanism: string): HandoffHeader {
  return {
    protocol, account, mechanism,
    clientAddress: conn.remoteAddress, clientPort: conn.remotePort,
    tlsMode: conn.tlsMode, tls: conn.tls, sessionId: conn.sessionId,
  };
}
