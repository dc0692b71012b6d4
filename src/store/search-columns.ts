/**
 * How a message's decoded search text is split into the columns every backend indexes, and
 * which column an IMAP SEARCH field looks in. Backend-independent: each backend stores these
 * columns its own way (SQLite FTS5 trigram, PostgreSQL pg_trgm).
 */
import type { ParsedMessage } from '../message/types.js';
import type { TextField } from './store.js';

export const SEARCH_COLUMNS = ['subject', 'addr_from', 'addr_to', 'addr_cc', 'addr_bcc', 'headers', 'body'] as const;
export type SearchColumn = (typeof SEARCH_COLUMNS)[number];

/** NUL cannot be stored in every database; line breaks inside a header value become spaces. */
function clean(s: string): string {
  return s.replace(/\u0000/g, '').replace(/[\r\n]+/g, ' ');
}

export function searchColumns(parsed: ParsedMessage): Record<SearchColumn, string> {
  const headers = parsed.search?.headers ?? [];
  const values = (name: string): string => headers.filter(([n]) => n === name).map(([, v]) => clean(v)).join('\n');
  return {
    subject: values('subject'), addr_from: values('from'), addr_to: values('to'), addr_cc: values('cc'), addr_bcc: values('bcc'),
    headers: headers.map(([n, v]) => `${n.toLowerCase()}: ${clean(v)}`).join('\n'),
    body: (parsed.search?.body ?? '').replace(/\u0000/g, ''),
  };
}

/** The column a SEARCH field matches in; null for TEXT (headers and body). */
export function searchColumnFor(field: TextField): SearchColumn | null {
  if (typeof field === 'object') return 'headers';
  switch (field) {
    case 'body': return 'body';
    case 'subject': return 'subject';
    case 'from': return 'addr_from';
    case 'to': return 'addr_to';
    case 'cc': return 'addr_cc';
    case 'bcc': return 'addr_bcc';
    default: return null; // 'text'
  }
}
