/**
 * Keyset pagination over UID ranges, shared by the stores' fetchRecords and fetchFlags: one short
 * query per batch (from the last UID seen), so no cursor stays open while the consumer awaits.
 */
import { mergeRanges } from './names.js';
import type { UidRange } from './store.js';

/** The largest UID (RFC 3501: a 32-bit unsigned number). */
const MAX_UID = 0xffffffff;

export const DEFAULT_BATCH = 500;

/** A caller's batch size, made sane: 1 to 10,000, DEFAULT_BATCH when absent or not a number. */
export function pageSize(batchSize: number | undefined): number {
  return Math.max(1, Math.min(Math.floor(batchSize ?? DEFAULT_BATCH) || DEFAULT_BATCH, 10_000));
}

export async function* uidPages<T extends { uid: number }>(
  ranges: UidRange[], batchSize: number | undefined, page: (from: number, to: number, limit: number) => T[] | Promise<T[]>,
): AsyncIterable<T[]> {
  const size = pageSize(batchSize);
  for (const r of mergeRanges(ranges)) {
    let from = r.from;
    const to = Number.isFinite(r.to) ? Math.min(r.to, MAX_UID) : MAX_UID;
    while (from <= to) {
      const rows = await page(from, to, size);
      if (rows.length === 0) break;
      yield rows;
      if (rows.length < size) break;
      from = rows[rows.length - 1]!.uid + 1;
    }
  }
}
