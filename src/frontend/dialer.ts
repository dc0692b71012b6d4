/**
 * The frontend's way to a backend: for one user, try the healthy proxy targets in rendezvous
 * order, opening a hand-off channel; a target that cannot be reached or does not prove the
 * secret is marked down and the next one is tried. Also the health probe the router runs.
 */
import type { Logger } from '../core/log.js';
import type { Connection } from '../net/types.js';
import { HandoffError, openChannel, type BackendAddress, type FramedSocket } from './channel.js';
import type { HandoffHeader, HandoffProtocol } from './header.js';
import { BackendRouter } from './router.js';

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
   */
  async dial(header: HandoffHeader): Promise<{ channel: FramedSocket; answer: Record<string, unknown>; target: BackendAddress }> {
    const secret = this.deps.secret();
    if (!secret) throw new HandoffError('CONNECT', 'no usable cluster secret');
    for (const target of this.router.route(header.account)) {
      try {
        const { channel, answer } = await openChannel({ target, secret, header });
        return { channel, answer, target };
      } catch (err) {
        const e = err as HandoffError;
        if (e.code === 'ANSWER' && e.answerCode !== 'UNAVAILABLE') throw e;
        this.router.markDown(target, e.message);
      }
    }
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
