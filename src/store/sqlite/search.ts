/**
 * Substring search over decoded text with an FTS5 table using the trigram tokenizer
 * (case-insensitive, Unicode case folding). One search row per blob (copies share it); its
 * rowid is the blob row's id. Needles shorter than three characters cannot use trigrams, so
 * they fall back to a scan of the mailbox's search rows.
 */
import type { ParsedMessage } from '../../message/types.js';
import { SEARCH_COLUMNS, searchColumnFor, searchColumns } from '../search-columns.js';
import type { TextField } from '../store.js';
import type { Ctx } from './context.js';

export function insertSearchRow(ctx: Ctx, rowid: number, parsed: ParsedMessage): void {
  const c = searchColumns(parsed);
  ctx.stmt(`INSERT INTO search_fts (rowid, ${SEARCH_COLUMNS.join(', ')}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(rowid, c.subject, c.addr_from, c.addr_to, c.addr_cc, c.addr_bcc, c.headers, c.body);
}

export function deleteSearchRow(ctx: Ctx, rowid: number): void {
  ctx.stmt('DELETE FROM search_fts WHERE rowid = ?').run(rowid);
}

/** A header line "name: value" matches when the name is `name` and the value contains `needle`. */
function headerMatches(headersText: string, name: string, needle: string): boolean {
  const prefix = name.toLowerCase() + ': ';
  for (const line of headersText.split('\n')) {
    if (line.startsWith(prefix) && line.slice(prefix.length).toLowerCase().includes(needle)) return true;
  }
  return false;
}

export function searchText(ctx: Ctx, mailboxId: number, field: TextField, value: string): Set<number> {
  const col = searchColumnFor(field);
  const needle = value.toLowerCase();
  const result = new Set<number>();
  const chars = [...value].length;
  if (chars >= 3) {
    const match = (col ? `${col} : ` : '') + `"${value.replace(/"/g, '""')}"`;
    const sql = typeof field === 'object'
      ? `SELECT m.uid, f.headers AS text FROM messages m JOIN search_fts f ON f.rowid = m.blob_ref
         WHERE m.mailbox_id = ? AND m.blob_ref IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?) ORDER BY m.uid`
      : `SELECT m.uid, NULL AS text FROM messages m
         WHERE m.mailbox_id = ? AND m.blob_ref IN (SELECT rowid FROM search_fts WHERE search_fts MATCH ?) ORDER BY m.uid`;
    for (const r of ctx.stmt(sql).iterate(mailboxId, match) as IterableIterator<{ uid: number; text: string | null }>) {
      if (typeof field === 'object' && !headerMatches(r.text ?? '', field.header, needle)) continue;
      result.add(r.uid);
    }
    return result;
  }
  // Short needle: scan the mailbox's search rows (case-insensitive via toLowerCase).
  const expr = col ?? SEARCH_COLUMNS.join(` || char(10) || `);
  const sql = `SELECT m.uid, ${expr} AS text FROM messages m JOIN search_fts f ON f.rowid = m.blob_ref WHERE m.mailbox_id = ? ORDER BY m.uid`;
  for (const r of ctx.stmt(sql).iterate(mailboxId) as IterableIterator<{ uid: number; text: string | null }>) {
    const text = r.text ?? '';
    const ok = typeof field === 'object' ? headerMatches(text, field.header, needle) : text.toLowerCase().includes(needle);
    if (ok) result.add(r.uid);
  }
  return result;
}
