/**
 * FETCH / UID FETCH: every RFC 3501 data item, CONDSTORE (MODSEQ, CHANGEDSINCE) and QRESYNC
 * (VANISHED). Structure comes from the indexer's stored records; body sections are byte ranges
 * of the stored blob (streamed with backpressure when large). Responses without body sections are
 * rendered into one string per batch of records and written once, with one backpressure wait per
 * batch; with body sections they are written message by message, never buffered whole.
 */
import { ImapSyntaxError } from '../protocol/tokenizer.js';
import { parseFetchItems, type BodyItem, type FetchItem } from '../protocol/fetch-items.js';
import { encodeBodyStructure, encodeEnvelope, flagList } from '../protocol/encoder.js';
import { formatDateTime } from '../protocol/dates.js';
import { resolveSection, filterHeaderFields } from '../protocol/sections.js';
import { formatSequenceSet, inRanges, resolveStar } from '../protocol/seqset.js';
import type { FlagRecord, MessageRecord } from '../../store/store.js';
import type { ParsedMessage } from '../../message/types.js';
import type { ImapSession } from '../session.js';
import { ok, type CommandDescriptor } from './types.js';
import { resolveRanges } from './resolve.js';
import { isDownloadSection } from '../../mailbox/read-receipts.js';

/** A full record, or a flag record when the FETCH needs nothing else. */
type FetchRecord = MessageRecord | FlagRecord;

/** Bodies larger than this are streamed from the blob store instead of read whole. */
const STREAM_ABOVE = 256 * 1024;
const BATCH = 200;
/** Items a flag-only FETCH may ask for (served by fetchFlags), and its batch size. */
const FLAG_ONLY_ITEMS = new Set(['UID', 'FLAGS', 'MODSEQ']);
const FLAG_BATCH = 1000;

function needsParsed(items: FetchItem[]): boolean {
  return items.some((i) => (i.kind === 'simple' ? ['ENVELOPE', 'BODY', 'BODYSTRUCTURE'].includes(i.name) : i.section.path.length > 0 || i.section.spec !== ''));
}

export const fetch: CommandDescriptor = {
  name: 'FETCH', states: ['selected'], uidForm: true, holdsExpunges: true,
  async run({ uid, args, session }) {
    const sel = session.selected!;
    const set = args.sequenceSet();
    const items = parseFetchItems(args.next('FETCH items'));
    let changedSince: number | null = null;
    let vanished = false;
    if (args.peek()?.type === 'list') {
      const mods = args.list('FETCH modifiers');
      for (let i = 0; i < mods.length; i++) {
        const m = mods[i];
        const name = m.type === 'atom' ? m.value.toUpperCase() : '';
        if (name === 'CHANGEDSINCE') {
          const v = mods[++i];
          if (!v || v.type !== 'atom' || !/^\d{1,20}$/.test(v.value)) throw new ImapSyntaxError('CHANGEDSINCE needs a mod-sequence');
          changedSince = Number(v.value);
        } else if (name === 'VANISHED') {
          vanished = true;
        } else {
          throw new ImapSyntaxError(`Unknown FETCH modifier ${name.slice(0, 40)}`);
        }
      }
    }
    args.end();
    if (vanished && (!uid || !session.qresync || changedSince === null)) {
      throw new ImapSyntaxError('VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC enabled');
    }
    const has = (name: string): boolean => items.some((i) => i.kind === 'simple' && i.name === name);
    if (uid && !has('UID')) items.unshift({ kind: 'simple', name: 'UID' });
    if (changedSince !== null && !has('MODSEQ')) items.push({ kind: 'simple', name: 'MODSEQ' });
    if (has('MODSEQ')) session.condstore = true;
    if (vanished && changedSince !== null) {
      const ch = await session.mailboxes.changesSince(sel.id, changedSince);
      const wanted = resolveStar(set, Math.max(sel.maxUid(), 1));
      const gone = ch.expunged.filter((u) => inRanges(wanted, u));
      if (gone.length) session.untagged(`VANISHED (EARLIER) ${formatSequenceSet(gone)}`);
    }
    const ranges = await resolveRanges(session, set, uid);
    if (!ranges.length) return ok('FETCH completed');
    const parsedNeeded = needsParsed(items);
    const setSeen = !sel.readOnly && items.some((i) => i.kind === 'body' && !i.peek);
    const hasBody = items.some((i) => i.kind === 'body');
    if (!setSeen && items.every((i) => i.kind === 'simple' && FLAG_ONLY_ITEMS.has(i.name))) {
      // A flag resync (UID FETCH 1:* (FLAGS)): records without hash, date or size, bigger batches.
      const names = items.map((i) => (i as { name: string }).name);
      for await (const records of session.mailboxes.fetchFlags(sel.id, ranges, FLAG_BATCH)) {
        let out = '';
        for (const r of records) {
          if (changedSince !== null && r.modseq <= changedSince) continue;
          const seq = sel.seqOf(r.uid);
          if (seq !== 0) out += flagOnlyLine(sel, seq, r, names);
        }
        if (out) session.write(out);
        await session.drained();
      }
      return ok('FETCH completed');
    }
    for await (const records of session.mailboxes.fetchRecords(sel.id, ranges, BATCH)) {
      let batch = records.filter((r) => sel.seqOf(r.uid) > 0);
      if (changedSince !== null) batch = batch.filter((r) => r.modseq > changedSince!);
      const flagsChanged = new Set<number>();
      if (setSeen) {
        const unseen = batch.filter((r) => !r.flags.includes('\\Seen')).map((r) => r.uid);
        if (unseen.length) {
          const res = await session.mailboxes.storeFlags(sel.id, unseen, 'add', ['\\Seen']);
          const byUid = new Map(res.updated.map((u) => [u.uid, u]));
          batch = batch.map((r) => byUid.get(r.uid) ?? r);
          for (const u of res.updated) {
            sel.ownChanges.set(u.uid, u.modseq);
            flagsChanged.add(u.uid);
          }
          // Read receipts (RFC 8098) for first downloads; runs in the background, never delays FETCH.
          if (session.readReceipts && items.some((i) => i.kind === 'body' && !i.peek && isDownloadSection(i.section.spec))) session.readReceipts.downloaded(session.mailboxes, sel.id, res.updated.map((u) => u.uid));
        }
      }
      const flagsItem = has('FLAGS');
      if (!hasBody) {
        let out = '';
        for (const r of batch) {
          const parsed = parsedNeeded ? await session.mailboxes.getParsedBlob(r.blobId) : null;
          if (parsedNeeded && !parsed) continue;
          out += renderSimple(session, r, items, parsed, flagsChanged.has(r.uid) && !flagsItem);
        }
        if (out) session.write(out);
        await session.drained();
        continue;
      }
      for (const r of batch) {
        const parsed = parsedNeeded ? await session.mailboxes.getParsedBlob(r.blobId) : null;
        if (parsedNeeded && !parsed) continue;
        await writeMessage(session, r, items, parsed, flagsChanged.has(r.uid) && !flagsItem);
        await session.drained();
      }
    }
    return ok('FETCH completed');
  },
};

/** One whole FETCH response line for items without body sections. */
function renderSimple(session: ImapSession, r: FetchRecord, items: FetchItem[], parsed: ParsedMessage | null, addFlags: boolean): string {
  const sel = session.selected!;
  let text = `* ${sel.seqOf(r.uid)} FETCH (`;
  let first = true;
  for (const item of items) {
    if (item.kind !== 'simple') continue;
    const t = simpleItem(sel, r, item.name, parsed);
    if (t === null) continue;
    text += first ? t : ' ' + t;
    first = false;
  }
  if (addFlags) text += (first ? '' : ' ') + flagsItem(sel, r);
  return text + ')\r\n';
}

function flagsItem(sel: NonNullable<ImapSession['selected']>, r: FlagRecord): string {
  return 'FLAGS ' + (sel.isRecent(r.uid) ? flagList([...r.flags, '\\Recent']) : sharedFlagList(r.flags));
}

/**
 * The text of a flag list the store shares between records (frozen: see messages.ts sharedFlags),
 * made once per distinct list: a flag resync of 100,000 messages has a handful of distinct lists.
 */
const flagListText = new WeakMap<readonly string[], string>();
function sharedFlagList(flags: readonly string[]): string {
  let text = flagListText.get(flags);
  if (text === undefined) {
    text = flagList(flags);
    if (Object.isFrozen(flags)) flagListText.set(flags, text);
  }
  return text;
}

/** One response line of a flag resync (items among UID, FLAGS, MODSEQ, in the client's order). */
function flagOnlyLine(sel: NonNullable<ImapSession['selected']>, seq: number, r: FlagRecord, names: readonly string[]): string {
  let text = '* ' + seq + ' FETCH (';
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    if (i > 0) text += ' ';
    text += name === 'UID' ? 'UID ' + r.uid : name === 'FLAGS' ? flagsItem(sel, r) : 'MODSEQ (' + r.modseq + ')';
  }
  return text + ')\r\n';
}

/**
 * The text of one non-body data item, or null for a name this command does not render. A flag
 * record (fetchFlags) is only ever asked for UID, FLAGS and MODSEQ (FLAG_ONLY_ITEMS).
 */
function simpleItem(sel: NonNullable<ImapSession['selected']>, r: FetchRecord, name: string, parsed: ParsedMessage | null): string | null {
  switch (name) {
    case 'UID': return `UID ${r.uid}`;
    case 'FLAGS': return flagsItem(sel, r);
    case 'INTERNALDATE': return `INTERNALDATE "${formatDateTime((r as MessageRecord).internalDate)}"`;
    case 'RFC822.SIZE': return `RFC822.SIZE ${(r as MessageRecord).size}`;
    case 'MODSEQ': return `MODSEQ (${r.modseq})`;
    case 'ENVELOPE': return `ENVELOPE ${encodeEnvelope(parsed!.envelope)}`;
    case 'BODY': return `BODY ${encodeBodyStructure(parsed!.root, false)}`;
    case 'BODYSTRUCTURE': return `BODYSTRUCTURE ${encodeBodyStructure(parsed!.root, true)}`;
    default: return null;
  }
}

async function writeMessage(session: ImapSession, r: MessageRecord, items: FetchItem[], parsed: ParsedMessage | null, addFlags: boolean): Promise<void> {
  const sel = session.selected!;
  const seq = sel.seqOf(r.uid);
  let text = `* ${seq} FETCH (`;
  let first = true;
  const sep = (): string => (first ? ((first = false), '') : ' ');
  for (const item of items) {
    if (item.kind === 'simple') {
      const t = simpleItem(sel, r, item.name, parsed);
      if (t !== null) text += sep() + t;
      continue;
    }
    text += sep() + item.label + ' ';
    const written = await writeBody(session, r, item, parsed, text);
    text = written;
  }
  if (addFlags) text += sep() + flagsItem(sel, r);
  session.write(text + ')\r\n');
}

/** Writes `prefix` plus one body literal; returns text still to be written (empty). */
async function writeBody(session: ImapSession, r: MessageRecord, item: BodyItem, parsed: ParsedMessage | null, prefix: string): Promise<string> {
  const source = parsed ? resolveSection(parsed, item.section) : { kind: 'range' as const, start: 0, end: r.size };
  if (source.kind === 'empty') return prefix + '""';
  let data: Buffer | null = null;
  let start = 0;
  let end = 0;
  if (source.kind === 'fields') {
    data = filterHeaderFields(await session.mailboxes.readBlob(r.blobId, source.start, source.end), source.fields, source.not);
    end = data.length;
  } else {
    start = source.start;
    end = Math.min(source.end, r.size);
  }
  if (item.partial) {
    const s = Math.min(start + item.partial.offset, end);
    end = Math.min(s + item.partial.length, end);
    start = s;
  }
  const length = Math.max(0, end - start);
  if (data) {
    session.write(Buffer.concat([Buffer.from(`${prefix}{${length}}\r\n`, 'utf8'), data.subarray(start, end)]));
    return '';
  }
  session.write(`${prefix}{${length}}\r\n`);
  if (length === 0) return '';
  if (length <= STREAM_ABOVE) {
    session.write(await session.mailboxes.readBlob(r.blobId, start, end));
    return '';
  }
  const stream = session.mailboxes.streamBlob(r.blobId, start, end);
  let sent = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const take = b.subarray(0, Math.max(0, length - sent));
      sent += take.length;
      session.write(take);
      await session.drained();
    }
  } catch (err) {
    // Half a literal is on the wire: the only honest way out is to end the session.
    session.logger.error('imap-fetch-stream-failed', { uid: r.uid, err: err instanceof Error ? err : new Error(String(err)) });
    session.abort('Internal error while sending a message');
    throw err;
  }
  if (sent < length) {
    session.logger.error('imap-fetch-short-blob', { uid: r.uid, expected: length, got: sent });
    session.abort('Stored message is shorter than recorded');
    return '';
  }
  return '';
}
