/** STATUS (with HIGHESTMODSEQ and SIZE), also used by LIST-STATUS. */
import { ImapSyntaxError, type ImapToken } from '../protocol/tokenizer.js';
import { quote } from '../protocol/encoder.js';
import { encodeMailboxName } from '../protocol/mutf7.js';
import type { MailboxInfo } from '../../store/store.js';
import type { ImapSession } from '../session.js';
import { no, ok, type CommandDescriptor } from './types.js';

export const STATUS_ITEMS = ['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'HIGHESTMODSEQ', 'SIZE'];

export function parseStatusItems(items: ImapToken[]): string[] {
  if (!items.length) throw new ImapSyntaxError('STATUS needs at least one item');
  return items.map((t) => {
    const v = t.type === 'atom' ? t.value.toUpperCase() : '';
    if (!STATUS_ITEMS.includes(v)) throw new ImapSyntaxError(`Unknown STATUS item "${v.slice(0, 40)}"`);
    return v;
  });
}

export function statusLine(info: MailboxInfo, items: string[], session: ImapSession): string {
  const values = items.map((item) => {
    switch (item) {
      case 'MESSAGES': return `MESSAGES ${info.messages}`;
      case 'RECENT': return `RECENT ${session.selected?.id === info.id ? session.selected.recentCount() : 0}`;
      case 'UIDNEXT': return `UIDNEXT ${info.uidNext}`;
      case 'UIDVALIDITY': return `UIDVALIDITY ${info.uidValidity}`;
      case 'UNSEEN': return `UNSEEN ${info.unseen}`;
      case 'HIGHESTMODSEQ': return `HIGHESTMODSEQ ${info.highestModseq}`;
      default: return `SIZE ${info.size}`;
    }
  });
  return `STATUS ${quote(encodeMailboxName(info.name))} (${values.join(' ')})`;
}

export const status: CommandDescriptor = {
  name: 'STATUS', states: ['authenticated', 'selected'],
  async run({ args, session }) {
    const name = args.mailbox();
    const items = parseStatusItems(args.list('a list of status items'));
    args.end();
    const info = await session.mailboxes.get(name);
    if (!info) return no(`Mailbox doesn't exist: ${name}`, 'NONEXISTENT');
    if (items.includes('HIGHESTMODSEQ')) session.condstore = true;
    session.untagged(statusLine(info, items, session));
    return ok('STATUS completed');
  },
};
