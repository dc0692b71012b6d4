/** STORE / UID STORE: +FLAGS, -FLAGS, FLAGS (.SILENT), CONDSTORE UNCHANGEDSINCE and MODIFIED. */
import { ImapSyntaxError, type ImapToken } from '../protocol/tokenizer.js';
import { flagList } from '../protocol/encoder.js';
import { formatSequenceSet } from '../protocol/seqset.js';
import type { FlagOp } from '../../store/store.js';
import { no, ok, type CommandDescriptor } from './types.js';
import { resolveUids } from './resolve.js';

const SYSTEM = new Map(['\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft'].map((f) => [f.toLowerCase(), f]));

/** Validates flags: known system flags (canonical case) and keywords (atoms). \Recent is refused. */
export function parseFlagList(items: ImapToken[]): string[] {
  const out: string[] = [];
  for (const t of items) {
    if (t.type !== 'atom') throw new ImapSyntaxError('Flags must be atoms');
    const v = t.value;
    if (v.startsWith('\\')) {
      const sys = SYSTEM.get(v.toLowerCase());
      if (!sys) throw new ImapSyntaxError(`Flag ${v.slice(0, 40)} cannot be set`);
      if (!out.includes(sys)) out.push(sys);
    } else {
      if (!/^[\x21-\x7e]+$/.test(v) || /[(){%*"\]\\]/.test(v) || v.length > 128) throw new ImapSyntaxError(`Invalid keyword ${v.slice(0, 40)}`);
      if (!out.includes(v)) out.push(v);
    }
  }
  return out;
}

export const store: CommandDescriptor = {
  name: 'STORE', states: ['selected'], uidForm: true, holdsExpunges: true,
  async run({ uid, args, session }) {
    const sel = session.selected!;
    const set = args.sequenceSet();
    let unchangedSince: number | undefined;
    const p = args.peek();
    if (p?.type === 'list') {
      args.next('modifiers');
      const [k, v] = p.items;
      if (!k || k.type !== 'atom' || k.value.toUpperCase() !== 'UNCHANGEDSINCE' || !v || v.type !== 'atom' || !/^\d{1,20}$/.test(v.value)) {
        throw new ImapSyntaxError('Expected (UNCHANGEDSINCE n)');
      }
      unchangedSince = Number(v.value);
      session.condstore = true;
    }
    const item = args.atom('FLAGS, +FLAGS or -FLAGS').toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
    if (!m) throw new ImapSyntaxError(`Unknown STORE item ${item.slice(0, 40)}`);
    const flags = parseFlagList(args.listOrAtom('flags'));
    args.end();
    if (sel.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
    const op: FlagOp = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set';
    const silent = m[2] !== undefined;
    const uids = await resolveUids(session, set, uid);
    if (!uids.length) return ok('STORE completed');
    const res = await session.mailboxes.storeFlags(sel.id, uids, op, flags, unchangedSince);
    for (const r of res.updated) sel.ownChanges.set(r.uid, r.modseq);
    for (const r of res.updated) {
      const seq = sel.seqOf(r.uid);
      if (!seq) continue;
      if (silent && unchangedSince === undefined) continue;
      const parts: string[] = [];
      if (!silent) parts.push(`FLAGS ${flagList(sel.isRecent(r.uid) ? [...r.flags, '\\Recent'] : r.flags)}`);
      if (uid || session.qresync) parts.unshift(`UID ${r.uid}`);
      if (session.condstore) parts.push(`MODSEQ (${r.modseq})`);
      session.untagged(`${seq} FETCH (${parts.join(' ')})`);
    }
    if (res.modified.length) {
      const ids = uid ? res.modified : res.modified.map((u) => sel.seqOf(u)).filter((s) => s > 0).sort((a, b) => a - b);
      return ok('Conditional STORE failed', `MODIFIED ${formatSequenceSet(ids)}`);
    }
    return ok('STORE completed');
  },
};
