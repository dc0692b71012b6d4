/**
 * Which backend serves a user: rendezvous (highest-random-weight) hashing of the account
 * address over the healthy proxy targets, so every frontend picks the same backend for a user
 * without talking to the others, and a backend going down moves only its own users. Health is
 * checked every few seconds with a proof-bound ping; a failed hand-off marks a target down at
 * once. A target not yet checked counts as up. A user pinned to a backend (account.backend) is
 * never ranked: the dialer goes to the pin alone.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../core/log.js';
import type { BackendAddress } from './channel.js';

/** HOST[:PORT] (IPv6 in brackets) → address; null when unparsable. */
export function parseTarget(text: string, defaultPort: number): BackendAddress | null {
  const t = text.trim();
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(t) ?? /^([^:\s]+)(?::(\d+))?$/.exec(t);
  if (!m) return null;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host: m[1]!, port };
}

export function targetKey(t: BackendAddress): string {
  return t.host.includes(':') ? `[${t.host}]:${t.port}` : `${t.host}:${t.port}`;
}

/** The rendezvous weight of a target for a user: the first 8 octets of SHA-256. */
export function weight(target: string, user: string): bigint {
  return createHash('sha256').update(target).update('\0').update(user.toLowerCase()).digest().readBigUInt64BE(0);
}

/** Candidate targets for a user, best first (all of them, ordered by weight). */
export function rankTargets(targets: readonly string[], user: string): string[] {
  return [...targets].map((t) => ({ t, w: weight(t, user) })).sort((a, b) => (a.w === b.w ? (a.t < b.t ? -1 : 1) : a.w > b.w ? -1 : 1)).map((x) => x.t);
}

export interface RouterDeps {
  targets: () => readonly string[];
  defaultPort: () => number;
  /** Health probe of one target: resolves true when it answers a ping and serves the protocol. */
  probe: (target: BackendAddress) => Promise<boolean>;
  logger: Logger;
  intervalMs?: number;
}

export class BackendRouter {
  private readonly down = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private checking = false;

  constructor(private readonly deps: RouterDeps) {}

  /** Configured targets, parsed (unparsable entries are left out). */
  targets(): BackendAddress[] {
    const port = this.deps.defaultPort();
    return this.deps.targets().map((t) => parseTarget(t, port)).filter((t): t is BackendAddress => t !== null);
  }

  healthy(): BackendAddress[] {
    return this.targets().filter((t) => !this.down.has(targetKey(t)));
  }

  /** Healthy targets for this user, best first. */
  route(user: string): BackendAddress[] {
    const byKey = new Map(this.healthy().map((t) => [targetKey(t), t]));
    return rankTargets([...byKey.keys()], user).map((k) => byKey.get(k)!);
  }

  /**
   * The target of a per-user pin (HOST[:PORT], the port defaulting to this protocol's
   * proxy-target-port), whether or not it is among the proxy targets; null when it does not parse.
   */
  pinned(pin: string): BackendAddress | null {
    return parseTarget(pin, this.deps.defaultPort());
  }

  /** Whether a target is one of the configured proxy targets (health-checked by this router). */
  isConfigured(t: BackendAddress): boolean {
    const k = targetKey(t);
    return this.targets().some((x) => targetKey(x) === k);
  }

  markDown(t: BackendAddress, reason: string): void {
    const k = targetKey(t);
    if (!this.down.has(k)) this.deps.logger.warn('backend-down', { target: k, reason });
    this.down.add(k);
  }

  markUp(t: BackendAddress): void {
    const k = targetKey(t);
    if (this.down.delete(k)) this.deps.logger.info('backend-up', { target: k });
  }

  /** One round of health checks over every configured target. */
  async check(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    try {
      await Promise.all(this.targets().map(async (t) => {
        const ok = await this.deps.probe(t).catch(() => false);
        if (ok) this.markUp(t);
        else this.markDown(t, 'health check failed');
      }));
    } finally {
      this.checking = false;
    }
  }

  start(): void {
    if (this.timer) return;
    void this.check();
    this.timer = setInterval(() => { if (this.deps.targets().length) void this.check(); }, this.deps.intervalMs ?? 2000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
