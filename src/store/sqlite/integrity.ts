/** The SQLite backend's integrity check: database pages, references, counters and blob files. */
import { hashBlob } from './blobs.js';
import type { Ctx } from './context.js';

export function checkIntegrity(ctx: Ctx): string[] {
  const problems: string[] = [];
  const ic = ctx.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  for (const r of ic) if (r.integrity_check !== 'ok') problems.push(`sqlite integrity_check: ${r.integrity_check}`);
  const fk = ctx.db.pragma('foreign_key_check') as Array<{ table: string; rowid: number; parent: string }>;
  for (const r of fk) problems.push(`foreign key: ${r.table} row ${r.rowid} references a missing ${r.parent}`);
  const badRefs = ctx.db.prepare(`SELECT b.hash, b.refs, (SELECT count(*) FROM messages m WHERE m.blob_ref = b.id) AS n
    FROM blobs b WHERE b.refs != (SELECT count(*) FROM messages m WHERE m.blob_ref = b.id)`).all() as Array<{ hash: string; refs: number; n: number }>;
  for (const r of badRefs) problems.push(`blob ${r.hash} counts ${r.refs} references but ${r.n} messages use it`);
  const counters = ctx.db.prepare(`SELECT mb.id, mb.name, mb.message_count, mb.unseen_count, mb.total_size, mb.uid_next, mb.highest_modseq,
      count(m.id) AS n, coalesce(sum(1 - m.seen), 0) AS unseen, coalesce(sum(m.size), 0) AS size,
      coalesce(max(m.uid), 0) AS max_uid, coalesce(max(m.modseq), 0) AS max_modseq
    FROM mailboxes mb LEFT JOIN messages m ON m.mailbox_id = mb.id GROUP BY mb.id`).all() as Array<Record<string, number | string>>;
  for (const c of counters) {
    const where = `mailbox ${String(c.name)} (#${String(c.id)})`;
    if (c.message_count !== c.n) problems.push(`${where}: count ${String(c.message_count)} but ${String(c.n)} messages`);
    if (c.unseen_count !== c.unseen) problems.push(`${where}: unseen ${String(c.unseen_count)} but ${String(c.unseen)} unseen messages`);
    if (c.total_size !== c.size) problems.push(`${where}: size ${String(c.total_size)} but messages sum to ${String(c.size)}`);
    if ((c.uid_next as number) <= (c.max_uid as number)) problems.push(`${where}: uidnext ${String(c.uid_next)} not above max uid ${String(c.max_uid)}`);
    if ((c.highest_modseq as number) < (c.max_modseq as number)) problems.push(`${where}: highestmodseq below a message modseq`);
  }
  const missingSearch = ctx.db.prepare(`SELECT count(*) FROM blobs b WHERE b.refs > 0 AND NOT EXISTS (SELECT 1 FROM search_fts f WHERE f.rowid = b.id)
    AND NOT EXISTS (SELECT 1 FROM search_pending p WHERE p.blob_id = b.id)`).pluck().get() as number;
  if (missingSearch > 0) problems.push(`${missingSearch} messages have no search index row`);
  for (const b of ctx.db.prepare('SELECT hash, size, data FROM blobs WHERE refs > 0').iterate() as IterableIterator<{ hash: string; size: number; data: Buffer | null }>) {
    if (b.data) {
      if (b.data.length !== b.size) problems.push(`inline blob ${b.hash} has ${b.data.length} bytes, expected ${b.size}`);
      else if (hashBlob(b.data) !== b.hash) problems.push(`inline blob ${b.hash} content does not match its hash`);
      continue;
    }
    const p = ctx.blobs.verifySync(b.hash, b.size);
    if (p) problems.push(p);
  }
  return problems;
}
