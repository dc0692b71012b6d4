/** LIST (with LIST-EXTENDED basics, SPECIAL-USE, CHILDREN, LIST-STATUS) and LSUB. */
import { HIERARCHY_SEPARATOR, type MailboxInfo } from '../../store/store.js';
import { ImapSyntaxError, type ImapToken } from '../protocol/tokenizer.js';
import { quote } from '../protocol/encoder.js';
import { decodeMailboxName, encodeMailboxName } from '../protocol/mutf7.js';
import { tokenText } from '../protocol/args.js';
import type { ImapSession } from '../session.js';
import { parseStatusItems, statusLine } from './status.js';
import { ok, type CommandDescriptor } from './types.js';

const SEP = HIERARCHY_SEPARATOR;

/** Mailbox pattern -> RegExp ("*" any, "%" any but the separator; INBOX case-insensitive). */
export function patternToRegExp(pattern: string): RegExp {
  let re = '';
  for (const ch of pattern) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
  }
  if (/^inbox(?=$|\\\/)/i.test(re)) re = 'INBOX' + re.slice(5);
  return new RegExp('^' + re + '$', 's');
}

function canonical(name: string): string {
  if (/^inbox$/i.test(name)) return 'INBOX';
  if (/^inbox\//i.test(name)) return 'INBOX' + name.slice(5);
  return name;
}

interface ListOptions {
  subscribedOnly: boolean;
  specialUseOnly: boolean;
  recursiveMatch: boolean;
  returnSubscribed: boolean;
  returnSpecialUse: boolean;
  returnStatus: string[] | null;
  lsub: boolean;
}

async function runList(session: ImapSession, ref: string, patterns: string[], o: ListOptions): Promise<void> {
  if (patterns.length === 1 && patterns[0] === '' && !o.lsub) {
    session.untagged(`LIST (\\Noselect) "${SEP}" ""`);
    return;
  }
  const all = await session.mailboxes.list();
  const byName = new Map<string, MailboxInfo>(all.map((m) => [m.name, m]));
  const subs = new Set((o.subscribedOnly || o.returnSubscribed || o.lsub) ? (await session.mailboxes.subscriptions()).map(canonical) : []);
  const hidden = !session.settings.showHiddenFoldersEnabled;
  const names = new Set<string>();
  const source = o.subscribedOnly || o.lsub ? [...subs] : all.map((m) => m.name);
  for (const n of source) {
    names.add(n);
    if (!o.lsub) {
      const levels = n.split(SEP);
      for (let i = 1; i < levels.length; i++) names.add(levels.slice(0, i).join(SEP));
    }
  }
  const hasChildren = (n: string): boolean => all.some((m) => m.name.startsWith(n + SEP));
  const regs = patterns.map((p) => patternToRegExp(canonical(ref && p.startsWith(SEP) ? p : ref + p)));
  const sorted = [...names].sort((a, b) => (a === 'INBOX' ? -1 : b === 'INBOX' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const name of sorted) {
    if (!regs.some((r) => r.test(name))) continue;
    if (hidden && name.split(SEP).some((l) => l.startsWith('.'))) continue;
    const info = byName.get(name);
    if (o.specialUseOnly && !info?.specialUse) continue;
    const attrs: string[] = [];
    if (!info) attrs.push(o.subscribedOnly || o.lsub ? '\\NonExistent' : '\\Noselect');
    if (!o.lsub) attrs.push(hasChildren(name) ? '\\HasChildren' : '\\HasNoChildren');
    if ((o.returnSubscribed || o.subscribedOnly) && !o.lsub && subs.has(name)) attrs.push('\\Subscribed');
    if (info?.specialUse && (o.returnSpecialUse || !o.lsub)) attrs.push(info.specialUse);
    if (o.lsub && !info) attrs.splice(0, attrs.length, '\\Noselect');
    session.untagged(`${o.lsub ? 'LSUB' : 'LIST'} (${attrs.join(' ')}) "${SEP}" ${quote(encodeMailboxName(name))}`);
    if (o.returnStatus && info) session.untagged(statusLine(info, o.returnStatus, session));
  }
}

function mailboxPatternArg(t: ImapToken): string {
  if (t.type === 'list') throw new ImapSyntaxError('Expected a mailbox pattern');
  return decodeMailboxName(tokenText(t));
}

export const list: CommandDescriptor = {
  name: 'LIST', states: ['authenticated', 'selected'],
  async run({ args, session }) {
    const o: ListOptions = { subscribedOnly: false, specialUseOnly: false, recursiveMatch: false, returnSubscribed: false, returnSpecialUse: false, returnStatus: null, lsub: false };
    const first = args.peek();
    if (first?.type === 'list') {
      args.next('selection options');
      for (const t of first.items) {
        const v = tokenText(t).toUpperCase();
        if (v === 'SUBSCRIBED') o.subscribedOnly = true;
        else if (v === 'SPECIAL-USE') o.specialUseOnly = true;
        else if (v === 'RECURSIVEMATCH') o.recursiveMatch = true;
        else if (v === 'REMOTE') { /* no remote mailboxes */ }
        else throw new ImapSyntaxError(`Unknown LIST selection option ${v.slice(0, 40)}`);
      }
      if (o.recursiveMatch && !o.subscribedOnly) throw new ImapSyntaxError('RECURSIVEMATCH needs another selection option');
    }
    const ref = mailboxPatternArg(args.next('a reference name'));
    const pat = args.next('a mailbox pattern');
    const patterns = pat.type === 'list' ? pat.items.map(mailboxPatternArg) : [mailboxPatternArg(pat)];
    if (args.acceptAtom('RETURN')) {
      const items = args.list('return options');
      for (let i = 0; i < items.length; i++) {
        const v = tokenText(items[i]).toUpperCase();
        if (v === 'SUBSCRIBED') o.returnSubscribed = true;
        else if (v === 'CHILDREN') { /* always returned */ }
        else if (v === 'SPECIAL-USE') o.returnSpecialUse = true;
        else if (v === 'STATUS') {
          const st = items[++i];
          if (!st || st.type !== 'list') throw new ImapSyntaxError('RETURN STATUS needs a list of items');
          o.returnStatus = parseStatusItems(st.items);
        } else throw new ImapSyntaxError(`Unknown LIST return option ${v.slice(0, 40)}`);
      }
    }
    args.end();
    await runList(session, ref, patterns, o);
    return ok('LIST completed');
  },
};

export const lsub: CommandDescriptor = {
  name: 'LSUB', states: ['authenticated', 'selected'],
  async run({ args, session }) {
    const ref = mailboxPatternArg(args.next('a reference name'));
    const pattern = mailboxPatternArg(args.next('a mailbox pattern'));
    args.end();
    await runList(session, ref, [pattern], { subscribedOnly: true, specialUseOnly: false, recursiveMatch: false, returnSubscribed: false, returnSpecialUse: false, returnStatus: null, lsub: true });
    return ok('LSUB completed');
  },
};
