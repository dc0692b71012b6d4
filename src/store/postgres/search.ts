/**
 * Substring search over decoded text. One blob_search row per blob (copies share it), its text
 * lower-cased in JavaScript at ingest, so matching is a case-sensitive LIKE against a lower-cased
 * needle: the same case folding as the SQLite backend, whatever the database's locale. With
 * pg_trgm, a GIN index (gin_trgm_ops) serves LIKE '%needle%' for needles of three or more
 * characters; shorter needles, or a database without the extension, scan the mailbox's rows.
 * Either way PostgreSQL rechecks every candidate, so the index never changes the answer.
 */
import type { ParsedMessage } from '../../message/types.js';
import { SEARCH_COLUMNS, searchColumnFor, searchColumns } from '../search-columns.js';
import type { TextField } from '../store.js';
import type { Queryable } from './db.js';

/** Inside the append transaction, for a new blob row. */
export async function insertSearchRow(c: Queryable, blobId: number, parsed: ParsedMessage): Promise<void> {
  const s = searchColumns(parsed);
  await c.query(
    `INSERT INTO blob_search (blob_id, ${SEARCH_COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [blobId, ...SEARCH_COLUMNS.map((col) => s[col].toLowerCase())]);
}

function likePattern(needle: string): string {
  return '%' + needle.replace(/[\\%_]/g, (ch) => '\\' + ch) + '%';
}

/** A header line "name: value" matches when the name is `name` and the value contains `needle` (all lower-case). */
function headerMatches(headersText: string, name: string, needle: string): boolean {
  const prefix = name.toLowerCase() + ': ';
  for (const line of headersText.split('\n')) {
    if (line.startsWith(prefix) && line.slice(prefix.length).includes(needle)) return true;
  }
  return false;
}

export async function searchText(q: Queryable, mailboxId: number, field: TextField, value: string): Promise<Set<number>> {
  const needle = String(value).replace(/\u0000/g, '').toLowerCase();
  const col = searchColumnFor(field);
  const where = col ? `s.${col} LIKE $2` : '(s.headers LIKE $2 OR s.body LIKE $2)';
  const result = new Set<number>();
  if (typeof field === 'object') {
    const r = await q.query<{ uid: number; headers: string }>(
      `SELECT m.uid, s.headers FROM messages m JOIN blob_search s ON s.blob_id = m.blob_id
       WHERE m.mailbox_id = $1 AND ${where} ORDER BY m.uid`, [mailboxId, likePattern(needle)]);
    for (const row of r.rows) if (headerMatches(row.headers, field.header, needle)) result.add(row.uid);
    return result;
  }
  const r = await q.query<{ uid: number }>(
    `SELECT m.uid FROM messages m JOIN blob_search s ON s.blob_id = m.blob_id
     WHERE m.mailbox_id = $1 AND ${where} ORDER BY m.uid`, [mailboxId, likePattern(needle)]);
  for (const row of r.rows) result.add(row.uid);
  return result;
}
