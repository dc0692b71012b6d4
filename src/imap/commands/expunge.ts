/** EXPUNGE and UID EXPUNGE (UIDPLUS). */
import { no, ok, type CommandDescriptor } from './types.js';
import { resolveUids } from './resolve.js';

export const expunge: CommandDescriptor = {
  name: 'EXPUNGE', states: ['selected'], uidForm: true,
  async run({ uid, args, session }) {
    const sel = session.selected!;
    const set = uid ? args.sequenceSet() : null;
    args.end();
    if (sel.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
    const only = set ? await resolveUids(session, set, true) : undefined;
    if (only && !only.length) return ok('EXPUNGE completed');
    const gone = await session.mailboxes.expunge(sel.id, only);
    session.reportExpunged(gone);
    return ok('EXPUNGE completed');
  },
};
