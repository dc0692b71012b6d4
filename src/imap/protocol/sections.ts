/**
 * BODY[section] resolution against the indexer's part tree: which byte range of the raw
 * message a section is, and HEADER.FIELDS filtering by copying the matching raw fields.
 */
import type { BodyPart, ParsedMessage } from '../../message/types.js';
import type { BodySection } from './fetch-items.js';

export type SectionSource =
  | { kind: 'range'; start: number; end: number }
  | { kind: 'fields'; start: number; end: number; fields: string[]; not: boolean }
  | { kind: 'empty' };

function isMessagePart(p: BodyPart): boolean {
  return p.message !== undefined;
}

/** The part a section path names, or null. */
export function findPart(root: BodyPart, path: number[]): BodyPart | null {
  let node = root;
  for (let depth = 0; depth < path.length; depth++) {
    const n = path[depth];
    let container: BodyPart = node;
    if (depth > 0 && isMessagePart(node)) container = node.message!;
    else if (depth === 0) container = root;
    if (container.parts && container.parts.length) {
      const child = container.parts[n - 1];
      if (!child) return null;
      node = child;
    } else if (n === 1) {
      // The body of a non-multipart message is part 1 of it.
      node = container;
    } else {
      return null;
    }
  }
  return node;
}

export function resolveSection(msg: ParsedMessage, section: BodySection): SectionSource {
  const { path, spec } = section;
  if (!path.length) {
    const root = msg.root;
    switch (spec) {
      case '': return { kind: 'range', start: 0, end: msg.size };
      case 'HEADER': return { kind: 'range', start: 0, end: root.bodyStart };
      case 'TEXT': return { kind: 'range', start: root.bodyStart, end: msg.size };
      case 'HEADER.FIELDS':
      case 'HEADER.FIELDS.NOT':
        return { kind: 'fields', start: 0, end: root.bodyStart, fields: section.fields ?? [], not: spec === 'HEADER.FIELDS.NOT' };
      default: return { kind: 'empty' };
    }
  }
  const part = findPart(msg.root, path);
  if (!part) return { kind: 'empty' };
  if (spec === '') return { kind: 'range', start: part.bodyStart, end: part.bodyEnd };
  if (spec === 'MIME') {
    // The root part's MIME header is the message header only when path is [1] of a
    // non-multipart message; for the top-level body part that is the message header.
    return { kind: 'range', start: part.headerStart, end: part.bodyStart };
  }
  const inner = part.message;
  if (!inner) return { kind: 'empty' };
  switch (spec) {
    case 'HEADER': return { kind: 'range', start: inner.headerStart, end: inner.bodyStart };
    case 'TEXT': return { kind: 'range', start: inner.bodyStart, end: inner.bodyEnd };
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT':
      return { kind: 'fields', start: inner.headerStart, end: inner.bodyStart, fields: section.fields ?? [], not: spec === 'HEADER.FIELDS.NOT' };
    default: return { kind: 'empty' };
  }
}

/**
 * Copies the header fields whose names are (or with `not`, are not) in `fields`, raw and in
 * order, and ends with the blank line RFC 3501 asks for.
 */
export function filterHeaderFields(header: Buffer, fields: string[], not: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.toLowerCase()));
  const out: Buffer[] = [];
  let i = 0;
  let fieldStart = -1;
  let keep = false;
  const flush = (end: number): void => {
    if (fieldStart >= 0 && keep) out.push(header.subarray(fieldStart, end));
  };
  while (i < header.length) {
    let lf = header.indexOf(0x0a, i);
    const lineEnd = lf < 0 ? header.length : lf + 1;
    const first = header[i];
    const isBlank = first === 0x0a || (first === 0x0d && header[i + 1] === 0x0a);
    if (isBlank) break;
    if (first === 0x20 || first === 0x09) {
      // continuation of the current field
    } else {
      flush(i);
      fieldStart = i;
      const colon = header.indexOf(0x3a, i);
      const name = colon >= 0 && colon < lineEnd ? header.subarray(i, colon).toString('latin1').trim().toLowerCase() : '';
      keep = name !== '' && wanted.has(name) !== not;
    }
    i = lineEnd;
    if (lf < 0) break;
  }
  flush(i);
  const body = Buffer.concat(out);
  // Make sure each field ends with CRLF, then add the blank line.
  const text = body.length && body[body.length - 1] !== 0x0a ? Buffer.concat([body, Buffer.from('\r\n')]) : body;
  return Buffer.concat([text, Buffer.from('\r\n')]);
}
