/**
 * Messages on PostgreSQL: append, flags, copy/move, expunge, changes, \Recent.
 *
 * Concurrency: every write to a mailbox's messages first locks the mailbox row (SELECT ... FOR
 * UPDATE), so UID and MODSEQ allocation is serialised per mailbox across every node, and a
 * reader who sees highest_modseq = H knows every change up to H has committed. Multi-row locks
 * are taken in id order (mailboxes first, then blobs) so writers on different nodes cannot
 * deadlock; the transaction helper retries if PostgreSQL still reports one.
 * One operation (one STORE, one COPY, one EXPUNGE) takes one new MODSEQ for all it touches.
 */
import type pg from 'pg';
import { MailError } from '../../core/errors.js';
import type { ParsedMessage } from '../../message/types.js';
import { applyFlagOp, hasFlag, normalizeFlags, sameFlags } from '../names.js';
import type { AppendResult, Changes, CopyResult, FlagOp, FlagRecord, MessageRecord, StoreFlagsResult } from '../store.js';
import { transaction, type Queryable } from './db.js';
import { insertSearchRow } from './search.js';
import { HASH_RE } from './blobs.js';
import type { ParsedCache } from '../parsed-cache.js';

const MAX_UID = 0xffffffff;

interface MailboxState {
  id: number;
  account_id: number;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
}

interface RecordRow {
  id: number;
  uid: number;
  modseq: number;
  flags: string[];
  internal_date: Date;
  size: number;
  blob_id: number;
  seen: boolean;
  hash: string;
}

/** No JOIN on blobs: the hash is in messages (schema v3); null only for rows a pre-v3 node wrote. */
const RECORD_SELECT = `SELECT m.id, m.uid, m.modseq, m.flags, m.internal_date, m.size, m.blob_id, m.seen,
  COALESCE(m.blob_hash, (SELECT b.hash FROM blobs b WHERE b.id = m.blob_id)) AS hash
  FROM messages m`;

function toRecord(r: RecordRow): MessageRecord {
  return { uid: r.uid, modseq: r.modseq, flags: r.flags, internalDate: r.internal_date, size: r.size, blobId: r.hash };
}

function validUids(uids: readonly number[]): number[] {
  return [...new Set(uids)].filter((u) => Number.isSafeInteger(u) && u > 0 && u <= MAX_UID).sort((a, b) => a - b);
}

/** Locks mailbox rows (in id order) for the rest of the transaction. */
async function lockMailboxes(c: Queryable, ids: number[]): Promise<Map<number, MailboxState>> {
  const wanted = [...new Set(ids)].filter((id) => Number.isSafeInteger(id));
  const r = await c.query<MailboxState>(
    'SELECT id, account_id, uid_validity, uid_next, highest_modseq FROM mailboxes WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [wanted]);
  return new Map(r.rows.map((row) => [row.id, row]));
}

async function lockMailbox(c: Queryable, id: number): Promise<MailboxState> {
  const mb = (await lockMailboxes(c, [id])).get(id);
  if (!mb) throw new MailError('NONEXISTENT', 'no such mailbox');
  return mb;
}

/** Adds to the counters and moves uid_next / highest_modseq (mailbox row already locked). */
async function bump(c: Queryable, mailboxId: number, d: { count: number; unseen: number; size: number; uidNext?: number; modseq: number }): Promise<void> {
  await c.query(`UPDATE mailboxes SET message_count = message_count + $1, unseen_count = unseen_count + $2, total_size = total_size + $3,
    uid_next = greatest(uid_next, $4), highest_modseq = greatest(highest_modseq, $5) WHERE id = $6`,
  [d.count, d.unseen, d.size, d.uidNext ?? 0, d.modseq, mailboxId]);
}

/** Adds `delta` references to each blob (once per occurrence in ids), locking the rows in id order. */
async function addRefs(c: Queryable, blobIds: number[], delta: 1 | -1): Promise<void> {
  if (blobIds.length === 0) return;
  await c.query('SELECT id FROM blobs WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE', [blobIds]);
  await c.query(`UPDATE blobs b SET refs = b.refs + x.n * $2 FROM
    (SELECT id, count(*)::int AS n FROM unnest($1::bigint[]) AS u(id) GROUP BY id) x WHERE b.id = x.id`, [blobIds, delta]);
  if (delta < 0) await c.query('DELETE FROM blobs WHERE id = ANY($1::bigint[]) AND refs <= 0', [blobIds]);
}

/**
 * Takes a reference on the blob, creating it (with its search row) when new. A blob already
 * stored costs one short UPDATE: the bytes are sent only for content the database has not seen.
 */
async function refBlob(c: Queryable, hash: string, raw: Buffer, parsed: ParsedMessage): Promise<number> {
  const hit = await c.query<{ id: number }>('UPDATE blobs SET refs = refs + 1 WHERE hash = $1 RETURNING id', [hash]);
  if (hit.rows[0]) return hit.rows[0].id;
  // Another node may insert the same content at the same moment: ON CONFLICT takes its row.
  const ins = await c.query<{ id: number; inserted: boolean }>(
    `INSERT INTO blobs (hash, size, refs, parsed, data) VALUES ($1, $2, 1, $3, $4)
     ON CONFLICT (hash) DO UPDATE SET refs = blobs.refs + 1 RETURNING id, (xmax = 0) AS inserted`,
    [hash, raw.length, JSON.stringify(parsed), raw]);
  const row = ins.rows[0]!;
  if (row.inserted) await insertSearchRow(c, row.id, parsed);
  return row.id;
}

export function appendMessage(
  pool: pg.Pool, mailboxId: number, hash: string, raw: Buffer, parsed: ParsedMessage, flags: string[], internalDate: Date,
): Promise<AppendResult> {
  const f = normalizeFlags(flags);
  if (!(internalDate instanceof Date) || !Number.isFinite(internalDate.getTime())) throw new MailError('BADINPUT', 'invalid internal date');
  return transaction(pool, async (c) => {
    const mb = await lockMailbox(c, mailboxId);
    if (mb.uid_next > MAX_UID) throw new MailError('LIMIT', 'the mailbox has used up its UIDs');
    const blobId = await refBlob(c, hash, raw, parsed);
    const uid = mb.uid_next;
    const modseq = mb.highest_modseq + 1;
    const seen = hasFlag(f, '\\Seen');
    await c.query(`INSERT INTO messages (mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, blob_hash)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [mailboxId, uid, modseq, f, seen, hasFlag(f, '\\Deleted'), internalDate, raw.length, blobId, hash]);
    await bump(c, mailboxId, { count: 1, unseen: seen ? 0 : 1, size: raw.length, uidNext: uid + 1, modseq });
    return { uid, modseq, uidValidity: mb.uid_validity };
  });
}

async function mailboxExists(q: Queryable, mailboxId: number): Promise<void> {
  if (!Number.isSafeInteger(mailboxId) || (await q.query('SELECT 1 FROM mailboxes WHERE id = $1', [mailboxId])).rowCount === 0) {
    throw new MailError('NONEXISTENT', 'no such mailbox');
  }
}

export async function listUids(q: Queryable, mailboxId: number): Promise<Uint32Array> {
  await mailboxExists(q, mailboxId);
  const r = await q.query<{ uid: number }>('SELECT uid FROM messages WHERE mailbox_id = $1 ORDER BY uid', [mailboxId]);
  return Uint32Array.from(r.rows, (row) => row.uid);
}

/** One page of records with from <= uid <= to, ascending (keyset pagination: the caller passes last uid + 1). */
export async function fetchPage(q: Queryable, mailboxId: number, from: number, to: number, limit: number): Promise<MessageRecord[]> {
  const r = await q.query<RecordRow>(`${RECORD_SELECT} WHERE m.mailbox_id = $1 AND m.uid >= $2 AND m.uid <= $3 ORDER BY m.uid LIMIT $4`,
    [mailboxId, from, to, limit]);
  return r.rows.map(toRecord);
}

/** One page of flag records with from <= uid <= to, ascending: no hash, date or size. */
export async function fetchFlagPage(q: Queryable, mailboxId: number, from: number, to: number, limit: number): Promise<FlagRecord[]> {
  const r = await q.query<FlagRecord>('SELECT uid, modseq, flags FROM messages WHERE mailbox_id = $1 AND uid >= $2 AND uid <= $3 ORDER BY uid LIMIT $4',
    [mailboxId, from, to, limit]);
  return r.rows.map((x) => ({ uid: x.uid, modseq: x.modseq, flags: x.flags }));
}

export async function getParsed(q: Queryable, cache: ParsedCache, mailboxId: number, uid: number): Promise<ParsedMessage | null> {
  if (!Number.isSafeInteger(uid) || uid <= 0 || uid > MAX_UID) return null;
  // One round trip, as before the cache: the hash is only known from this row.
  const r = await q.query<{ hash: string; parsed: string }>(
    'SELECT b.hash, b.parsed FROM messages m JOIN blobs b ON b.id = m.blob_id WHERE m.mailbox_id = $1 AND m.uid = $2', [mailboxId, uid]);
  const row = r.rows[0];
  return row ? cache.fromStored(row.hash, row.parsed) : null;
}

/** By content hash; recent ones from the process's cache (blobs never change). */
export async function getParsedBlob(q: Queryable, cache: ParsedCache, hash: string): Promise<ParsedMessage | null> {
  const hit = cache.get(hash);
  if (hit) return hit;
  if (!HASH_RE.test(hash)) return null;
  const r = await q.query<{ parsed: string }>('SELECT parsed FROM blobs WHERE hash = $1', [hash]);
  return r.rows[0] ? cache.fromStored(hash, r.rows[0].parsed) : null;
}

async function rowsForUids(c: Queryable, mailboxId: number, uids: readonly number[]): Promise<RecordRow[]> {
  return (await c.query<RecordRow>(`${RECORD_SELECT} WHERE m.mailbox_id = $1 AND m.uid = ANY($2::bigint[]) ORDER BY m.uid`,
    [mailboxId, validUids(uids)])).rows;
}

export function storeFlags(
  pool: pg.Pool, mailboxId: number, uids: number[], op: FlagOp, flags: string[], unchangedSince?: number,
): Promise<StoreFlagsResult> {
  const f = normalizeFlags(flags);
  return transaction(pool, async (c) => {
    const mb = await lockMailbox(c, mailboxId);
    const modseq = mb.highest_modseq + 1;
    const updated: MessageRecord[] = [];
    const modified: number[] = [];
    const changes: Array<{ id: number; f: string[]; s: boolean; d: boolean }> = [];
    let unseenDelta = 0;
    for (const r of await rowsForUids(c, mailboxId, uids)) {
      if (unchangedSince !== undefined && r.modseq > unchangedSince) {
        modified.push(r.uid);
        continue;
      }
      const next = applyFlagOp(r.flags, op, f);
      if (sameFlags(r.flags, next)) {
        if (op === 'set') updated.push(toRecord(r));
        continue;
      }
      const seen = hasFlag(next, '\\Seen');
      unseenDelta += (seen ? 0 : 1) - (r.seen ? 0 : 1);
      changes.push({ id: r.id, f: next, s: seen, d: hasFlag(next, '\\Deleted') });
      updated.push({ ...toRecord(r), flags: next, modseq });
    }
    if (changes.length > 0) {
      // One statement for the whole STORE, however many messages it touches.
      await c.query(`UPDATE messages m SET flags = ARRAY(SELECT jsonb_array_elements_text(u.f)), seen = u.s, deleted = u.d, modseq = $2
        FROM jsonb_to_recordset($1::jsonb) AS u(id bigint, f jsonb, s boolean, d boolean) WHERE m.id = u.id`,
      [JSON.stringify(changes), modseq]);
      await bump(c, mailboxId, { count: 0, unseen: unseenDelta, size: 0, modseq });
    }
    return { updated, modified };
  });
}

/** Copies (and for move, expunges at the source) in one transaction. */
export function copyMessages(pool: pg.Pool, src: number, uids: number[], dst: number, move: boolean): Promise<CopyResult> {
  return transaction(pool, async (c) => {
    const boxes = await lockMailboxes(c, [src, dst]);
    const s = boxes.get(src);
    const d = boxes.get(dst);
    if (!s || !d) throw new MailError('NONEXISTENT', 'no such mailbox');
    if (s.account_id !== d.account_id) throw new MailError('NOPERM', 'cannot copy between accounts');
    if (move && src === dst) throw new MailError('CANNOT', 'cannot move messages into the mailbox they are in');
    const rows = await rowsForUids(c, src, uids);
    const map: Array<[number, number]> = [];
    if (rows.length === 0) return { uidValidity: d.uid_validity, map };
    const first = d.uid_next;
    if (first + rows.length - 1 > MAX_UID) throw new MailError('LIMIT', 'the mailbox has used up its UIDs');
    const modseq = d.highest_modseq + 1;
    await c.query(`INSERT INTO messages (mailbox_id, uid, modseq, flags, seen, deleted, internal_date, size, blob_id, blob_hash)
      SELECT $1, $2 + o.ord - 1, $3, m.flags, m.seen, m.deleted, m.internal_date, m.size, m.blob_id, m.blob_hash
      FROM unnest($4::bigint[]) WITH ORDINALITY AS o(id, ord) JOIN messages m ON m.id = o.id`,
    [dst, first, modseq, rows.map((r) => r.id)]);
    await addRefs(c, rows.map((r) => r.blob_id), 1);
    let unseen = 0;
    let size = 0;
    rows.forEach((r, i) => {
      map.push([r.uid, first + i]);
      unseen += r.seen ? 0 : 1;
      size += r.size;
    });
    await bump(c, dst, { count: rows.length, unseen, size, uidNext: first + rows.length, modseq });
    if (move) await removeRows(c, src, rows, s.highest_modseq + 1);
    return { uidValidity: d.uid_validity, map };
  });
}

/** Inside a transaction (mailbox locked): deletes message rows, leaves tombstones, drops blob references. */
async function removeRows(c: Queryable, mailboxId: number, rows: RecordRow[], modseq: number): Promise<void> {
  await c.query('DELETE FROM messages WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
  await c.query(`INSERT INTO tombstones (mailbox_id, uid, modseq) SELECT $1, u, $3 FROM unnest($2::bigint[]) AS u
    ON CONFLICT (mailbox_id, uid) DO UPDATE SET modseq = excluded.modseq`, [mailboxId, rows.map((r) => r.uid), modseq]);
  await addRefs(c, rows.map((r) => r.blob_id), -1);
  const unseen = rows.reduce((n, r) => n + (r.seen ? 0 : 1), 0);
  const size = rows.reduce((n, r) => n + r.size, 0);
  await bump(c, mailboxId, { count: -rows.length, unseen: -unseen, size: -size, modseq });
}

export function expunge(pool: pg.Pool, mailboxId: number, uids?: number[]): Promise<number[]> {
  return transaction(pool, async (c) => {
    const mb = await lockMailbox(c, mailboxId);
    const rows = uids
      ? (await c.query<RecordRow>(`${RECORD_SELECT} WHERE m.mailbox_id = $1 AND m.deleted AND m.uid = ANY($2::bigint[]) ORDER BY m.uid`,
        [mailboxId, validUids(uids)])).rows
      : (await c.query<RecordRow>(`${RECORD_SELECT} WHERE m.mailbox_id = $1 AND m.deleted ORDER BY m.uid`, [mailboxId])).rows;
    if (rows.length === 0) return [];
    await removeRows(c, mailboxId, rows, mb.highest_modseq + 1);
    return rows.map((r) => r.uid);
  });
}

/** Inside a transaction: removes the mailbox with its messages and tombstones (row locked by the caller). */
async function deleteMailboxRows(c: Queryable, mailboxId: number): Promise<void> {
  const blobIds = (await c.query<{ blob_id: number }>('SELECT blob_id FROM messages WHERE mailbox_id = $1', [mailboxId])).rows.map((r) => r.blob_id);
  await c.query('DELETE FROM messages WHERE mailbox_id = $1', [mailboxId]);
  await addRefs(c, blobIds, -1);
  await c.query('DELETE FROM tombstones WHERE mailbox_id = $1', [mailboxId]);
  await c.query('DELETE FROM mailboxes WHERE id = $1', [mailboxId]);
}

export function deleteMailbox(pool: pg.Pool, mailboxId: number): Promise<void> {
  return transaction(pool, async (c) => {
    await lockMailbox(c, mailboxId);
    await deleteMailboxRows(c, mailboxId);
  });
}

export function deleteAccount(pool: pg.Pool, accountId: number): Promise<void> {
  return transaction(pool, async (c) => {
    if (!Number.isSafeInteger(accountId) || (await c.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [accountId])).rowCount === 0) {
      throw new MailError('NONEXISTENT', 'no such account');
    }
    const ids = (await c.query<{ id: number }>('SELECT id FROM mailboxes WHERE account_id = $1 ORDER BY id FOR UPDATE', [accountId])).rows;
    for (const { id } of ids) await deleteMailboxRows(c, id);
    await c.query('DELETE FROM subscriptions WHERE account_id = $1', [accountId]);
    await c.query('DELETE FROM accounts WHERE id = $1', [accountId]);
  });
}

export async function changesSince(q: Queryable, mailboxId: number, modseq: number): Promise<Changes> {
  // highest_modseq first: every change up to it has committed (it moves under the mailbox lock),
  // so the lists below hold at least those; a later change shows up again on the next call.
  const mb = (await q.query<{ highest_modseq: number }>('SELECT highest_modseq FROM mailboxes WHERE id = $1',
    [Number.isSafeInteger(mailboxId) ? mailboxId : -1])).rows[0];
  if (!mb) throw new MailError('NONEXISTENT', 'no such mailbox');
  const since = Number.isFinite(modseq) ? Math.max(0, Math.floor(modseq)) : 0;
  const changed = (await q.query<RecordRow>(`${RECORD_SELECT} WHERE m.mailbox_id = $1 AND m.modseq > $2 ORDER BY m.uid`, [mailboxId, since])).rows;
  const expunged = (await q.query<{ uid: number }>('SELECT uid FROM tombstones WHERE mailbox_id = $1 AND modseq > $2 ORDER BY uid', [mailboxId, since])).rows;
  return { changed: changed.map(toRecord), expunged: expunged.map((r) => r.uid), highestModseq: mb.highest_modseq };
}

export function claimRecent(pool: pg.Pool, mailboxId: number): Promise<number> {
  return transaction(pool, async (c) => {
    const r = (await c.query<{ first_recent_uid: number; uid_next: number }>(
      'SELECT first_recent_uid, uid_next FROM mailboxes WHERE id = $1 FOR UPDATE', [Number.isSafeInteger(mailboxId) ? mailboxId : -1])).rows[0];
    if (!r) throw new MailError('NONEXISTENT', 'no such mailbox');
    await c.query('UPDATE mailboxes SET first_recent_uid = $1 WHERE id = $2', [r.uid_next, mailboxId]);
    return r.first_recent_uid;
  });
}
