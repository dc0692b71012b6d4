/** Backend-independent helpers for mailbox names, flags and account fields (shared by every store backend). */
import { MailError } from '../core/errors.js';
import { HIERARCHY_SEPARATOR } from './store.js';

/** "INBOX" in any casing (as the whole name or its first level) becomes "INBOX". */
export function normalizeMailboxName(name: string): string {
  const sep = name.indexOf(HIERARCHY_SEPARATOR);
  const first = sep < 0 ? name : name.slice(0, sep);
  if (first.toUpperCase() === 'INBOX' && first !== 'INBOX') return 'INBOX' + (sep < 0 ? '' : name.slice(sep));
  return name;
}

export function isInbox(name: string): boolean {
  return name.toUpperCase() === 'INBOX';
}

const SYSTEM_FLAGS = ['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'];
const SYSTEM_BY_LOWER = new Map(SYSTEM_FLAGS.map((f) => [f.toLowerCase(), f]));

/**
 * Canonical flag list: system flags in their RFC spelling, keywords as first written,
 * duplicates (case-insensitive) removed, \Recent dropped (it is never stored).
 */
export function normalizeFlags(flags: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of flags) {
    if (typeof f !== 'string' || f.length === 0 || f.length > 200 || /[\s\x00-\x1f\x7f()"{\]%*]/.test(f)) {
      throw new MailError('BADINPUT', `invalid flag ${JSON.stringify(String(f)).slice(0, 60)}`);
    }
    const lower = f.toLowerCase();
    if (lower === '\\recent') continue;
    if (f.startsWith('\\') && !SYSTEM_BY_LOWER.has(lower)) {
      throw new MailError('BADINPUT', `unknown system flag ${f.slice(0, 60)}`);
    }
    if (seen.has(lower)) continue;
    seen.add(lower);
    out.push(SYSTEM_BY_LOWER.get(lower) ?? f);
  }
  return out;
}

export function hasFlag(flags: readonly string[], flag: string): boolean {
  const lower = flag.toLowerCase();
  return flags.some((f) => f.toLowerCase() === lower);
}

/** Applies a STORE operation; returns the new list (normalised). */
export function applyFlagOp(current: readonly string[], op: 'set' | 'add' | 'remove', flags: readonly string[]): string[] {
  if (op === 'set') return [...flags];
  if (op === 'add') return normalizeFlags([...current, ...flags]);
  const drop = new Set(flags.map((f) => f.toLowerCase()));
  return current.filter((f) => !drop.has(f.toLowerCase()));
}

export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a.map((f) => f.toLowerCase()));
  return b.every((f) => set.has(f.toLowerCase()));
}

/** Sorted, merged ranges (to = Infinity allowed), so batches come out ascending without repeats. */
export function mergeRanges(ranges: ReadonlyArray<{ from: number; to: number }>): Array<{ from: number; to: number }> {
  const sorted = ranges
    .map((r) => ({ from: Math.max(1, Math.min(r.from, r.to)), to: Math.max(r.from, r.to) }))
    .sort((a, b) => a.from - b.from);
  const out: Array<{ from: number; to: number }> = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/**
 * The store keeps a backend pin as given (HOST[:PORT]); the CLI and the directory check its
 * syntax. Here only what could hurt a row or a log line is refused.
 */
export function checkBackend(backend: string | null | undefined): void {
  if (backend === undefined || backend === null) return;
  if (typeof backend !== 'string' || backend.length > 300 || /[\s\x00-\x1f\x7f]/.test(backend)) {
    throw new MailError('BADINPUT', 'backend must be HOST[:PORT] of at most 300 characters, or null');
  }
}
