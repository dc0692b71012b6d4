/**
 * IMAP sequence sets (RFC 3501 sequence-set, RFC 5182 "$" is not supported). Parsed into a
 * list of inclusive ranges and never expanded: "1:*" is one range. "*" is kept as Infinity and
 * resolved against the mailbox when the command runs.
 */

export interface SeqRange {
  from: number;
  to: number; // Infinity for "*"
}

/** Most ranges one sequence set may hold. */
export const MAX_SEQUENCE_RANGES = 10_000;

const MAX_NZ = 4294967295;

function parseNumber(s: string): number | null {
  if (s === '*') return Infinity;
  if (!/^[1-9]\d{0,9}$/.test(s)) return null;
  const n = Number(s);
  return n <= MAX_NZ ? n : null;
}

/** Parses a sequence set; returns null when it is not one. Ranges are normalised (from <= to). */
export function parseSequenceSet(text: string): SeqRange[] | null {
  if (!text) return null;
  const items = text.split(',');
  if (items.length > MAX_SEQUENCE_RANGES) return null;
  const out: SeqRange[] = [];
  for (const item of items) {
    const colon = item.indexOf(':');
    if (colon < 0) {
      const n = parseNumber(item);
      if (n === null) return null;
      out.push({ from: n, to: n });
    } else {
      const a = parseNumber(item.slice(0, colon));
      const b = parseNumber(item.slice(colon + 1));
      if (a === null || b === null) return null;
      out.push(a <= b ? { from: a, to: b } : { from: b, to: a });
    }
  }
  return out;
}

/**
 * Resolves "*" to `star` (the highest sequence number or UID; 0 in an empty mailbox) and
 * re-normalises ("5:*" with star 3 becomes 3:5).
 */
export function resolveStar(ranges: SeqRange[], star: number): SeqRange[] {
  return ranges.map((r) => {
    const a = r.from === Infinity ? star : r.from;
    const b = r.to === Infinity ? star : r.to;
    return a <= b ? { from: a, to: b } : { from: b, to: a };
  });
}

/** Sorts and merges ranges (adjacent ranges join). */
export function mergeRanges(ranges: SeqRange[]): SeqRange[] {
  const sorted = [...ranges].sort((x, y) => x.from - y.from);
  const out: SeqRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.from <= last.to + 1) last.to = Math.max(last.to, r.to);
    else out.push({ ...r });
  }
  return out;
}

/** Formats ascending numbers as a compact sequence set ("1:3,7"). */
export function formatSequenceSet(nums: Iterable<number>): string {
  const parts: string[] = [];
  let start = -1;
  let prev = -1;
  for (const n of nums) {
    if (start >= 0 && n === prev + 1) { prev = n; continue; }
    if (start >= 0) parts.push(start === prev ? String(start) : `${start}:${prev}`);
    start = n;
    prev = n;
  }
  if (start >= 0) parts.push(start === prev ? String(start) : `${start}:${prev}`);
  return parts.join(',');
}

export function inRanges(ranges: SeqRange[], n: number): boolean {
  for (const r of ranges) if (n >= r.from && n <= r.to) return true;
  return false;
}
