/**
 * Substring search over decoded text. One blob_search row per blob (copies share it), its text
 * lower-cased in JavaScript at ingest, so matching is a case-sensitive LIKE against a lower-cased
 * needle: the same case folding as the SQLite backend, whatever the database's locale. With
 * pg_trgm, a GIN index (gin_trgm_ops) serves LIKE '%needle%' for needles of three or more
 * characters; shorter needles, or a database without the extension, scan the mailbox's rows.
 * Either way PostgreSQL rechecks every candidate, so the index never changes the answer.
 */
import type { ParsedMessage } from '../../message/types.js';
import type { TextField } from '../store.js';
import type { Queryable } from './db.js';

const COLUMNS = ['subject', 'addr_from', 'addr_to', 'addr_cc', 'addr_bcc', 'headers', 'body'] as const;
type Column = (typeof COLUMNS)[number];

/** PostgreSQL text cannot hold NUL; line breaks inside a header value become spaces. */
function clean(s: string): string {
  return s.replace(/\u0000/g, '').replace(/[\r\n]+/g, ' ');
}

export function searchColumns(parsed: ParsedMessage): Record<Column, string> {
  const headers = parsed.search?.headers ?? [];
  const values = (name: string): string => headers.filter(([n]) => n === name).map(([, v]) => clean(v)).join('\n');
  return {
    subject: values('subject'), addr_from: values('from'), addr_to: values('to'), addr_cc: values('cc'), addr_bcc: values('bcc'),
    headers: headers.map(([n, v]) => `${n.toLowerCase()}: ${clean(v)}`).join('\n'),
    body: (parsed.search?.body ?? '').replace(/\u0000/g, ''),
  };
}

/** Inside the append transaction, for a new blob row. */
export async function insertSearchRow(c: Queryable, blobId: number, parsed: ParsedMessage): Promise<void> {
  const s = searchColumns(parsed);
  await c.query(
    `INSERT INTO blob_search (blob_id, ${COLUMNS.join(', ')}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [blobId, ...COLUMNS.map((col) => s[col].toLowerCase())]);
}

function columnFor(field: TextField): Column | null {
  if (typeof field === 'object') return 'headers';
  switch (field) {
    case 'body': return 'body';
    case 'subject': return 'subject';
    case 'from': return 'addr_from';
    case 'to': return 'addr_to';
    case 'cc': return 'addr_cc';
    case 'bcc': return 'addr_bcc';
    default: return null; // 'text': headers and body
  }
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
  const col = columnFor(field);
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
