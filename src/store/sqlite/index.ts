/**
 * The embedded store: SQLite (better-sqlite3, WAL, synchronous=FULL) for metadata and
 * content-addressed blob files for message bytes. Files: dir/mail.sqlite and dir/blobs/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { MailError } from '../../core/errors.js';
import type { ParsedMessage } from '../../message/types.js';
import { LocalChangeFeed } from '../local-feed.js';
import { mergeRanges } from '../names.js';
import { pageSize, uidPages } from '../pages.js';
import type {
  Account, AppPasswordRecord, AppendInput, AppendResult, ChangeFeed, Changes, CopyResult, FlagOp, FlagRecord, MailboxInfo, MailStore, MessageRecord,
  SpecialUse, StoreFlagsResult, TextField, UidRange,
} from '../store.js';
import * as accounts from './accounts.js';
import * as appPasswords from './app-passwords.js';
import { BlobFiles, hashBlob } from './blobs.js';
import { Ctx, WriteLockBusy } from './context.js';
import { flagSnapshot, snapshotPages } from './flag-snapshot.js';
import { checkIntegrity } from './integrity.js';
import * as locks from './locks.js';
import * as mailboxes from './mailboxes.js';
import * as messages from './messages.js';
import { BUSY_TIMEOUT_MS, openDatabase } from './schema.js';
import { searchText } from './search.js';
import { drainSearchQueue, indexSearchQueue, searchQueueEmpty } from './search-queue.js';

export const DB_FILE = 'mail.sqlite';

/** Maps driver errors to MailError codes. */
function mapError(err: unknown): MailError {
  if (err instanceof MailError) return err;
  const e = err as { code?: string; message?: string };
  const code = String(e.code ?? '');
  if (err instanceof WriteLockBusy || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new MailError('UNAVAILABLE', 'the store is busy, try again', { cause: err });
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') return new MailError('UNAVAILABLE', 'the store is out of disk space', { cause: err });
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return new MailError('CORRUPTION', `store database damaged: ${e.message ?? code}`, { cause: err });
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EROFS' || code === 'EIO') {
    return new MailError('UNAVAILABLE', `the store cannot write: ${e.message ?? code}`, { cause: err });
  }
  return new MailError('SERVERBUG', `store failure: ${e.message ?? String(err)}`, { cause: err });
}

/** How long queued search rows (and a busy collection) wait before the maintenance timer (search-queue.ts). */
const SEARCH_QUEUE_DELAY_MS = 50;
const SEARCH_QUEUE_BATCH = 256;

class SqliteStore implements MailStore {
  readonly kind = 'sqlite';
  private closed = false;
  private maintenanceTimer: NodeJS.Timeout | null = null;
  /** A garbage collection failed (busy) and waits for the maintenance timer. */
  private gcPending = false;

  constructor(private readonly ctx: Ctx, readonly changes: ChangeFeed) {
    // Work a process that stopped before draining its queue left behind.
    try {
      if (!searchQueueEmpty(ctx)) this.scheduleMaintenance();
    } catch { /* a read-only or damaged database: the first search drains it or reports */ }
  }

  /** Soon: writes queued search rows in batches and retries a collection that found the lock busy. */
  private scheduleMaintenance(delayMs = SEARCH_QUEUE_DELAY_MS): void {
    if (this.maintenanceTimer || this.closed) return;
    this.maintenanceTimer = setTimeout(() => {
      this.maintenanceTimer = null;
      if (this.closed) return;
      try {
        if (this.gcPending) {
          this.gcPending = false;
          this.gc();
        }
        if (indexSearchQueue(this.ctx, SEARCH_QUEUE_BATCH) === SEARCH_QUEUE_BATCH) this.scheduleMaintenance(0);
      } catch (err) {
        // Busy: soon again; failing otherwise: later. A search drains the queue anyway.
        this.scheduleMaintenance(err instanceof WriteLockBusy ? SEARCH_QUEUE_DELAY_MS : 1000);
      }
    }, delayMs);
    this.maintenanceTimer.unref();
  }

  /**
   * Runs one store operation. When another process holds the write lock (WriteLockBusy, thrown
   * before anything was written), waits without blocking the event loop (next turn, then 1, 2,
   * 4 … 16 ms) and runs the whole operation again, for up to BUSY_TIMEOUT_MS. Operations are
   * written so that what they do before their write transaction can be done twice (blob files
   * are named by their hash) and nothing after it can throw WriteLockBusy (gc() swallows it).
   */
  private async run<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.closed) throw new MailError('UNAVAILABLE', 'the store is closed');
    const deadline = performance.now() + BUSY_TIMEOUT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof WriteLockBusy) || this.closed || performance.now() > deadline) throw mapError(err);
      }
      await new Promise((resolve) => (attempt === 0 ? setImmediate(resolve) : setTimeout(resolve, Math.min(16, 2 ** (attempt - 1)))));
    }
  }

  /** Removes unreferenced blobs after a change that dropped references; failures wait for the next pass. */
  private gc(): void {
    try {
      if (this.ctx.stmt('SELECT 1 FROM blobs WHERE refs = 0 LIMIT 1').get() && messages.collectGarbage(this.ctx) > 0) this.scheduleMaintenance();
    } catch {
      this.gcPending = true; // retried by the maintenance timer (or after the next expunge)
      this.scheduleMaintenance();
    }
  }

  createAccount(address: string, passwordHash: string | null): Promise<Account> {
    return this.run(() => accounts.createAccount(this.ctx, address, passwordHash));
  }
  getAccount(address: string): Promise<Account | null> { return this.run(() => accounts.getAccount(this.ctx, address)); }
  getAccountById(id: number): Promise<Account | null> { return this.run(() => accounts.getAccountById(this.ctx, id)); }
  listAccounts(): Promise<Account[]> { return this.run(() => accounts.listAccounts(this.ctx)); }
  updateAccount(id: number, patch: Partial<Pick<Account, 'passwordHash' | 'imapEnabled' | 'popEnabled' | 'quotaBytes'>>): Promise<void> {
    return this.run(() => accounts.updateAccount(this.ctx, id, patch));
  }
  deleteAccount(id: number): Promise<void> {
    return this.run(() => {
      this.ctx.write(() => {
        if (!this.ctx.stmt('SELECT 1 FROM accounts WHERE id = ?').get(id)) throw new MailError('NONEXISTENT', 'no such account');
        const ids = this.ctx.stmt('SELECT id FROM mailboxes WHERE account_id = ?').pluck().all(id) as number[];
        for (const mb of ids) messages.deleteMailboxRows(this.ctx, mb);
        this.ctx.stmt('DELETE FROM subscriptions WHERE account_id = ?').run(id);
        this.ctx.stmt('DELETE FROM app_passwords WHERE account_id = ?').run(id);
        this.ctx.stmt('DELETE FROM accounts WHERE id = ?').run(id);
      });
      this.gc();
    });
  }
  usedBytes(accountId: number): Promise<number> { return this.run(() => accounts.usedBytes(this.ctx, accountId)); }

  createAppPassword(accountId: number, name: string, passwordHash: string, protocols: string[]): Promise<AppPasswordRecord> {
    return this.run(() => appPasswords.createAppPassword(this.ctx, accountId, name, passwordHash, protocols));
  }
  listAppPasswords(accountId: number): Promise<AppPasswordRecord[]> { return this.run(() => appPasswords.listAppPasswords(this.ctx, accountId)); }
  deleteAppPassword(accountId: number, name: string): Promise<boolean> { return this.run(() => appPasswords.deleteAppPassword(this.ctx, accountId, name)); }
  touchAppPassword(id: number, at: Date): Promise<void> { return this.run(() => appPasswords.touchAppPassword(this.ctx, id, at)); }

  listMailboxes(accountId: number): Promise<MailboxInfo[]> { return this.run(() => mailboxes.listMailboxes(this.ctx, accountId)); }
  getMailbox(accountId: number, name: string): Promise<MailboxInfo | null> { return this.run(() => mailboxes.getMailbox(this.ctx, accountId, name)); }
  getMailboxById(mailboxId: number): Promise<MailboxInfo | null> { return this.run(() => mailboxes.getMailboxById(this.ctx, mailboxId)); }
  createMailbox(accountId: number, name: string, specialUse?: SpecialUse | null): Promise<MailboxInfo> {
    return this.run(() => mailboxes.createMailbox(this.ctx, accountId, name, specialUse ?? null));
  }
  deleteMailbox(mailboxId: number): Promise<void> {
    return this.run(() => {
      this.ctx.write(() => {
        if (!this.ctx.stmt('SELECT 1 FROM mailboxes WHERE id = ?').get(mailboxId)) throw new MailError('NONEXISTENT', 'no such mailbox');
        messages.deleteMailboxRows(this.ctx, mailboxId);
      });
      this.gc();
    });
  }
  renameMailbox(mailboxId: number, newName: string): Promise<void> { return this.run(() => mailboxes.renameMailbox(this.ctx, mailboxId, newName)); }
  setSubscribed(accountId: number, name: string, subscribed: boolean): Promise<void> {
    return this.run(() => mailboxes.setSubscribed(this.ctx, accountId, name, subscribed));
  }
  listSubscriptions(accountId: number): Promise<string[]> { return this.run(() => mailboxes.listSubscriptions(this.ctx, accountId)); }

  append(mailboxId: number, input: AppendInput): Promise<AppendResult> {
    return this.run(async () => {
      if (!Buffer.isBuffer(input.raw)) throw new MailError('BADINPUT', 'message must be bytes');
      const hash = hashBlob(input.raw);
      const inline = input.raw.length <= messages.INLINE_MAX_BYTES;
      if (!inline) await this.ctx.blobs.write(hash, input.raw); // durable before the row commits
      const r = messages.appendMessage(this.ctx, mailboxId, hash, input.raw, input.parsed, input.flags ?? [], input.internalDate ?? new Date(), inline);
      this.scheduleMaintenance();
      return r;
    });
  }
  listUids(mailboxId: number): Promise<Uint32Array> { return this.run(() => messages.listUids(this.ctx, mailboxId)); }

  fetchRecords(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<MessageRecord[]> {
    return uidPages(ranges, batchSize, (from, to, limit) => this.run(() => messages.fetchPage(this.ctx, mailboxId, from, to, limit)));
  }
  /** Large mailboxes from a per-process snapshot (flag-snapshot.ts), small ones page by page. */
  async *fetchFlags(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<FlagRecord[]> {
    const snap = await this.run(() => flagSnapshot(this.ctx, mailboxId, messages.sharedFlags));
    if (snap) {
      yield* snapshotPages(snap, mergeRanges(ranges), pageSize(batchSize));
      return;
    }
    yield* uidPages(ranges, batchSize, (from, to, limit) => this.run(() => messages.fetchFlagPage(this.ctx, mailboxId, from, to, limit)));
  }

  getParsed(mailboxId: number, uid: number): Promise<ParsedMessage | null> { return this.run(() => messages.getParsed(this.ctx, mailboxId, uid)); }
  getParsedBlob(blobId: string): Promise<ParsedMessage | null> { return this.run(() => messages.getParsedBlob(this.ctx, blobId)); }
  /** The inline bytes of a blob, or null when it lives in a file (or does not exist). */
  private inlineBlob(blobId: string): Buffer | null {
    if (this.closed) throw new MailError('UNAVAILABLE', 'the store is closed');
    return (this.ctx.stmt('SELECT data FROM blobs WHERE hash = ? AND data IS NOT NULL').pluck().get(blobId) as Buffer | undefined) ?? null;
  }
  readBlob(blobId: string, start?: number, end?: number): Promise<Buffer> {
    return this.run(() => {
      const data = this.inlineBlob(blobId);
      if (!data) return this.ctx.blobs.read(blobId, start, end);
      const s = Math.max(0, Math.min(start ?? 0, data.length));
      return data.subarray(s, Math.max(s, Math.min(end ?? data.length, data.length)));
    });
  }
  streamBlob(blobId: string, start?: number, end?: number): NodeJS.ReadableStream {
    let data: Buffer | null;
    try {
      data = this.inlineBlob(blobId);
    } catch (err) {
      const r = new Readable({ read() {} });
      process.nextTick(() => r.destroy(mapError(err)));
      return r;
    }
    if (!data) return this.ctx.blobs.stream(blobId, start, end);
    const s = Math.max(0, Math.min(start ?? 0, data.length));
    const e = Math.max(s, Math.min(end ?? data.length, data.length));
    return Readable.from(e > s ? [data.subarray(s, e)] : []);
  }
  storeFlags(mailboxId: number, uids: number[], op: FlagOp, flags: string[], unchangedSince?: number): Promise<StoreFlagsResult> {
    return this.run(() => messages.storeFlags(this.ctx, mailboxId, uids, op, flags, unchangedSince));
  }
  copy(srcMailboxId: number, uids: number[], dstMailboxId: number): Promise<CopyResult> {
    return this.run(() => messages.copyMessages(this.ctx, srcMailboxId, uids, dstMailboxId, false));
  }
  move(srcMailboxId: number, uids: number[], dstMailboxId: number): Promise<CopyResult> {
    return this.run(() => {
      const r = messages.copyMessages(this.ctx, srcMailboxId, uids, dstMailboxId, true);
      this.gc();
      return r;
    });
  }
  expunge(mailboxId: number, uids?: number[]): Promise<number[]> {
    return this.run(() => {
      const r = messages.expunge(this.ctx, mailboxId, uids);
      if (r.length > 0) this.gc();
      return r;
    });
  }
  changesSince(mailboxId: number, modseq: number): Promise<Changes> { return this.run(() => messages.changesSince(this.ctx, mailboxId, modseq)); }
  claimRecent(mailboxId: number): Promise<number> { return this.run(() => messages.claimRecent(this.ctx, mailboxId)); }
  searchText(mailboxId: number, field: TextField, value: string): Promise<Set<number>> {
    return this.run(() => {
      drainSearchQueue(this.ctx); // nothing appended before the search may be missing from it
      return searchText(this.ctx, mailboxId, field, value);
    });
  }

  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean> { return this.run(() => locks.tryLock(this.ctx, name, holder, ttlMs)); }
  renewLock(name: string, holder: string, ttlMs: number): Promise<boolean> { return this.run(() => locks.renewLock(this.ctx, name, holder, ttlMs)); }
  unlock(name: string, holder: string): Promise<void> { return this.run(() => locks.unlock(this.ctx, name, holder)); }

  checkIntegrity(): Promise<string[]> { return this.run(() => checkIntegrity(this.ctx)); }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.maintenanceTimer) clearTimeout(this.maintenanceTimer);
    this.maintenanceTimer = null;
    try {
      this.ctx.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`); // no event loop to keep free any more
      drainSearchQueue(this.ctx);
    } catch { /* left queued: the next process to open the store writes them */ }
    this.ctx.db.close();
  }
}

export async function openSqliteStore(dir: string, opts: { feed?: ChangeFeed } = {}): Promise<MailStore> {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new MailError('UNAVAILABLE', `cannot create store directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const blobs = new BlobFiles(dir);
  const db = openDatabase(join(dir, DB_FILE));
  return new SqliteStore(new Ctx(db, blobs), opts.feed ?? new LocalChangeFeed());
}
