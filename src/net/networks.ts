/**
 * Network lists (trusted-proxies, trusted-frontends, allow-lists): CIDR networks or single
 * addresses matched with node:net's BlockList, the same matcher the throttle's allow-list uses.
 * Entries that are not an address or network are reported, never thrown, so a bad entry in a
 * live setting cannot stop a listener.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface NetworkList {
  /** Whether the address (IPv4 or IPv6 text) is in one of the networks. */
  contains(address: string): boolean;
  /** Entries that were not an address or a CIDR network (ignored). */
  invalid: string[];
  /** Entries that cover every address of a family (0.0.0.0/0, ::/0). */
  wholeInternet: string[];
}

export function networkList(entries: readonly string[]): NetworkList {
  const list = new BlockList();
  const invalid: string[] = [];
  const wholeInternet: string[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const [addr, bits, extra] = entry.split('/');
    const type = isIPv4(addr) ? 'ipv4' : isIPv6(addr) ? 'ipv6' : null;
    const prefix = bits === undefined ? null : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!type || extra !== undefined || Number.isNaN(prefix) || (prefix !== null && prefix > (type === 'ipv4' ? 32 : 128))) {
      invalid.push(entry);
      continue;
    }
    if (prefix === null) list.addAddress(addr, type);
    else list.addSubnet(addr, prefix, type);
    if (prefix === 0) wholeInternet.push(entry);
  }
  return {
    contains(address: string): boolean {
      const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
      if (!type) return false;
      try {
        return list.check(address, type);
      } catch {
        return false;
      }
    },
    invalid,
    wholeInternet,
  };
}

/**
 * networkList() for a setting read live: rebuilt only when the entries change; `onInvalid` hears
 * of unparsable entries once per change (listeners log them as ignored).
 */
export function liveNetworkList(read: () => readonly string[], onInvalid?: (invalid: string[]) => void): () => NetworkList {
  let key: string | null = null;
  let current: NetworkList = networkList([]);
  return () => {
    let entries: readonly string[];
    try {
      entries = read();
    } catch {
      entries = [];
    }
    const k = entries.join(',');
    if (k !== key) {
      key = k;
      current = networkList(entries);
      if (current.invalid.length) onInvalid?.(current.invalid);
    }
    return current;
  };
}
