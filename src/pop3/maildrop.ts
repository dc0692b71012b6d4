/**
 * The POP3 backend: opening a maildrop (lock + snapshot of INBOX at login) and the UPDATE state.
 *
 * - The lock is the store's named lock `pop3:<accountId>`, renewed while the session lives and
 *   released when it ends; a second login meanwhile gets MailError 'INUSE'.
 * - The snapshot lists INBOX in message-retrieval-sort-order; sizes are the exact octets RETR
 *   sends (bare LF counted as CRLF), computed once per immutable blob and cached.
 * - UIDL is "<uidvalidity>.<uid>": stable across sessions and unaffected by other expunges.
 * - QUIT applies deletions through the mailbox layer (set \Deleted on exactly the marked UIDs,
 *   expunge exactly those), so IMAP sessions see them; a dropped connection deletes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { PopSettings } from '../config/config.js';
import { MailError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { MailboxService, UserMailboxes } from '../mailbox/types.js';
import type { MessageRecord } from '../store/store.js';
import type { ReadReceipts } from '../mailbox/read-receipts.js';
import { executeTransactionCommand } from './commands.js';
import { PopSizeCounter, popSize, type PopCommand } from './protocol.js';
import type { MaildropLocks, MaildropRequest, Pop3Backend, Pop3Transaction, PopOutput } from './types.js';

/** How long a maildrop lock lives without renewal (a crashed process frees it after this). */
export const LOCK_TTL_MS = 60_000;
const LOCK_RENEW_MS = 20_000;
/** Blobs up to this size are read whole to compute their POP3 size; larger ones are streamed. */
const READ_WHOLE_LIMIT = 256 * 1024;
const SIZE_CACHE_MAX = 200_000;

/** blobId -> POP3 size. Blobs are immutable, so entries never go stale. */
const sizeCache = new Map<string, number>();

export async function popSizeOfBlob(mailboxes: UserMailboxes, record: MessageRecord): Promise<number> {
  const cached = sizeCache.get(record.blobId);
  if (cached !== undefined) return cached;
  let size: number;
  if (record.size <= READ_WHOLE_LIMIT) {
    size = popSize(await mailboxes.readBlob(record.blobId));
  } else {
    const counter = new PopSizeCounter();
    for await (const chunk of mailboxes.streamBlob(record.blobId)) counter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    size = counter.size;
  }
  if (sizeCache.size >= SIZE_CACHE_MAX) sizeCache.delete(sizeCache.keys().next().value as string);
  sizeCache.set(record.blobId, size);
  return size;
}

export interface MaildropEntry {
  uid: number;
  blobId: string;
  /** Octets RETR sends (before dot-stuffing). */
  size: number;
  deleted: boolean;
  retrieved: boolean;
}

export interface Pop3BackendDeps {
  mailboxes: MailboxService;
  /** The store's named locks (pass the MailStore). */
  locks: MaildropLocks;
  settings: () => PopSettings;
  logger: Logger;
  /** Server-sent read receipts (suppress-read-receipt false); absent: none. */
  readReceipts?: ReadReceipts | null;
}

export function createPop3Backend(deps: Pop3BackendDeps): Pop3Backend {
  return {
    async openMaildrop(req: MaildropRequest): Promise<Pop3Transaction> {
      const lockName = `pop3:${req.account.id}`;
      const holder = `${req.sessionId}:${randomUUID()}`;
      if (!(await deps.locks.tryLock(lockName, holder, LOCK_TTL_MS))) {
        throw new MailError('INUSE', 'maildrop is locked by another POP3 session');
      }
      try {
        const um = deps.mailboxes.forAccount(req.account);
        const inbox = await um.get('INBOX');
        if (!inbox) throw new MailError('NONEXISTENT', 'the account has no INBOX');
        const entries: MaildropEntry[] = [];
        for await (const batch of um.fetchRecords(inbox.id, [{ from: 1, to: Infinity }], 1000)) {
          for (const r of batch) {
            let size: number;
            try {
              size = await popSizeOfBlob(um, r);
            } catch (err) {
              // One unreadable message must not lock the user out of the others; RETR reports it.
              req.logger.error('pop3-size-failed', { uid: r.uid, err: err instanceof Error ? err : new Error(String(err)) });
              size = r.size;
            }
            entries.push({ uid: r.uid, blobId: r.blobId, size, deleted: false, retrieved: false });
          }
        }
        entries.sort((a, b) => a.uid - b.uid);
        if (deps.settings().messageRetrievalSortOrder === 'Descending') entries.reverse();
        return new Maildrop(um, inbox.id, inbox.uidValidity, entries, deps.locks, lockName, holder, req.logger, deps.readReceipts ?? null);
      } catch (err) {
        await deps.locks.unlock(lockName, holder).catch(() => {});
        throw err;
      }
    },
  };
}

export class Maildrop implements Pop3Transaction {
  private finished = false;
  private lockLost = false;
  private updating: Promise<number> | null = null;
  private readonly renewTimer: NodeJS.Timeout;

  constructor(
    readonly mailboxes: UserMailboxes,
    readonly mailboxId: number,
    readonly uidValidity: number,
    readonly entries: MaildropEntry[],
    private readonly locks: MaildropLocks,
    private readonly lockName: string,
    private readonly holder: string,
    readonly log: Logger,
    /** Told of each message's first RETR in this session (sends an MDN when one is due). */
    readonly readReceipts: ReadReceipts | null = null,
  ) {
    this.renewTimer = setInterval(() => void this.renew(), LOCK_RENEW_MS);
    this.renewTimer.unref();
  }

  get count(): number {
    return this.entries.reduce((n, e) => n + (e.deleted ? 0 : 1), 0);
  }

  get octets(): number {
    return this.entries.reduce((n, e) => n + (e.deleted ? 0 : e.size), 0);
  }

  uidl(entry: MaildropEntry): string {
    return `${this.uidValidity}.${entry.uid}`;
  }

  execute(cmd: PopCommand, out: PopOutput): Promise<'continue' | 'quit'> {
    return executeTransactionCommand(this, cmd, out);
  }

  private async renew(): Promise<void> {
    if (this.finished) return;
    try {
      const ok = await this.locks.renewLock(this.lockName, this.holder, LOCK_TTL_MS);
      if (!ok && !this.finished) {
        // Lost (e.g. the process stalled past the TTL): take it back if nobody else has it.
        this.lockLost = !(await this.locks.tryLock(this.lockName, this.holder, LOCK_TTL_MS));
        if (this.lockLost) this.log.warn('maildrop-lock-lost', { lock: this.lockName });
      }
    } catch (err) {
      this.log.warn('maildrop-lock-renew-failed', { err: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  /**
   * UPDATE state. Returns the number of messages removed, or throws MailError when the
   * deletions could not be applied (nothing is reported deleted then).
   */
  update(): Promise<number> {
    if (this.finished) return Promise.resolve(0);
    this.updating ??= this.applyUpdate();
    return this.updating;
  }

  private async applyUpdate(): Promise<number> {
    try {
      const doomed = this.entries.filter((e) => e.deleted).map((e) => e.uid).sort((a, b) => a - b);
      const seen = this.entries.filter((e) => e.retrieved && !e.deleted).map((e) => e.uid).sort((a, b) => a - b);
      if (doomed.length > 0 && this.lockLost) {
        throw new MailError('UNAVAILABLE', 'the maildrop lock was lost; no messages were deleted');
      }
      if (seen.length > 0) {
        // Like Dovecot: retrieved messages become \Seen for IMAP. Best effort.
        await this.mailboxes.storeFlags(this.mailboxId, seen, 'add', ['\\Seen']).catch((err: unknown) => {
          this.log.warn('pop3-seen-update-failed', { err: err instanceof Error ? err : new Error(String(err)) });
        });
      }
      if (doomed.length === 0) return 0;
      await this.mailboxes.storeFlags(this.mailboxId, doomed, 'add', ['\\Deleted']);
      const gone = await this.mailboxes.expunge(this.mailboxId, doomed);
      this.log.info('pop3-update', { deleted: gone.length, marked: doomed.length });
      return gone.length;
    } finally {
      await this.release();
    }
  }

  async abort(): Promise<void> {
    // A QUIT whose reply the client did not wait for still completes before the lock is freed.
    if (this.updating) {
      await this.updating.catch(() => 0);
      return;
    }
    await this.release();
  }

  private async release(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.renewTimer);
    await this.locks.unlock(this.lockName, this.holder);
  }
}
