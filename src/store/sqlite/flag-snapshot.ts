/**
 * Flag snapshots of large mailboxes, kept per process: a flag resync (`UID FETCH 1:* (FLAGS)`,
 * what every mail client sends on opening a folder) of an unchanged 100,000-message mailbox
 * then costs one mailbox-row read instead of handing 100,000 rows from SQLite to JavaScript
 * (≈ 60 ms). The role Dovecot's index file plays.
 *
 * A snapshot is valid for (uid_validity, uid_next, highest_modseq, message_count). Every change
 * raises highest_modseq, so a changed mailbox is caught up from the rows with a higher modseq
 * and the tombstones since; when that does not add up to message_count, it is read whole again.
 * Records are shared by every caller: never mutate them (their flag lists are frozen).
 */
import { MailError } from '../../core/errors.js';
import type { FlagRecord } from '../store.js';
import type { Ctx } from './context.js';

/** Mailboxes smaller than this are read page by page as before: cheap, and not worth the memory. */
export const FLAG_SNAPSHOT_MIN = 2_000;
/** Records kept over all snapshots of a process (≈ 50 bytes each), least recently used evicted. */
const MAX_RECORDS = 600_000;
/** A change set larger than this share of the mailbox is read whole rather than merged. */
const MERGE_MAX_SHARE = 0.25;

export interface FlagSnapshot {
  uidValidity: number;
  uidNext: number;
  modseq: number;
  count: number;
  /** Ascending, one per message, the same order as records. */
  uids: Uint32Array;
  records: FlagRecord[];
}

interface MailboxRow { uid_validity: number; uid_next: number; highest_modseq: number; message_count: number }

/** The mailbox's flag records as of one read snapshot, or null when it is below FLAG_SNAPSHOT_MIN. */
export function flagSnapshot(ctx: Ctx, mailboxId: number, parse: (json: string) => readonly string[]): FlagSnapshot | null {
  return ctx.read(() => {
    const mb = ctx.stmt('SELECT uid_validity, uid_next, highest_modseq, message_count FROM mailboxes WHERE id = ?').get(mailboxId) as MailboxRow | undefined;
    if (!mb) throw new MailError('NONEXISTENT', 'no such mailbox');
    const cache = ctx.flagSnapshots;
    const hit = cache.get(mailboxId);
    if (hit) cache.delete(mailboxId);
    if (mb.message_count < FLAG_SNAPSHOT_MIN) return null;
    let snap: FlagSnapshot | null = null;
    if (hit && hit.uidValidity === mb.uid_validity && hit.uidNext === mb.uid_next && hit.modseq === mb.highest_modseq && hit.count === mb.message_count) {
      snap = hit;
    } else if (hit && hit.uidValidity === mb.uid_validity && hit.uidNext <= mb.uid_next && hit.modseq <= mb.highest_modseq) {
      snap = caughtUp(ctx, mailboxId, hit, mb, parse);
    }
    snap ??= readWhole(ctx, mailboxId, mb, parse);
    cache.set(mailboxId, snap);
    let total = 0;
    for (const s of cache.values()) total += s.count;
    for (const [id, s] of cache) {
      if (total <= MAX_RECORDS || id === mailboxId) break;
      cache.delete(id);
      total -= s.count;
    }
    return snap;
  });
}

function readWhole(ctx: Ctx, mailboxId: number, mb: MailboxRow, parse: (json: string) => readonly string[]): FlagSnapshot {
  const rows = ctx.stmt('SELECT uid, modseq, flags FROM messages WHERE mailbox_id = ? ORDER BY uid').raw(true).all(mailboxId) as Array<[number, number, string]>;
  const uids = new Uint32Array(rows.length);
  const records: FlagRecord[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [uid, modseq, flags] = rows[i]!;
    uids[i] = uid;
    records[i] = { uid, modseq, flags: parse(flags) as string[] };
  }
  return { uidValidity: mb.uid_validity, uidNext: mb.uid_next, modseq: mb.highest_modseq, count: rows.length, uids, records };
}

/** The old snapshot with the rows changed since (new flags, new messages) and without the expunged; null when it does not add up. */
function caughtUp(ctx: Ctx, mailboxId: number, old: FlagSnapshot, mb: MailboxRow, parse: (json: string) => readonly string[]): FlagSnapshot | null {
  const limit = Math.ceil(mb.message_count * MERGE_MAX_SHARE);
  const changed = ctx.stmt('SELECT uid, modseq, flags FROM messages WHERE mailbox_id = ? AND modseq > ? ORDER BY uid LIMIT ?')
    .raw(true).all(mailboxId, old.modseq, limit + 1) as Array<[number, number, string]>;
  if (changed.length > limit) return null;
  const gone = new Set(ctx.stmt('SELECT uid FROM tombstones WHERE mailbox_id = ? AND modseq > ?').pluck().all(mailboxId, old.modseq) as number[]);
  const byUid = new Map<number, FlagRecord>();
  for (const [uid, modseq, flags] of changed) byUid.set(uid, { uid, modseq, flags: parse(flags) as string[] });
  const uids = new Uint32Array(mb.message_count);
  const records: FlagRecord[] = new Array(mb.message_count);
  let n = 0;
  const push = (r: FlagRecord): boolean => {
    if (n >= mb.message_count) return false;
    uids[n] = r.uid;
    records[n++] = r;
    return true;
  };
  for (const r of old.records) {
    if (gone.has(r.uid)) continue;
    const fresh = byUid.get(r.uid);
    if (fresh) byUid.delete(r.uid);
    if (!push(fresh ?? r)) return null;
  }
  // What is left is new since the old snapshot: UIDs at or above its uid_next, in order.
  for (const r of byUid.values()) {
    if (r.uid < old.uidNext || !push(r)) return null;
  }
  if (n !== mb.message_count) return null;
  return { uidValidity: mb.uid_validity, uidNext: mb.uid_next, modseq: mb.highest_modseq, count: n, uids, records };
}

/** Pages of the snapshot's records with from <= uid <= to, `size` at a time. */
export function* snapshotPages(snap: FlagSnapshot, ranges: Array<{ from: number; to: number }>, size: number): Generator<FlagRecord[]> {
  for (const r of ranges) {
    let i = lowerBound(snap.uids, r.from);
    while (i < snap.count && snap.uids[i]! <= r.to) {
      let j = Math.min(i + size, snap.count);
      if (snap.uids[j - 1]! > r.to) j = lowerBound(snap.uids, r.to + 1, i, j);
      yield snap.records.slice(i, j);
      i = j;
    }
  }
}

function lowerBound(a: Uint32Array, v: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
