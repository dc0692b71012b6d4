/** APPEND (flags, internal date, synchronising and non-synchronising literals; UIDPLUS APPENDUID). */
import { isMailError } from '../../core/errors.js';
import { ImapSyntaxError } from '../protocol/tokenizer.js';
import { parseDateTime } from '../protocol/dates.js';
import { parseFlagList } from './store.js';
import { no, ok, type CommandDescriptor } from './types.js';

export const append: CommandDescriptor = {
  name: 'APPEND', states: ['authenticated', 'selected'],
  async run({ args, session }) {
    const name = args.mailbox();
    let flags: string[] = [];
    let internalDate: Date | undefined;
    let t = args.next('a message literal');
    if (t.type === 'list') {
      flags = parseFlagList(t.items);
      t = args.next('a message literal');
    }
    if (t.type === 'string' && !t.literal) {
      const d = parseDateTime(t.value.toString('latin1'));
      if (!d) throw new ImapSyntaxError('Invalid date-time (expected "dd-Mon-yyyy hh:mm:ss +zzzz")');
      internalDate = d;
      t = args.next('a message literal');
    }
    if (t.type !== 'string' || !t.literal) throw new ImapSyntaxError('APPEND needs the message as a literal');
    args.end();
    const raw = t.value;
    if (raw.length === 0) return no('Empty message refused');
    try {
      const r = await session.mailboxes.append(name, raw, { flags, internalDate });
      const sel = session.selected;
      if (sel && (await session.mailboxes.get(name))?.id === sel.id) session.markDirty();
      return ok('APPEND completed', `APPENDUID ${r.uidValidity} ${r.uid}`);
    } catch (err) {
      if (isMailError(err, 'NONEXISTENT')) return no(`Mailbox doesn't exist: ${name}`, 'TRYCREATE');
      throw err;
    }
  },
};
