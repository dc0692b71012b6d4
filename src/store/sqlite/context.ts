/** What every part of the SQLite backend shares: the connection, the blob files, a statement cache. */
import type Database from 'better-sqlite3';
import type { BlobFiles } from './blobs.js';
import type { Db } from './schema.js';
import type { ParsedMessage } from '../../message/types.js';

/** Upper bound of the parsed-message cache (sum of the stored JSON sizes) per process. */
const PARSED_CACHE_BYTES = 16 * 1024 * 1024;

/** A mailbox's UID list as of (uid_next, highest_modseq, message_count): see messages.ts listUids. */
export interface CachedUids {
  uidNext: number;
  modseq: number;
  count: number;
  uids: Uint32Array;
}

export class Ctx {
  private readonly cache = new Map<string, Database.Statement>();
  /** Per mailbox id, least recently used first. */
  readonly uidCache = new Map<number, CachedUids>();
  /** Parsed messages per blob row id (immutable), least recently used first; see messages.ts getParsed. */
  readonly parsedCache = new Map<number, { parsed: ParsedMessage; bytes: number }>();
  private parsedBytes = 0;
  /** Blobs queued for their search row by this process, with what to index (search-queue.ts). */
  readonly pendingSearch = new Map<number, { hash: string; parsed: ParsedMessage }>();
  constructor(readonly db: Db, readonly blobs: BlobFiles) {}

  stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  cacheParsed(blobRef: number, parsed: ParsedMessage, bytes: number): void {
    if (bytes > PARSED_CACHE_BYTES / 16) return;
    this.parsedCache.set(blobRef, { parsed, bytes });
    this.parsedBytes += bytes;
    for (const [k, v] of this.parsedCache) {
      if (this.parsedBytes <= PARSED_CACHE_BYTES) break;
      this.parsedCache.delete(k);
      this.parsedBytes -= v.bytes;
    }
  }

  /** Runs fn in a read transaction: every query in it sees the same snapshot. */
  read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** Runs fn in a BEGIN IMMEDIATE transaction: writers in every process are serialised. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
