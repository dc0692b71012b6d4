/**
 * The PostgreSQL backend's integrity check: references, counters, tombstones, search rows and the
 * stored bytes (length and SHA-256, computed inside the database so no blob crosses the wire).
 * Foreign keys are enforced by PostgreSQL itself.
 */
import type { Queryable } from './db.js';

export async function checkIntegrity(q: Queryable): Promise<string[]> {
  const problems: string[] = [];
  const badRefs = await q.query<{ hash: string; refs: number; n: number }>(
    `SELECT b.hash, b.refs, count(m.id)::bigint AS n FROM blobs b LEFT JOIN messages m ON m.blob_id = b.id
     GROUP BY b.id HAVING b.refs <> count(m.id)`);
  for (const r of badRefs.rows) problems.push(`blob ${r.hash} counts ${r.refs} references but ${r.n} messages use it`);
  const counters = await q.query<Record<string, number | string>>(
    `SELECT mb.id, mb.name, mb.message_count, mb.unseen_count, mb.total_size, mb.uid_next, mb.highest_modseq,
       count(m.id)::bigint AS n, count(m.id) FILTER (WHERE NOT m.seen)::bigint AS unseen, coalesce(sum(m.size), 0)::bigint AS size,
       coalesce(max(m.uid), 0) AS max_uid, coalesce(max(m.modseq), 0) AS max_modseq,
       (SELECT coalesce(max(t.uid), 0) FROM tombstones t WHERE t.mailbox_id = mb.id) AS max_tomb_uid,
       (SELECT coalesce(max(t.modseq), 0) FROM tombstones t WHERE t.mailbox_id = mb.id) AS max_tomb_modseq
     FROM mailboxes mb LEFT JOIN messages m ON m.mailbox_id = mb.id GROUP BY mb.id`);
  for (const c of counters.rows) {
    const where = `mailbox ${String(c.name)} (#${String(c.id)})`;
    if (c.message_count !== c.n) problems.push(`${where}: count ${String(c.message_count)} but ${String(c.n)} messages`);
    if (c.unseen_count !== c.unseen) problems.push(`${where}: unseen ${String(c.unseen_count)} but ${String(c.unseen)} unseen messages`);
    if (c.total_size !== c.size) problems.push(`${where}: size ${String(c.total_size)} but messages sum to ${String(c.size)}`);
    if (Number(c.uid_next) <= Math.max(Number(c.max_uid), Number(c.max_tomb_uid))) {
      problems.push(`${where}: uidnext ${String(c.uid_next)} not above every UID handed out`);
    }
    if (Number(c.highest_modseq) < Math.max(Number(c.max_modseq), Number(c.max_tomb_modseq))) {
      problems.push(`${where}: highestmodseq below a message or expunge modseq`);
    }
  }
  const orphans = await q.query<{ n: number }>('SELECT count(*)::bigint AS n FROM tombstones t WHERE NOT EXISTS (SELECT 1 FROM mailboxes mb WHERE mb.id = t.mailbox_id)');
  if (orphans.rows[0]!.n > 0) problems.push(`${orphans.rows[0]!.n} tombstones belong to no mailbox`);
  const missingSearch = await q.query<{ n: number }>('SELECT count(*)::bigint AS n FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM blob_search s WHERE s.blob_id = b.id)');
  if (missingSearch.rows[0]!.n > 0) problems.push(`${missingSearch.rows[0]!.n} messages have no search index row`);
  const bytes = await q.query<{ hash: string; size: number; len: number; digest: string }>(
    `SELECT hash, size, length(data)::bigint AS len, encode(sha256(data), 'hex') AS digest FROM blobs
     WHERE length(data) <> size OR encode(sha256(data), 'hex') <> hash`);
  for (const b of bytes.rows) {
    if (b.len !== b.size) problems.push(`blob ${b.hash} has ${b.len} bytes, expected ${b.size}`);
    else problems.push(`blob ${b.hash} content hashes to ${b.digest}`);
  }
  return problems;
}
