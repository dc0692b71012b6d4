/** What every part of the SQLite backend shares: the connection, the blob files, a statement cache. */
import type Database from 'better-sqlite3';
import type { BlobFiles } from './blobs.js';
import type { Db } from './schema.js';
import type { ParsedMessage } from '../../message/types.js';
import { ParsedCache } from '../parsed-cache.js';
import type { FlagSnapshot } from './flag-snapshot.js';

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
  /** Flag records of large mailboxes, per mailbox id, least recently used first (flag-snapshot.ts). */
  readonly flagSnapshots = new Map<number, FlagSnapshot>();
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
    if (this.db.inTransaction) return this.db.transaction(fn)();
    try {
      return this.db.transaction(fn).deferred();
    } catch (err) {
      // Rare in WAL mode (a checkpoint resetting the log): nothing was written, so the store's
      // run() may wait and read again, as for a busy write lock.
      if (isBusy(err)) throw new WriteLockBusy();
      throw err;
    }
  }

  /**
   * Runs fn in a BEGIN IMMEDIATE transaction: writers in every process are serialised. When
   * another process holds the write lock, this throws WriteLockBusy at once instead of sleeping
   * in SQLite's busy handler (which would stop this process's event loop, and every session
   * on it, for 1 to 100 ms at a time): the store's run() waits asynchronously and tries again.
   * Inside another write it is a savepoint.
   */
  write<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.db.transaction(fn)();
    try {
      this.stmt('BEGIN IMMEDIATE').run();
    } catch (err) {
      if (isBusy(err)) throw new WriteLockBusy();
      throw err;
    }
    try {
      const result = fn();
      this.stmt('COMMIT').run();
      return result;
    } catch (err) {
      if (this.db.inTransaction) this.stmt('ROLLBACK').run();
      throw err;
    }
  }
}

/** Another process holds the write lock; nothing was done (see Ctx.write). */
export class WriteLockBusy extends Error {
  constructor() {
    super('the store is busy (write lock held by another process)');
    this.name = 'WriteLockBusy';
  }
}

export function isBusy(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? '');
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}
