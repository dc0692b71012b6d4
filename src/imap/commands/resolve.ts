/** Sequence set (or UID set) -> the UIDs of the selected mailbox it names. */
import { ImapSyntaxError } from '../protocol/tokenizer.js';
import type { SeqRange } from '../protocol/seqset.js';
import type { SelectedMailbox } from '../selected.js';
import type { UidRange } from '../../store/store.js';

/**
 * Message sequence numbers must name existing messages (as Dovecot does, a number beyond the
 * mailbox, or any number in an empty mailbox, is a BAD); UID sets may name anything.
 */
export function resolveRanges(sel: SelectedMailbox, set: SeqRange[], uid: boolean): UidRange[] {
  if (uid) return sel.uidRanges(set);
  for (const r of set) {
    if (sel.count === 0 || r.from > sel.count || (r.to !== Infinity && r.to > sel.count)) {
      throw new ImapSyntaxError('Invalid message sequence number (beyond the last message)');
    }
  }
  return sel.seqToUidRanges(set);
}

export function resolveUids(sel: SelectedMailbox, set: SeqRange[], uid: boolean): number[] {
  return sel.uidsIn(resolveRanges(sel, set, uid));
}
