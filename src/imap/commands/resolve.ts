/** Sequence set (or UID set) -> the UIDs of the selected mailbox it names. */
import { ImapSyntaxError } from '../protocol/tokenizer.js';
import type { SeqRange } from '../protocol/seqset.js';
import type { ImapSession } from '../session.js';
import type { UidRange } from '../../store/store.js';

function beyond(set: SeqRange[], count: number): boolean {
  return set.some((r) => count === 0 || r.from > count || (r.to !== Infinity && r.to > count));
}

/**
 * Message sequence numbers must name existing messages. A number beyond what the client has been
 * told may name a message that arrived meanwhile: the session first catches up (EXISTS may be
 * sent during any command; EXPUNGE is held back), and only a number still beyond the mailbox is
 * a BAD, as in Dovecot. UID sets may name anything.
 */
export async function resolveRanges(session: ImapSession, set: SeqRange[], uid: boolean): Promise<UidRange[]> {
  const sel = session.selected!;
  if (uid) return sel.uidRanges(set);
  if (beyond(set, sel.count)) {
    session.markDirty();
    await session.sync(false);
    if (beyond(set, sel.count)) throw new ImapSyntaxError('Invalid message sequence number (beyond the last message)');
  }
  return sel.seqToUidRanges(set);
}

export async function resolveUids(session: ImapSession, set: SeqRange[], uid: boolean): Promise<number[]> {
  return session.selected!.uidsIn(await resolveRanges(session, set, uid));
}
