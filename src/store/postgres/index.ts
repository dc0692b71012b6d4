/**
 * The scale-out store: PostgreSQL for metadata and message bytes (bytea), shared by every node.
 *   openPostgresStore('postgres://user@db.example.org/portcullis')
 * Several nodes open the same database; each keeps a small pool. The change feed defaults to
 * PgNotifyChangeFeed on the same database (LISTEN/NOTIFY), so events cross nodes.
 */
import { Readable } from 'node:stream';
import type pg from 'pg';
import { MailError } from '../../core/errors.js';
import type { ParsedMessage } from '../../message/types.js';
import { PgNotifyChangeFeed } from '../feed/pg-notify.js';
import { uidPages } from '../pages.js';
import type {
  Account, AppendInput, AppPasswordRecord, AppendResult, ChangeFeed, Changes, CopyResult, FlagOp, FlagRecord, MailboxInfo, MailStore, MessageRecord,
  SpecialUse, StoreFlagsResult, TextField, UidRange,
} from '../store.js';
import * as accounts from './accounts.js';
import * as appPasswords from './app-passwords.js';
import { hashBlob, readBlob, streamBlob } from './blobs.js';
import { createPool, mapPgError, redactUrl } from './db.js';
import { checkIntegrity } from './integrity.js';
import * as locks from './locks.js';
import * as mailboxes from './mailboxes.js';
import * as messages from './messages.js';
import { migrate } from './schema.js';
import { searchText } from './search.js';
import { ParsedCache } from '../parsed-cache.js';


export interface PostgresStoreOptions {
  /** The change feed; default: a PgNotifyChangeFeed on the same database, closed with the store. */
  feed?: ChangeFeed;
  /** Accepted for symmetry with other backends; unused: every message byte lives in PostgreSQL. */
  blobDir?: string;
  /** Pool size per node (default 10). */
  poolSize?: number;
}

class PostgresStore implements MailStore {
  private readonly parsedCache = new ParsedCache();
  readonly kind = 'postgres';
  private closed = false;

  constructor(private readonly pool: pg.Pool, readonly changes: ChangeFeed, private readonly ownFeed: PgNotifyChangeFeed | null) {}

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new MailError('UNAVAILABLE', 'the store is closed');
    try {
      return await fn();
    } catch (err) {
      throw mapPgError(err);
    }
  }

  createAccount(address: string, passwordHash: string | null): Promise<Account> {
    return this.run(() => accounts.createAccount(this.pool, address, passwordHash));
  }
  getAccount(address: string): Promise<Account | null> { return this.run(() => accounts.getAccount(this.pool, address)); }
  getAccountById(id: number): Promise<Account | null> { return this.run(() => accounts.getAccountById(this.pool, id)); }
  listAccounts(): Promise<Account[]> { return this.run(() => accounts.listAccounts(this.pool)); }
  updateAccount(id: number, patch: Partial<Pick<Account, 'passwordHash' | 'imapEnabled' | 'popEnabled' | 'quotaBytes'>>): Promise<void> {
    return this.run(() => accounts.updateAccount(this.pool, id, patch));
  }
  deleteAccount(id: number): Promise<void> { return this.run(() => messages.deleteAccount(this.pool, id)); }
  usedBytes(accountId: number): Promise<number> { return this.run(() => accounts.usedBytes(this.pool, accountId)); }

  createAppPassword(accountId: number, name: string, passwordHash: string, protocols: string[]): Promise<AppPasswordRecord> {
    return this.run(() => appPasswords.createAppPassword(this.pool, accountId, name, passwordHash, protocols));
  }
  listAppPasswords(accountId: number): Promise<AppPasswordRecord[]> { return this.run(() => appPasswords.listAppPasswords(this.pool, accountId)); }
  deleteAppPassword(accountId: number, name: string): Promise<boolean> { return this.run(() => appPasswords.deleteAppPassword(this.pool, accountId, name)); }
  touchAppPassword(id: number, at: Date): Promise<void> { return this.run(() => appPasswords.touchAppPassword(this.pool, id, at)); }

  listMailboxes(accountId: number): Promise<MailboxInfo[]> { return this.run(() => mailboxes.listMailboxes(this.pool, accountId)); }
  getMailbox(accountId: number, name: string): Promise<MailboxInfo | null> { return this.run(() => mailboxes.getMailbox(this.pool, accountId, name)); }
  getMailboxById(mailboxId: number): Promise<MailboxInfo | null> { return this.run(() => mailboxes.getMailboxById(this.pool, mailboxId)); }
  createMailbox(accountId: number, name: string, specialUse?: SpecialUse | null): Promise<MailboxInfo> {
    return this.run(() => mailboxes.createMailbox(this.pool, accountId, name, specialUse ?? null));
  }
  deleteMailbox(mailboxId: number): Promise<void> { return this.run(() => messages.deleteMailbox(this.pool, mailboxId)); }
  renameMailbox(mailboxId: number, newName: string): Promise<void> { return this.run(() => mailboxes.renameMailbox(this.pool, mailboxId, newName)); }
  setSubscribed(accountId: number, name: string, subscribed: boolean): Promise<void> {
    return this.run(() => mailboxes.setSubscribed(this.pool, accountId, name, subscribed));
  }
  listSubscriptions(accountId: number): Promise<string[]> { return this.run(() => mailboxes.listSubscriptions(this.pool, accountId)); }

  append(mailboxId: number, input: AppendInput): Promise<AppendResult> {
    return this.run(async () => {
      if (!Buffer.isBuffer(input.raw)) throw new MailError('BADINPUT', 'message must be bytes');
      return messages.appendMessage(this.pool, mailboxId, hashBlob(input.raw), input.raw, input.parsed, input.flags ?? [], input.internalDate ?? new Date());
    });
  }
  listUids(mailboxId: number): Promise<Uint32Array> { return this.run(() => messages.listUids(this.pool, mailboxId)); }

  fetchRecords(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<MessageRecord[]> {
    return uidPages(ranges, batchSize, (from, to, limit) => this.run(() => messages.fetchPage(this.pool, mailboxId, from, to, limit)));
  }
  fetchFlags(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<FlagRecord[]> {
    return uidPages(ranges, batchSize, (from, to, limit) => this.run(() => messages.fetchFlagPage(this.pool, mailboxId, from, to, limit)));
  }

  getParsed(mailboxId: number, uid: number): Promise<ParsedMessage | null> { return this.run(() => messages.getParsed(this.pool, this.parsedCache, mailboxId, uid)); }
  getParsedBlob(blobId: string): Promise<ParsedMessage | null> { return this.run(() => messages.getParsedBlob(this.pool, this.parsedCache, blobId)); }
  readBlob(blobId: string, start?: number, end?: number): Promise<Buffer> { return this.run(() => readBlob(this.pool, blobId, start, end)); }
  streamBlob(blobId: string, start?: number, end?: number): NodeJS.ReadableStream {
    if (this.closed) {
      const r = new Readable({ read() {} });
      process.nextTick(() => r.destroy(new MailError('UNAVAILABLE', 'the store is closed')));
      return r;
    }
    return streamBlob(this.pool, blobId, start, end);
  }
  storeFlags(mailboxId: number, uids: number[], op: FlagOp, flags: string[], unchangedSince?: number): Promise<StoreFlagsResult> {
    return this.run(() => messages.storeFlags(this.pool, mailboxId, uids, op, flags, unchangedSince));
  }
  copy(srcMailboxId: number, uids: number[], dstMailboxId: number): Promise<CopyResult> {
    return this.run(() => messages.copyMessages(this.pool, srcMailboxId, uids, dstMailboxId, false));
  }
  move(srcMailboxId: number, uids: number[], dstMailboxId: number): Promise<CopyResult> {
    return this.run(() => messages.copyMessages(this.pool, srcMailboxId, uids, dstMailboxId, true));
  }
  expunge(mailboxId: number, uids?: number[]): Promise<number[]> { return this.run(() => messages.expunge(this.pool, mailboxId, uids)); }
  changesSince(mailboxId: number, modseq: number): Promise<Changes> { return this.run(() => messages.changesSince(this.pool, mailboxId, modseq)); }
  claimRecent(mailboxId: number): Promise<number> { return this.run(() => messages.claimRecent(this.pool, mailboxId)); }
  searchText(mailboxId: number, field: TextField, value: string): Promise<Set<number>> {
    return this.run(() => searchText(this.pool, mailboxId, field, value));
  }

  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> { return this.run(() => locks.tryLock(this.pool, name, holder, ttlMs)); }
  renewLock(name: string, holder: string, ttlMs: number): Promise<boolean> { return this.run(() => locks.renewLock(this.pool, name, holder, ttlMs)); }
  unlock(name: string, holder: string): Promise<void> { return this.run(() => locks.unlock(this.pool, name, holder)); }

  checkIntegrity(): Promise<string[]> { return this.run(() => checkIntegrity(this.pool)); }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownFeed) await this.ownFeed.close();
    await this.pool.end();
  }
}

/** Opens (and migrates) the store in the database `url` names. */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<MailStore> {
  if (typeof url !== 'string' || !/^postgres(ql)?:\/\//i.test(url)) {
    throw new MailError('BADINPUT', 'the store URL must start with postgres:// or postgresql://');
  }
  const pool = createPool(url, { max: opts.poolSize });
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    if (err instanceof MailError) throw err;
    const m = mapPgError(err);
    throw new MailError(m.code === 'SERVERBUG' ? 'UNAVAILABLE' : m.code, `cannot open the store database ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  }
  let ownFeed: PgNotifyChangeFeed | null = null;
  let feed = opts.feed;
  if (!feed) {
    ownFeed = new PgNotifyChangeFeed({ url, pool });
    feed = ownFeed;
  }
  return new PostgresStore(pool, feed, ownFeed);
}
