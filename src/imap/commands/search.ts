/**
 * SEARCH / UID SEARCH: flags, dates and sizes evaluated from message records; text keys through
 * the store's decoded-text search; ESEARCH RETURN (MIN MAX ALL COUNT); CONDSTORE MODSEQ.
 */
import { parseSearchProgram, usesModseq, BadCharsetError, SEARCH_CHARSETS, type SearchKey } from '../protocol/search-parse.js';
import { inRanges, resolveStar, formatSequenceSet } from '../protocol/seqset.js';
import { dayNumber } from '../protocol/dates.js';
import { quote } from '../protocol/encoder.js';
import type { MessageRecord, TextField, UidRange } from '../../store/store.js';
import type { SelectedMailbox } from '../selected.js';
import type { ImapSession } from '../session.js';
import { no, ok, type CommandDescriptor } from './types.js';

interface EvalContext {
  sel: SelectedMailbox;
  text: Map<SearchKey, Set<number>>;
  sent: Map<number, number | null>;
  maxSeq: number;
  maxUid: number;
}

function collectText(key: SearchKey, out: SearchKey[]): void {
  if (key.op === 'text') out.push(key);
  else if (key.op === 'not') collectText(key.key, out);
  else if (key.op === 'or') { collectText(key.a, out); collectText(key.b, out); }
  else if (key.op === 'and') key.keys.forEach((k) => collectText(k, out));
}

function needsSentDate(key: SearchKey): boolean {
  switch (key.op) {
    case 'date': return key.sent;
    case 'not': return needsSentDate(key.key);
    case 'or': return needsSentDate(key.a) || needsSentDate(key.b);
    case 'and': return key.keys.some(needsSentDate);
    default: return false;
  }
}

/**
 * The UIDs a key can only match among, from its text keys (an AND needs any one of its parts, an
 * OR both), or null when any message may match. Lets a text search read just those records.
 */
function candidates(key: SearchKey, text: Map<SearchKey, Set<number>>): Set<number> | null {
  switch (key.op) {
    case 'text': return text.get(key) ?? new Set();
    case 'or': {
      const a = candidates(key.a, text);
      const b = candidates(key.b, text);
      return a && b ? new Set([...a, ...b]) : null;
    }
    case 'and': {
      let best: Set<number> | null = null;
      for (const k of key.keys) {
        const c = candidates(k, text);
        if (c && (!best || c.size < best.size)) best = c;
      }
      return best;
    }
    default: return null;
  }
}

/** Sorted UIDs as UID ranges of consecutive values. */
function toRanges(uids: number[]): UidRange[] {
  const out: UidRange[] = [];
  for (const u of uids) {
    const last = out[out.length - 1];
    if (last && last.to + 1 === u) last.to = u;
    else out.push({ from: u, to: u });
  }
  return out;
}

function hasFlag(r: MessageRecord, flag: string): boolean {
  if (flag.startsWith('\\')) return r.flags.some((f) => f.toLowerCase() === flag.toLowerCase());
  return r.flags.some((f) => f.toLowerCase() === flag.toLowerCase());
}

function matches(key: SearchKey, r: MessageRecord, seq: number, c: EvalContext): boolean {
  switch (key.op) {
    case 'all': return true;
    case 'flag': return hasFlag(r, key.flag) === key.set;
    case 'recent': return c.sel.isRecent(r.uid) === key.set;
    case 'text': return c.text.get(key)?.has(r.uid) ?? false;
    case 'date': {
      const day = key.sent ? c.sent.get(r.uid) ?? null : dayNumber(r.internalDate);
      if (day === null) return false;
      return key.cmp === 'before' ? day < key.day : key.cmp === 'on' ? day === key.day : day >= key.day;
    }
    case 'size': return key.cmp === 'larger' ? r.size > key.n : r.size < key.n;
    case 'seq': return inRanges(resolveStar(key.set, c.maxSeq), seq);
    case 'uid': return inRanges(resolveStar(key.set, c.maxUid), r.uid);
    case 'modseq': return r.modseq >= key.n;
    case 'not': return !matches(key.key, r, seq, c);
    case 'or': return matches(key.a, r, seq, c) || matches(key.b, r, seq, c);
    case 'and': return key.keys.every((k) => matches(k, r, seq, c));
  }
}

export async function runSearch(session: ImapSession, key: SearchKey): Promise<Array<{ uid: number; seq: number; modseq: number }>> {
  const sel = session.selected!;
  const textKeys: SearchKey[] = [];
  collectText(key, textKeys);
  const text = new Map<SearchKey, Set<number>>();
  for (const k of textKeys) {
    if (k.op !== 'text') continue;
    text.set(k, await session.mailboxes.searchText(sel.id, k.field as TextField, k.value));
  }
  const c: EvalContext = { sel, text, sent: new Map(), maxSeq: sel.count, maxUid: sel.maxUid() };
  const wantSent = needsSentDate(key);
  const out: Array<{ uid: number; seq: number; modseq: number }> = [];
  if (!sel.count) return out;
  const only = candidates(key, text);
  const ranges = only ? toRanges([...only].filter((u) => sel.has(u)).sort((a, b) => a - b)) : [{ from: 1, to: sel.maxUid() }];
  if (!ranges.length) return out;
  for await (const batch of session.mailboxes.fetchRecords(sel.id, ranges, 1000)) {
    for (const r of batch) {
      const seq = sel.seqOf(r.uid);
      if (!seq) continue;
      if (wantSent) {
        const p = await session.mailboxes.getParsedBlob(r.blobId);
        c.sent.set(r.uid, p?.sentDate ? dayNumber(p.sentDate) : null);
      }
      if (matches(key, r, seq, c)) out.push({ uid: r.uid, seq, modseq: r.modseq });
    }
  }
  return out;
}

export const search: CommandDescriptor = {
  name: 'SEARCH', states: ['selected'], uidForm: true, holdsExpunges: true,
  async run({ tag, uid, args, session }) {
    let program;
    try {
      program = parseSearchProgram(args.rest(), true);
    } catch (err) {
      if (err instanceof BadCharsetError) return no(`Unsupported charset ${err.charset}`, `BADCHARSET (${SEARCH_CHARSETS.join(' ')})`);
      throw err;
    }
    const modseq = usesModseq(program.key);
    if (modseq) session.condstore = true;
    const found = await runSearch(session, program.key);
    const ids = found.map((f) => (uid ? f.uid : f.seq));
    const maxModseq = found.reduce((m, f) => Math.max(m, f.modseq), 0);
    if (program.returnOpts) {
      const parts = [`(TAG ${quote(tag)})`];
      if (uid) parts.push('UID');
      const r = program.returnOpts;
      if (ids.length) {
        if (r.includes('MIN')) parts.push(`MIN ${ids[0]}`);
        if (r.includes('MAX')) parts.push(`MAX ${ids[ids.length - 1]}`);
      }
      if (r.includes('COUNT')) parts.push(`COUNT ${ids.length}`);
      if (r.includes('ALL') && ids.length) parts.push(`ALL ${formatSequenceSet(ids)}`);
      if (modseq && ids.length) parts.push(`MODSEQ ${maxModseq}`);
      session.untagged('ESEARCH ' + parts.join(' '));
    } else {
      let line = 'SEARCH' + (ids.length ? ' ' + ids.join(' ') : '');
      if (modseq && ids.length) line += ` (MODSEQ ${maxModseq})`;
      session.untagged(line);
    }
    return ok('SEARCH completed');
  },
};
