/**
 * Failure throttling: slows down and then temporarily blocks password guessing without ever
 * locking out the legitimate user.
 *
 * - Per client network (IPv4 address, IPv6 /64): failures within a window give growing delays on
 *   the failure reply; at `ipBlockAfter` failures the network is blocked for `blockMs` (then the
 *   block expires and the count starts again). A success forgives only that account's failures
 *   from the network (so a valid account of the attacker's own cannot reset the count between
 *   guesses at other accounts) and makes the (account, network) pair known-good.
 * - Per account: failures give growing delays only, never a block (no lock-out of a victim by a
 *   stranger); a network that has logged into the account before is exempt from them.
 * - A known-good (account, network) pair passes a block of its network on to verification (a
 *   user behind a shared NAT is not locked out by the neighbours' failures); its own wrong
 *   passwords still count, and after `ipBlockAfter` of them within the block it is refused too.
 * - An allow-list of networks always wins: never delayed, never blocked.
 * - One network trying many accounts (`ipDistinctAccountsBlockAfter` different user names failing
 *   within the window) is blocked at once: password spraying. One account failing from many
 *   networks (`accountDistinctNetworksAlert`) is reported (onDetect) and gets the maximum delay
 *   for unknown networks — still no block, so the owner from a known network gets in.
 *
 * The interface is asynchronous so that a shared implementation (SQL, Redis) can replace the
 * in-memory one for several processes.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface ThrottleCheck {
  /** False: refuse the attempt without verifying anything. */
  allowed: boolean;
  /** When blocked: milliseconds until the block expires. */
  retryAfterMs: number;
}

export interface FailureThrottle {
  /** Before verification: is this client allowed to try at all? */
  check(remoteAddress: string, account: string): Promise<ThrottleCheck>;
  /** After a failed verification: returns the delay to apply before the failure reply. */
  recordFailure(remoteAddress: string, account: string): Promise<number>;
  recordSuccess(remoteAddress: string, account: string): Promise<void>;
  /** Current blocks, for `portcullis auth blocks list`. */
  blocks(): Promise<Array<{ network: string; until: Date; failures: number }>>;
  /** Clears one network's block and counter (or all when omitted). */
  clear(network?: string): Promise<void>;
}

export interface ThrottleOptions {
  /** Failures (per network or account) answered without extra delay. Default 1. */
  freeFailures: number;
  /** First extra delay; doubles with each further failure. Default 500 ms. */
  baseDelayMs: number;
  maxDelayMs: number; // default 8 s
  /** Failures from one network after which it is blocked. Default 10. */
  ipBlockAfter: number;
  blockMs: number; // default 15 min
  /** A counter with no failure for this long starts again from zero. Default 15 min. */
  windowMs: number;
  /** CIDR networks (or single addresses) never throttled. */
  allowList: string[];
  /** Distinct accounts failing from one network within the window that block it. Default 5. */
  ipDistinctAccountsBlockAfter: number;
  /** Distinct networks failing for one account within the window that raise an alert. Default 10. */
  accountDistinctNetworksAlert: number;
  now: () => number;
  /** Called after the set of blocks changed (persisted for `portcullis auth blocks list`). */
  onChange?: () => void;
  /** Called when an attack pattern is detected. */
  onDetect?: (event: { kind: 'ip-many-accounts' | 'account-many-ips'; network: string; account: string; count: number }) => void;
}

export const DEFAULT_THROTTLE: Readonly<ThrottleOptions> = {
  freeFailures: 1, baseDelayMs: 500, maxDelayMs: 8_000, ipBlockAfter: 10, blockMs: 15 * 60_000,
  windowMs: 15 * 60_000, allowList: [], ipDistinctAccountsBlockAfter: 5, accountDistinctNetworksAlert: 10, now: () => Date.now(),
};

/** The "throttling" settings block: every field optional, defaults as above. */
export interface ThrottleSettings {
  freeFailures?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  ipBlockAfter?: number;
  blockMs?: number;
  windowMs?: number;
  allowList?: string[];
  ipDistinctAccountsBlockAfter?: number;
  accountDistinctNetworksAlert?: number;
}

/** Expands an IPv6 address to 8 groups of 4 hex digits; null when it is not IPv6. */
function expandIPv6(address: string): string[] | null {
  if (!isIPv6(address)) return null;
  let a = address.toLowerCase().replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const o = v4[1].split('.').map(Number);
    a = a.slice(0, -v4[1].length) + ((o[0] << 8) | o[1]).toString(16) + ':' + ((o[2] << 8) | o[3]).toString(16);
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === null ? [] : Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0'));
}

/** The unit counters are kept for: an IPv4 address, or an IPv6 /64 network. */
export function networkKey(address: string): string {
  if (isIPv4(address)) return address;
  const groups = expandIPv6(address);
  if (!groups) return address;
  if (groups.slice(0, 6).join(':') === '0000:0000:0000:0000:0000:ffff') {
    const n = parseInt(groups[6], 16), m = parseInt(groups[7], 16);
    return `${n >> 8}.${n & 255}.${m >> 8}.${m & 255}`;
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
}

interface Counter {
  failures: number;
  last: number;
  blockedUntil: number;
  /** For an account: the networks it failed from. */
  distinct?: Set<string>;
  /** For a network: failures per account name (its size is the number of distinct accounts). */
  perAccount?: Map<string, number>;
  /** For a network: the many-accounts detection was reported for this counter. */
  sprayReported?: boolean;
}

export class MemoryThrottle implements FailureThrottle {
  private readonly opts: ThrottleOptions;
  private readonly allow = new BlockList();
  private readonly byNetwork = new Map<string, Counter>();
  private readonly byAccount = new Map<string, Counter>();
  /** account -> networks that logged in successfully (bounded). */
  private readonly knownGood = new Map<string, Set<string>>();

  constructor(opts: Partial<ThrottleOptions> = {}) {
    this.opts = { ...DEFAULT_THROTTLE, ...opts };
    for (const entry of this.opts.allowList) {
      const [addr, bits] = entry.split('/');
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (!isIPv4(addr) && !isIPv6(addr)) throw new Error(`allow-list: "${entry}" is not an address or CIDR network`);
      if (bits === undefined) this.allow.addAddress(addr, type);
      else this.allow.addSubnet(addr, Number(bits), type);
    }
  }

  private allowed(address: string): boolean {
    try {
      return this.allow.check(address, isIPv6(address) ? 'ipv6' : 'ipv4');
    } catch {
      return false;
    }
  }

  private live(map: Map<string, Counter>, key: string): Counter | undefined {
    const c = map.get(key);
    if (!c) return undefined;
    const now = this.opts.now();
    if (c.blockedUntil > 0 && now >= c.blockedUntil) {
      map.delete(key); // an expired block starts over
      return undefined;
    }
    if (c.blockedUntil === 0 && now - c.last > this.opts.windowMs) {
      map.delete(key);
      return undefined;
    }
    return c;
  }

  private delayFor(failures: number): number {
    const extra = failures - this.opts.freeFailures;
    if (extra <= 0) return 0;
    return Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** (extra - 1));
  }

  async check(remoteAddress: string, account: string): Promise<ThrottleCheck> {
    if (this.allowed(remoteAddress)) return { allowed: true, retryAfterMs: 0 };
    const net = networkKey(remoteAddress);
    const c = this.live(this.byNetwork, net);
    if (c && c.blockedUntil > 0) {
      const acct = account.toLowerCase();
      const knownGood = this.knownGood.get(acct)?.has(net) ?? false;
      if (knownGood && (c.perAccount?.get(acct) ?? 0) < this.opts.ipBlockAfter) return { allowed: true, retryAfterMs: 0 };
      return { allowed: false, retryAfterMs: c.blockedUntil - this.opts.now() };
    }
    return { allowed: true, retryAfterMs: 0 };
  }

  async recordFailure(remoteAddress: string, account: string): Promise<number> {
    if (this.allowed(remoteAddress)) return 0;
    const now = this.opts.now();
    const net = networkKey(remoteAddress);
    const n = this.live(this.byNetwork, net) ?? { failures: 0, last: now, blockedUntil: 0 };
    n.failures++;
    n.last = now;
    const acct = account.toLowerCase();
    n.perAccount ??= new Map();
    if (n.perAccount.has(acct) || n.perAccount.size < 1000) n.perAccount.set(acct, (n.perAccount.get(acct) ?? 0) + 1);
    const wasBlocked = n.blockedUntil > 0;
    if (n.failures >= this.opts.ipBlockAfter && n.blockedUntil === 0) n.blockedUntil = now + this.opts.blockMs;
    if (n.perAccount.size >= this.opts.ipDistinctAccountsBlockAfter && !n.sprayReported) {
      n.sprayReported = true;
      if (n.blockedUntil === 0) n.blockedUntil = now + this.opts.blockMs;
      this.detect({ kind: 'ip-many-accounts', network: net, account: acct, count: n.perAccount.size });
    }
    this.byNetwork.set(net, n);
    let accountFailures = 0;
    if (!this.knownGood.get(acct)?.has(net)) {
      const a = this.live(this.byAccount, acct) ?? { failures: 0, last: now, blockedUntil: 0 };
      a.failures++;
      a.last = now;
      a.distinct ??= new Set();
      if (a.distinct.size < 1000) a.distinct.add(net);
      this.byAccount.set(acct, a);
      accountFailures = a.failures;
      if (a.distinct.size === this.opts.accountDistinctNetworksAlert) {
        this.detect({ kind: 'account-many-ips', network: net, account: acct, count: a.distinct.size });
      }
      if (a.distinct.size >= this.opts.accountDistinctNetworksAlert) accountFailures = Number.MAX_SAFE_INTEGER;
    }
    this.prune();
    if (!wasBlocked && n.blockedUntil > 0) this.changed();
    return this.delayFor(Math.max(n.failures, accountFailures));
  }

  async recordSuccess(remoteAddress: string, account: string): Promise<void> {
    const net = networkKey(remoteAddress);
    const acct = account.toLowerCase();
    // Forgive only this account's failures from this network; the rest of the network's count
    // and its distinct accounts stay (a valid account must not reset an attacker's counter).
    const n = this.live(this.byNetwork, net);
    if (n) {
      n.failures = Math.max(0, n.failures - (n.perAccount?.get(acct) ?? 0));
      n.perAccount?.delete(acct);
      if (n.failures === 0 && n.blockedUntil === 0) this.byNetwork.delete(net);
    }
    this.byAccount.delete(acct);
    let good = this.knownGood.get(acct);
    if (!good) {
      good = new Set();
      this.knownGood.set(acct, good);
    }
    good.add(net);
    if (good.size > 32) good.delete(good.values().next().value as string);
  }

  async blocks(): Promise<Array<{ network: string; until: Date; failures: number }>> {
    const out: Array<{ network: string; until: Date; failures: number }> = [];
    for (const key of [...this.byNetwork.keys()]) {
      const c = this.live(this.byNetwork, key);
      if (c && c.blockedUntil > 0) out.push({ network: key, until: new Date(c.blockedUntil), failures: c.failures });
    }
    return out;
  }

  async clear(network?: string): Promise<void> {
    if (network === undefined) this.byNetwork.clear();
    else this.byNetwork.delete(network.includes('/') ? network : networkKey(network));
    this.changed();
  }

  private changed(): void {
    try {
      this.opts.onChange?.();
    } catch {
      // a persistence problem must not break logins
    }
  }

  private detect(e: { kind: 'ip-many-accounts' | 'account-many-ips'; network: string; account: string; count: number }): void {
    try {
      this.opts.onDetect?.(e);
    } catch {
      // reporting only
    }
  }

  /** Keeps memory bounded under a flood of distinct addresses. */
  private prune(): void {
    for (const map of [this.byNetwork, this.byAccount]) {
      if (map.size < 100_000) continue;
      for (const key of [...map.keys()]) this.live(map, key);
      while (map.size >= 100_000) map.delete(map.keys().next().value as string);
    }
  }
}
