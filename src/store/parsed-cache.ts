/**
 * The indexer's record of a message (ParsedMessage) by content hash, kept per process. A blob
 * never changes once written, so an entry never goes stale: FETCH of ENVELOPE/BODYSTRUCTURE or
 * of a header section then costs no query and no JSON.parse when the message was read recently
 * (a mail client fetches the newest messages' headers again and again). Bounded by the stored
 * JSON size, least recently used out first. Entries are shared: callers must not mutate them.
 */
import type { ParsedMessage } from '../message/types.js';

/** Upper bound of the cache per store per process (sum of the stored JSON sizes). */
export const PARSED_CACHE_BYTES = 16 * 1024 * 1024;

export class ParsedCache {
  private readonly entries = new Map<string, { parsed: ParsedMessage; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes = PARSED_CACHE_BYTES) {}

  get(hash: string): ParsedMessage | null {
    const hit = this.entries.get(hash);
    if (!hit) return null;
    this.entries.delete(hash); // most recently used last
    this.entries.set(hash, hit);
    return hit.parsed;
  }

  /** The cached form of this blob, or its stored JSON parsed and cached. */
  fromStored(hash: string, json: string): ParsedMessage {
    const hit = this.get(hash);
    if (hit) return hit;
    const parsed = parseStoredParsed(json);
    this.set(hash, parsed, json.length);
    return parsed;
  }

  set(hash: string, parsed: ParsedMessage, bytes: number): void {
    if (bytes > this.maxBytes / 16 || this.entries.has(hash)) return;
    this.entries.set(hash, { parsed, bytes });
    this.bytes += bytes;
    for (const [k, v] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.bytes;
    }
  }
}

/** The stored JSON form back to a ParsedMessage (the sent date was serialised as a string). */
export function parseStoredParsed(json: string): ParsedMessage {
  const p = JSON.parse(json) as ParsedMessage & { sentDate: string | null };
  return { ...p, sentDate: p.sentDate ? new Date(p.sentDate) : null };
}
