/**
 * Builds the MIME tree with byte offsets. Iterative (an explicit stack, never recursion on
 * the message's nesting), bounded by MAX_NESTING_DEPTH and MAX_PARTS (see limits.ts).
 */
import { countLines } from './bytes.js';
import { buildEnvelope } from './envelope.js';
import { fieldRawValue, findField, scanHeaderBlock, type HeaderField } from './headers.js';
import { MAX_NESTING_DEPTH, MAX_PARTS } from './limits.js';
import { splitMultipart } from './multipart.js';
import { parseContentType, parseDisposition, parseEncoding } from './params.js';
import type { SearchText } from './search-text.js';
import type { BodyPart } from './types.js';

interface Job {
  start: number;
  end: number;
  depth: number;
  /** Inside multipart/digest, a part without Content-Type is message/rfc822. */
  digest: boolean;
  assign: (part: BodyPart, fields: HeaderField[]) => void;
}

export interface StructureContext {
  buf: Buffer;
  problems: string[];
  search: SearchText;
}

const MESSAGE_ENCODINGS = new Set(['7bit', '8bit', 'binary']);

function emptyTextPart(at: number): BodyPart {
  return {
    type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']], id: null, description: null,
    encoding: '7bit', size: 0, lines: 0, md5: null, disposition: null, language: null, location: null,
    headerStart: at, bodyStart: at, bodyEnd: at,
  };
}

function note(ctx: StructureContext, msg: string): void {
  if (ctx.problems.length < 100) ctx.problems.push(msg);
}

/** Describes one part from its header; children are left to the caller. */
function describe(ctx: StructureContext, job: Job): { part: BodyPart; fields: HeaderField[] } {
  const { buf } = ctx;
  const hb = scanHeaderBlock(buf, job.start, job.end);
  if (hb.missingBlankLine && hb.fields.length > 0 && hb.bodyStart < job.end) note(ctx, `header without blank line at offset ${hb.bodyStart}`);
  if (hb.truncated) note(ctx, `header block at offset ${job.start} has more fields than are parsed`);
  const raw = (name: string): string | null => {
    const f = findField(hb.fields, name);
    return f ? fieldRawValue(buf, f) : null;
  };
  const ctRaw = raw('content-type');
  let ct = ctRaw !== null ? parseContentType(ctRaw) : null;
  if (ctRaw !== null && ct === null) note(ctx, `invalid Content-Type at offset ${job.start}`);
  if (ct === null) {
    ct = ctRaw === null && job.digest
      ? { type: 'message', subtype: 'rfc822', params: [] }
      : { type: 'text', subtype: 'plain', params: [['charset', 'us-ascii']] };
  }
  const dispRaw = raw('content-disposition');
  const langRaw = raw('content-language');
  const language = langRaw === null ? null : langRaw.split(/[\s,]+/).filter((s) => s !== '');
  const part: BodyPart = {
    type: ct.type, subtype: ct.subtype, params: ct.params,
    id: raw('content-id'), description: raw('content-description'),
    encoding: parseEncoding(raw('content-transfer-encoding')),
    size: job.end - hb.bodyStart, lines: 0, md5: raw('content-md5'),
    disposition: dispRaw === null ? null : parseDisposition(dispRaw),
    language: language && language.length > 0 ? language : null,
    location: raw('content-location'),
    headerStart: job.start, bodyStart: hb.bodyStart, bodyEnd: job.end,
  };
  return { part, fields: hb.fields };
}

function makeOpaque(part: BodyPart): void {
  part.type = 'text';
  part.subtype = 'plain';
  part.params = [];
}

function param(part: BodyPart, name: string): string | null {
  for (const [k, v] of part.params) if (k === name) return v;
  return null;
}

/** Parses the whole message in buf; returns the root part and the top-level header fields. */
export function buildStructure(ctx: StructureContext): { root: BodyPart; fields: HeaderField[] } {
  const { buf } = ctx;
  let root: BodyPart | null = null;
  let rootFields: HeaderField[] = [];
  let count = 1;
  const stack: Job[] = [{
    start: 0, end: buf.length, depth: 0, digest: false,
    assign: (p, f) => { root = p; rootFields = f; },
  }];
  while (stack.length > 0) {
    const job = stack.pop()!;
    const { part, fields } = describe(ctx, job);
    job.assign(part, fields);
    const type = part.type.toLowerCase();
    const subtype = part.subtype.toLowerCase();
    const isMultipart = type === 'multipart';
    const isMessage = type === 'message' && (subtype === 'rfc822' || subtype === 'global');
    if (isMultipart || isMessage) {
      const boundary = isMultipart ? param(part, 'boundary') : null;
      let reason: string | null = null;
      if (job.depth >= MAX_NESTING_DEPTH) reason = 'nesting depth limit';
      else if (count >= MAX_PARTS) reason = 'part count limit';
      else if (isMultipart && !boundary) reason = 'multipart without boundary';
      else if (isMessage && !MESSAGE_ENCODINGS.has(part.encoding.toLowerCase())) reason = `message/${subtype} with ${part.encoding} encoding`;
      if (reason !== null) {
        note(ctx, `part at offset ${job.start} described as opaque text/plain: ${reason}`);
        makeOpaque(part);
      } else if (isMultipart) {
        const split = splitMultipart(buf, part.bodyStart, part.bodyEnd, boundary!);
        if (!split.closed) note(ctx, `multipart at offset ${job.start} has no close delimiter`);
        const ranges = split.parts.slice(0, MAX_PARTS - count);
        if (ranges.length < split.parts.length) note(ctx, `multipart at offset ${job.start}: parts beyond the part limit left out`);
        if (ranges.length === 0) {
          part.parts = [emptyTextPart(part.bodyStart)];
          count++;
          continue;
        }
        const children: BodyPart[] = new Array<BodyPart>(ranges.length);
        part.parts = children;
        count += ranges.length;
        const digest = subtype === 'digest';
        for (let i = ranges.length - 1; i >= 0; i--) {
          const r = ranges[i]!;
          stack.push({ start: r.start, end: r.end, depth: job.depth + 1, digest, assign: (p) => { children[i] = p; } });
        }
        continue;
      } else {
        part.lines = countLines(buf, part.bodyStart, part.bodyEnd);
        count++;
        stack.push({
          start: part.bodyStart, end: part.bodyEnd, depth: job.depth + 1, digest: false,
          assign: (p, f) => {
            part.message = p;
            part.envelope = buildEnvelope(buf, f);
            ctx.search.addHeaders(buf, f);
          },
        });
        continue;
      }
    }
    if (part.type.toLowerCase() === 'text') {
      part.lines = countLines(buf, part.bodyStart, part.bodyEnd);
      ctx.search.addBody(buf, part.bodyStart, part.bodyEnd, part.subtype, part.encoding, param(part, 'charset'));
    }
  }
  return { root: root!, fields: rootFields };
}
