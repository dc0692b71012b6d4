/** SELECT, EXAMINE (with CONDSTORE and QRESYNC parameters), CLOSE, UNSELECT. */
import { ImapSyntaxError, type ImapToken } from '../protocol/tokenizer.js';
import { parseSequenceSet, type SeqRange, inRanges, formatSequenceSet, resolveStar } from '../protocol/seqset.js';
import { flagList } from '../protocol/encoder.js';
import { SelectedMailbox } from '../selected.js';
import type { ImapSession } from '../session.js';
import { no, ok, type CommandContext, type CommandDescriptor, type CommandResult } from './types.js';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SeqRange[] | null;
}

function num(t: ImapToken | undefined, what: string): number {
  if (!t || t.type !== 'atom' || !/^\d{1,20}$/.test(t.value)) throw new ImapSyntaxError(`QRESYNC: expected ${what}`);
  return Number(t.value);
}

function parseSelectParams(items: ImapToken[], session: ImapSession): QresyncParams | null {
  let q: QresyncParams | null = null;
  for (let i = 0; i < items.length; i++) {
    const t = items[i];
    const name = t.type === 'atom' ? t.value.toUpperCase() : '';
    if (name === 'CONDSTORE') {
      session.condstore = true;
    } else if (name === 'QRESYNC') {
      if (!session.qresync) throw new ImapSyntaxError('QRESYNC must be enabled first (ENABLE QRESYNC)');
      const list = items[++i];
      if (!list || list.type !== 'list') throw new ImapSyntaxError('QRESYNC needs a parameter list');
      const [uv, ms, known] = list.items;
      q = { uidValidity: num(uv, 'a UIDVALIDITY'), modseq: num(ms, 'a mod-sequence'), knownUids: null };
      if (known && known.type === 'atom') {
        const set = parseSequenceSet(known.value);
        if (!set) throw new ImapSyntaxError('QRESYNC: invalid known-uids set');
        q.knownUids = set;
      }
    } else {
      throw new ImapSyntaxError(`Unknown SELECT parameter ${name.slice(0, 40)}`);
    }
  }
  return q;
}

async function openMailbox(ctx: CommandContext, readOnly: boolean): Promise<CommandResult> {
  const { args, session } = ctx;
  const name = args.mailbox();
  const params = args.remaining ? parseSelectParams(args.list('select parameters'), session) : null;
  args.end();
  if (session.selected) {
    session.deselect();
    session.untagged('OK [CLOSED] Previous mailbox closed');
  }
  const mb = session.mailboxes;
  const info = await mb.get(name);
  if (!info) return no(`Mailbox doesn't exist: ${name}`, 'NONEXISTENT');
  const uids = await mb.listUids(info.id);
  const sel = new SelectedMailbox(info.id, info.name, readOnly, info.uidValidity, uids, info.highestModseq);
  if (!readOnly) sel.addRecent(await mb.claimRecent(info.id));
  sel.announcedRecent = sel.recentCount();
  session.selected = sel;
  session.state = 'selected';
  session.untagged(`FLAGS ${flagList(SYSTEM_FLAGS)}`);
  session.untagged(`OK [PERMANENTFLAGS ${readOnly ? '()' : flagList([...SYSTEM_FLAGS, '\\*'])}] Flags permitted`);
  session.untagged(`${sel.count} EXISTS`);
  session.untagged(`${sel.announcedRecent} RECENT`);
  if (info.unseen > 0 && sel.count > 0) {
    const first = await firstUnseen(session, sel);
    if (first) session.untagged(`OK [UNSEEN ${first}] First unseen`);
  }
  session.untagged(`OK [UIDVALIDITY ${info.uidValidity}] UIDs valid`);
  session.untagged(`OK [UIDNEXT ${info.uidNext}] Predicted next UID`);
  session.untagged(`OK [HIGHESTMODSEQ ${info.highestModseq}] Highest`);
  if (params && params.uidValidity === info.uidValidity) await qresyncReplay(session, sel, params);
  return ok(`${readOnly ? 'EXAMINE' : 'SELECT'} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

async function firstUnseen(session: ImapSession, sel: SelectedMailbox): Promise<number> {
  for await (const batch of session.mailboxes.fetchRecords(sel.id, [{ from: 1, to: Infinity }], 100)) {
    for (const r of batch) {
      if (!r.flags.includes('\\Seen')) {
        const seq = sel.seqOf(r.uid);
        if (seq) return seq;
      }
    }
  }
  return 0;
}

async function qresyncReplay(session: ImapSession, sel: SelectedMailbox, q: QresyncParams): Promise<void> {
  const ch = await session.mailboxes.changesSince(sel.id, q.modseq);
  const known = q.knownUids ? resolveStar(q.knownUids, Math.max(sel.maxUid(), 1)) : null;
  const vanished = ch.expunged.filter((u) => !known || inRanges(known, u));
  if (vanished.length) session.untagged(`VANISHED (EARLIER) ${formatSequenceSet(vanished)}`);
  for (const r of ch.changed) {
    const seq = sel.seqOf(r.uid);
    if (!seq) continue;
    session.untagged(`${seq} FETCH (UID ${r.uid} FLAGS ${flagList(r.flags)} MODSEQ (${r.modseq}))`);
  }
}

export const select: CommandDescriptor = { name: 'SELECT', states: ['authenticated', 'selected'], run: (ctx) => openMailbox(ctx, false) };
export const examine: CommandDescriptor = { name: 'EXAMINE', states: ['authenticated', 'selected'], run: (ctx) => openMailbox(ctx, true) };

export const close: CommandDescriptor = {
  name: 'CLOSE', states: ['selected'],
  async run({ args, session }) {
    args.end();
    const sel = session.selected!;
    session.deselect();
    if (!sel.readOnly) await session.mailboxes.expunge(sel.id);
    return ok('CLOSE completed');
  },
};

export const unselect: CommandDescriptor = {
  name: 'UNSELECT', states: ['selected'],
  async run({ args, session }) {
    args.end();
    session.deselect();
    return ok('UNSELECT completed');
  },
};
