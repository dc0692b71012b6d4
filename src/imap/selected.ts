/**
 * The selected mailbox of one session: the sequence-number <-> UID map (a sorted Uint32Array,
 * binary search), expunges learnt from others but not yet announced, \Recent, and the MODSEQ
 * the session has caught up to. Sequence sets are mapped to UID ranges without expanding them.
 */
import type { UidRange } from '../store/store.js';
import { resolveStar, mergeRanges, type SeqRange } from './protocol/seqset.js';

export class SelectedMailbox {
  private uids: Uint32Array;
  private n: number;
  /** UIDs expunged by someone else, still in the map until announced. */
  readonly pendingExpunges = new Set<number>();
  /** Flag changes this session made itself (uid -> modseq), not to be echoed back. */
  readonly ownChanges = new Map<number, number>();
  /** UIDs recent for this session: [from, to) ranges. */
  private recent: Array<[number, number]> = [];
  /** Last values announced to the client. */
  announcedExists: number;
  announcedRecent: number;

  constructor(
    readonly id: number,
    public name: string,
    readonly readOnly: boolean,
    readonly uidValidity: number,
    uids: Uint32Array,
    public syncedModseq: number,
  ) {
    this.uids = uids;
    this.n = uids.length;
    this.announcedExists = this.n;
    this.announcedRecent = 0;
  }

  get count(): number {
    return this.n;
  }

  maxUid(): number {
    return this.n ? this.uids[this.n - 1] : 0;
  }

  uidAt(seq: number): number {
    return this.uids[seq - 1];
  }

  /** 1-based sequence number of a UID, 0 when absent. */
  seqOf(uid: number): number {
    let lo = 0;
    let hi = this.n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.uids[mid];
      if (v === uid) return mid + 1;
      if (v < uid) lo = mid + 1;
      else hi = mid - 1;
    }
    return 0;
  }

  has(uid: number): boolean {
    return this.seqOf(uid) > 0;
  }

  /** Index of the first UID >= uid. */
  private lowerBound(uid: number): number {
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.uids[mid] < uid) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Appends new UIDs (all greater than maxUid()). */
  addUids(newUids: number[]): void {
    if (!newUids.length) return;
    if (this.n + newUids.length > this.uids.length) {
      const grown = new Uint32Array(Math.max(16, (this.n + newUids.length) * 2));
      grown.set(this.uids.subarray(0, this.n));
      this.uids = grown;
    }
    for (const u of newUids) this.uids[this.n++] = u;
  }

  /** Removes UIDs; returns the sequence numbers they had, in descending order (for EXPUNGE). */
  removeUids(remove: Iterable<number>): number[] {
    const seqs: number[] = [];
    for (const u of remove) {
      const s = this.seqOf(u);
      if (s) seqs.push(s);
      this.pendingExpunges.delete(u);
      this.ownChanges.delete(u);
    }
    if (!seqs.length) return seqs;
    seqs.sort((a, b) => b - a);
    const drop = new Set(seqs);
    const next = new Uint32Array(Math.max(16, this.n - seqs.length));
    let k = 0;
    for (let i = 0; i < this.n; i++) if (!drop.has(i + 1)) next[k++] = this.uids[i];
    this.uids = next;
    this.n = k;
    return seqs;
  }

  /** Sequence ranges (with "*") to UID ranges over the current map. */
  seqToUidRanges(ranges: SeqRange[]): UidRange[] {
    const out: UidRange[] = [];
    for (const r of mergeRanges(resolveStar(ranges, this.n))) {
      const from = Math.max(1, r.from);
      const to = Math.min(this.n, r.to);
      if (from > to) continue;
      out.push({ from: this.uids[from - 1], to: this.uids[to - 1] });
    }
    return out;
  }

  /** UID ranges (with "*") clamped to the map; "*" is the highest UID. */
  uidRanges(ranges: SeqRange[]): UidRange[] {
    if (!this.n) return [];
    const max = this.maxUid();
    return mergeRanges(resolveStar(ranges, max)).filter((r) => r.from <= max).map((r) => ({ from: r.from, to: Math.min(r.to, max) }));
  }

  /** Every UID of the map inside the ranges, ascending. */
  uidsIn(ranges: UidRange[]): number[] {
    const out: number[] = [];
    for (const r of ranges) {
      for (let i = this.lowerBound(r.from); i < this.n && this.uids[i] <= r.to; i++) out.push(this.uids[i]);
    }
    return out;
  }

  /** Marks UIDs >= from (among those now known) as recent for this session. */
  addRecent(from: number): void {
    const to = this.maxUid() + 1;
    if (from < to) this.recent.push([from, to]);
  }

  isRecent(uid: number): boolean {
    for (const [a, b] of this.recent) if (uid >= a && uid < b) return true;
    return false;
  }

  recentCount(): number {
    let c = 0;
    for (const [a, b] of this.recent) c += this.lowerBound(b) - this.lowerBound(a);
    return c;
  }

  allUids(): Uint32Array {
    return this.uids.subarray(0, this.n);
  }
}
