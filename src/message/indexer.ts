/**
 * The MIME indexer: parses a message once, at ingest, into everything IMAP and POP3 serve
 * (ENVELOPE, BODYSTRUCTURE with byte offsets, search text). Never throws and never refuses a
 * message for its structure; see limits.ts for the bounds on work and memory.
 *
 * Line counts (BodyPart.lines) are the number of LF bytes in the body, as Dovecot counts: a
 * last line without a line end is not counted, and the line end before a multipart boundary
 * belongs to the boundary.
 */
import { parseDate } from './date.js';
import { buildEnvelope } from './envelope.js';
import { SearchText, searchHeaders } from './search-text.js';
import { buildStructure } from './structure.js';
import type { ParsedMessage } from './types.js';

export function indexMessage(raw: Buffer): ParsedMessage {
  const problems: string[] = [];
  const search = new SearchText();
  try {
    const { root, fields } = buildStructure({ buf: raw, problems, search });
    const envelope = buildEnvelope(raw, fields);
    if (search.truncated) problems.push('search text truncated at the limit');
    return {
      size: raw.length,
      envelope,
      root,
      sentDate: parseDate(envelope.date),
      search: { headers: searchHeaders(raw, fields), body: search.text() },
      problems,
    };
  } catch (err) {
    // A bug must not make a message undeliverable: describe it as one opaque text part.
    problems.push(`indexer error: ${err instanceof Error ? err.message : String(err)}`);
    return {
      size: raw.length,
      envelope: { date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null },
      sentDate: null,
      problems,
      search: { headers: [], body: '' },
      root: {
        type: 'text', subtype: 'plain', params: [], id: null, description: null, encoding: '7bit',
        size: raw.length, lines: 0, md5: null, disposition: null, language: null, location: null,
        headerStart: 0, bodyStart: 0, bodyEnd: raw.length,
      },
    };
  }
}
