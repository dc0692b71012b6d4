/** What every part of the SQLite backend shares: the connection, the blob files, a statement cache. */
import type Database from 'better-sqlite3';
import type { BlobFiles } from './blobs.js';
import type { Db } from './schema.js';

export class Ctx {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(readonly db: Db, readonly blobs: BlobFiles) {}

  stmt(sql: string): Database.Statement {
    let s = this.cache.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.cache.set(sql, s);
    }
    return s;
  }

  /** Runs fn in a BEGIN IMMEDIATE transaction: writers in every process are serialised. */
  write<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
