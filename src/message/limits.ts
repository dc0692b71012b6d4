/**
 * Hard limits of the MIME indexer. A message is always stored byte for byte; these limits only
 * bound how much of it the indexer describes, so that no message can exhaust memory or time.
 * What lies beyond a limit stays in the raw bytes (BODY[] still serves it) and a note is added
 * to ParsedMessage.problems.
 *
 * - MAX_NESTING_DEPTH: multipart and message/rfc822 levels that are parsed. A part at this
 *   depth whose type would need further parsing is described as an opaque text/plain leaf
 *   (its other header fields kept). The root is depth 0.
 * - MAX_PARTS: body parts described in one message (all levels together). When reached, the
 *   remaining children of a multipart are left out, and multiparts/messages not yet expanded
 *   become opaque leaves.
 * - MAX_HEADER_FIELDS: header fields parsed per header block. Further fields are still
 *   scanned to find the end of the header, but are not returned by parseHeaderBlock, do not
 *   affect ENVELOPE/BODYSTRUCTURE and are not searchable.
 * - MAX_HEADER_FIELD_BYTES: bytes of one header field value that are interpreted (ENVELOPE
 *   strings, Content-* parameters, search text). Longer values are cut at this size.
 * - MAX_SEARCH_TEXT: characters of decoded body text captured for SEARCH (all parts together).
 * - MAX_SEARCH_HEADER_CHARS: characters of decoded header text captured for SEARCH.
 */
export const MAX_NESTING_DEPTH = 64;
export const MAX_PARTS = 10_000;
export const MAX_HEADER_FIELDS = 10_000;
export const MAX_HEADER_FIELD_BYTES = 64 * 1024;
export const MAX_SEARCH_TEXT = 1024 * 1024;
export const MAX_SEARCH_HEADER_CHARS = 1024 * 1024;
