/** COPY, MOVE and their UID forms (UIDPLUS COPYUID; TRYCREATE for a missing target). */
import { isMailError } from '../../core/errors.js';
import { formatSequenceSet } from '../protocol/seqset.js';
import type { CopyResult } from '../../store/store.js';
import type { CommandContext, CommandResult, CommandDescriptor } from './types.js';
import { no, ok } from './types.js';
import { resolveUids } from './resolve.js';

function copyuid(r: CopyResult): string {
  return `COPYUID ${r.uidValidity} ${formatSequenceSet(r.map.map((p) => p[0]))} ${formatSequenceSet(r.map.map((p) => p[1]))}`;
}

async function transfer(ctx: CommandContext, move: boolean): Promise<CommandResult> {
  const { uid, args, session } = ctx;
  const sel = session.selected!;
  const set = args.sequenceSet();
  const target = args.mailbox();
  args.end();
  if (move && sel.readOnly) return no('Mailbox is read-only', 'READ-ONLY');
  const uids = await resolveUids(session, set, uid);
  if (!uids.length) {
    if (!(await session.mailboxes.get(target))) return no(`Mailbox doesn't exist: ${target}`, 'TRYCREATE');
    return ok(`${move ? 'MOVE' : 'COPY'} completed, no messages`);
  }
  let r: CopyResult;
  try {
    r = move ? await session.mailboxes.move(sel.id, uids, target) : await session.mailboxes.copy(sel.id, uids, target);
  } catch (err) {
    if (isMailError(err, 'NONEXISTENT')) return no(`Mailbox doesn't exist: ${target}`, 'TRYCREATE');
    throw err;
  }
  if ((await session.mailboxes.get(target))?.id === sel.id) session.markDirty();
  if (!move) return ok('COPY completed', r.map.length ? copyuid(r) : undefined);
  if (r.map.length) session.untagged(`OK [${copyuid(r)}] Moved`);
  session.reportExpunged(r.map.map((p) => p[0]));
  return ok('MOVE completed');
}

export const copy: CommandDescriptor = { name: 'COPY', states: ['selected'], uidForm: true, holdsExpunges: true, run: (ctx) => transfer(ctx, false) };
export const move: CommandDescriptor = { name: 'MOVE', states: ['selected'], uidForm: true, holdsExpunges: true, run: (ctx) => transfer(ctx, true) };
