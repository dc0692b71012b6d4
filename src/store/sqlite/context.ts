/** What every part of the SQLite backend shares: the connection, the blob files, a statement cache. */
import type Database from 'better-sqlite3';
import type { BlobFiles } from './blobs.js';
import type { Db } from './schema.js';
import type { ParsedMessage } from '../../message/types.js';
import { ParsedCache } from '../parsed-cache.js';

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
  /** Parsed messages by content hash (immutable); see messages.ts getParsedBlob. */
  readonly parsedCache = new ParsedCache();
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


  /** Runs fn in a read transaction: every query in it sees the same snapshot. */
  read<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  /** Runs fn in a BEGIN IMMEDIATE transaction: writers in every process are serialised. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
