/** CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE. */
import { MailError } from '../../core/errors.js';
import { HIERARCHY_SEPARATOR } from '../../store/store.js';
import { ok, no, type CommandDescriptor } from './types.js';

const ANY = ['authenticated', 'selected'] as const;

/** Refuses names that could never be valid: empty levels, control characters, "." or "..". */
export function checkMailboxName(name: string): string {
  let n = name;
  if (n.endsWith(HIERARCHY_SEPARATOR)) n = n.slice(0, -1);
  if (!n) throw new MailError('CANNOT', 'Mailbox name is empty');
  if (/[\x00-\x1f\x7f]/.test(n)) throw new MailError('CANNOT', 'Mailbox name contains control characters');
  if (/[*%]/.test(n)) throw new MailError('CANNOT', 'Mailbox name contains wildcards');
  for (const level of n.split(HIERARCHY_SEPARATOR)) {
    if (!level || level === '.' || level === '..') throw new MailError('CANNOT', 'Mailbox name has an empty or dot level');
  }
  return n;
}

export const create: CommandDescriptor = {
  name: 'CREATE', states: ANY,
  async run({ args, session }) {
    const raw = args.mailbox();
    if (args.remaining) args.list('create parameters');
    args.end();
    const name = checkMailboxName(raw);
    if (name === 'INBOX') return no('INBOX already exists', 'ALREADYEXISTS');
    if (await session.mailboxes.get(name)) return no('Mailbox already exists', 'ALREADYEXISTS');
    await session.mailboxes.create(name);
    return ok('CREATE completed');
  },
};

export const del: CommandDescriptor = {
  name: 'DELETE', states: ANY,
  async run({ args, session }) {
    const name = args.mailbox();
    args.end();
    if (name === 'INBOX') return no('INBOX cannot be deleted', 'CANNOT');
    const info = await session.mailboxes.get(name);
    if (!info) return no(`Mailbox doesn't exist: ${name}`, 'NONEXISTENT');
    if (session.selected?.id === info.id) session.deselect();
    await session.mailboxes.delete(name);
    return ok('DELETE completed');
  },
};

export const rename: CommandDescriptor = {
  name: 'RENAME', states: ANY,
  async run({ args, session }) {
    const from = args.mailbox();
    const to = checkMailboxName(args.mailbox());
    args.end();
    if (!(await session.mailboxes.get(from))) return no(`Mailbox doesn't exist: ${from}`, 'NONEXISTENT');
    if (await session.mailboxes.get(to)) return no('Target mailbox already exists', 'ALREADYEXISTS');
    await session.mailboxes.rename(from, to);
    if (session.selected && session.selected.name === from) session.selected.name = to;
    return ok('RENAME completed');
  },
};

export const subscribe: CommandDescriptor = {
  name: 'SUBSCRIBE', states: ANY,
  async run({ args, session }) {
    const name = checkMailboxName(args.mailbox());
    args.end();
    await session.mailboxes.subscribe(name);
    return ok('SUBSCRIBE completed');
  },
};

export const unsubscribe: CommandDescriptor = {
  name: 'UNSUBSCRIBE', states: ANY,
  async run({ args, session }) {
    const name = args.mailbox();
    args.end();
    await session.mailboxes.unsubscribe(name);
    return ok('UNSUBSCRIBE completed');
  },
};
