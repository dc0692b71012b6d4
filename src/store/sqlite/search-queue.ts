/**
 * Deferred full-text indexing (schema v6). Writing a message's search row (FTS5, trigram) in the
 * append transaction cost more than the rest of the append together: each commit flushes a new
 * FTS5 segment. So an append only queues its new blob in `search_pending`, and the row is
 * written later, many per transaction (measured: 0.43 ms per row one per commit, 0.19 ms in
 * batches of 50). Likewise the garbage collector queues a dead blob's search row in
 * `search_dead` instead of deleting it under the expunge.
 *
 * Nothing is ever searched stale: searchText first drains the queue (drainSearchQueue), in its
 * own write transactions. The queue is durable, so a process that stops before draining leaves
 * the work to the next one. Blob ids are AUTOINCREMENT, never reused, so a dead row waiting for
 * deletion cannot be mistaken for a live blob's, and searches join `messages`, which no longer
 * names a dead blob.
 */
import type { ParsedMessage } from '../../message/types.js';
import type { Ctx } from './context.js';
import { deleteSearchRow, insertSearchRow } from './search.js';

/** Parsed messages this process queued, so the indexer need not re-read and parse the JSON. */
const MEMO_MAX = 4096;

/** Inside the append transaction: the new blob's search row is written by drainSearchQueue. */
export function queueSearchRow(ctx: Ctx, blobId: number, hash: string, parsed: ParsedMessage): void {
  ctx.stmt('INSERT OR IGNORE INTO search_pending (blob_id) VALUES (?)').run(blobId);
  // Keyed by id and checked by hash when used: a rolled-back append leaves an entry behind.
  if (ctx.pendingSearch.size < MEMO_MAX) ctx.pendingSearch.set(blobId, { hash, parsed });
}

/** Inside the garbage collector's transaction: the dead blob's search row goes later. */
export function queueSearchRowDeletion(ctx: Ctx, blobId: number): void {
  ctx.stmt('DELETE FROM search_pending WHERE blob_id = ?').run(blobId);
  ctx.stmt('INSERT OR IGNORE INTO search_dead (blob_id) VALUES (?)').run(blobId);
  ctx.pendingSearch.delete(blobId);
}

/** Whether anything waits (a cheap check: both tables are tiny or empty). */
export function searchQueueEmpty(ctx: Ctx): boolean {
  return !ctx.stmt('SELECT 1 FROM search_pending UNION ALL SELECT 1 FROM search_dead LIMIT 1').get();
}

/** Writes and deletes up to `max` queued search rows in one write transaction; how many it did. */
export function indexSearchQueue(ctx: Ctx, max: number): number {
  const done: number[] = [];
  const n = ctx.write(() => {
    const dead = ctx.stmt('SELECT blob_id FROM search_dead ORDER BY blob_id LIMIT ?').pluck().all(max) as number[];
    for (const id of dead) {
      deleteSearchRow(ctx, id);
      ctx.stmt('DELETE FROM search_dead WHERE blob_id = ?').run(id);
    }
    const rows = ctx.stmt(`SELECT p.blob_id AS id, b.hash AS hash FROM search_pending p LEFT JOIN blobs b ON b.id = p.blob_id
      ORDER BY p.blob_id LIMIT ?`).all(Math.max(0, max - dead.length)) as Array<{ id: number; hash: string | null }>;
    for (const r of rows) {
      ctx.stmt('DELETE FROM search_pending WHERE blob_id = ?').run(r.id);
      done.push(r.id);
      if (r.hash === null) continue; // collected meanwhile
      const memo = ctx.pendingSearch.get(r.id);
      const parsed = memo && memo.hash === r.hash ? memo.parsed : parsedOf(ctx, r.id);
      insertSearchRow(ctx, r.id, parsed);
    }
    return dead.length + rows.length;
  });
  for (const id of done) ctx.pendingSearch.delete(id);
  return n;
}

/** Drains the whole queue (before a search, at close): batches of 500. */
export function drainSearchQueue(ctx: Ctx): void {
  while (!searchQueueEmpty(ctx) && indexSearchQueue(ctx, 500) > 0) { /* next batch */ }
}

function parsedOf(ctx: Ctx, blobId: number): ParsedMessage {
  return JSON.parse(ctx.stmt('SELECT parsed FROM blobs WHERE id = ?').pluck().get(blobId) as string) as ParsedMessage;
}
