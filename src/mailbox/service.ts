/**
 * The mailbox layer: protocol-neutral mail operations over a MailStore. It parses each message
 * once (message/indexer), enforces the size limit, quota and mailbox naming rules, keeps
 * mailboxes of one account apart from every other account's, and publishes a ChangeEvent after
 * every committed change.
 *
 * DELETE of a mailbox that has children (RFC 3501 §6.3.4): the mailbox and its messages are
 * removed and its children are kept; the parent then simply no longer exists (LIST shows the
 * children; the protocol layer reports the missing parent as \NonExistent / \Noselect).
 */
import { MailError } from '../core/errors.js';
import { indexMessage } from '../message/indexer.js';
import type { ParsedMessage } from '../message/types.js';
import type { Account, AppendResult, ChangeEvent, CopyResult, MailboxInfo, MailStore, SpecialUse } from '../store/store.js';
import { ancestors, validateMailboxName } from './names.js';
import { DEFAULT_MAILBOX_LIMITS, type DeliverOptions, type MailboxLimits, type MailboxService, type UserMailboxes } from './types.js';

/** Parses a message; a parser failure never refuses mail: the message is stored with a minimal description. */
export function parseForStore(raw: Buffer): ParsedMessage {
  try {
    return indexMessage(raw);
  } catch (err) {
    let bodyStart = raw.indexOf('\r\n\r\n');
    bodyStart = bodyStart < 0 ? raw.length : bodyStart + 4;
    return {
      size: raw.length,
      envelope: { date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null },
      root: {
        type: 'text', subtype: 'plain', params: [], id: null, description: null, encoding: '7bit', size: raw.length - bodyStart, lines: 0,
        md5: null, disposition: null, language: null, location: null, headerStart: 0, bodyStart, bodyEnd: raw.length,
      },
      sentDate: null,
      search: { headers: [], body: '' },
      problems: [`indexer failed: ${(err as Error).message}`],
    };
  }
}

class AccountMailboxes implements UserMailboxes {
  constructor(readonly account: Account, private readonly store: MailStore, private readonly limits: MailboxLimits) {}

  private publish(kind: ChangeEvent['kind'], mailboxId: number | null, modseq?: number): void {
    const event: ChangeEvent = { accountId: this.account.id, mailboxId, kind };
    if (modseq !== undefined) event.modseq = modseq;
    this.store.changes.publish(event);
  }

  private name(name: string): string {
    return validateMailboxName(name, this.limits);
  }

  /**
   * Mailbox ids already proved to be this account's. A mailbox id is never reused (SQLite
   * AUTOINCREMENT, PostgreSQL identity) and a mailbox never changes account, so the proof holds
   * for the life of this object; it spares a store lookup before every data call (FETCH of
   * headers makes one per message). A mailbox deleted meanwhile is still caught: the store's
   * writes check that it exists, and its reads find no messages.
   */
  private readonly owned = new Set<number>();

  /** A mailbox of this account by id; anything else (another account's id included) is NONEXISTENT. */
  private async own(mailboxId: number): Promise<MailboxInfo> {
    const mb = Number.isSafeInteger(mailboxId) ? await this.store.getMailboxById(mailboxId) : null;
    if (!mb || mb.accountId !== this.account.id) throw new MailError('NONEXISTENT', 'no such mailbox');
    this.owned.add(mb.id);
    return mb;
  }

  /** Like own() when the caller needs only the proof, not fresh mailbox facts. */
  private async ownId(mailboxId: number): Promise<void> {
    if (!this.owned.has(mailboxId)) await this.own(mailboxId);
  }

  private async existing(name: string): Promise<MailboxInfo> {
    const mb = await this.store.getMailbox(this.account.id, this.name(name));
    if (!mb) throw new MailError('NONEXISTENT', `mailbox ${name} does not exist`);
    return mb;
  }

  private async checkQuota(extra: number): Promise<void> {
    const fresh = await this.store.getAccountById(this.account.id);
    if (!fresh) throw new MailError('NONEXISTENT', 'account no longer exists');
    if (fresh.quotaBytes === null) return;
    const used = await this.store.usedBytes(this.account.id);
    if (used + extra > fresh.quotaBytes) {
      throw new MailError('OVERQUOTA', `quota exceeded: ${used} of ${fresh.quotaBytes} octets used, ${extra} more needed`);
    }
  }

  list(): Promise<MailboxInfo[]> { return this.store.listMailboxes(this.account.id); }

  async get(name: string): Promise<MailboxInfo | null> {
    let n: string;
    try { n = this.name(name); } catch { return null; }
    return this.store.getMailbox(this.account.id, n);
  }

  async getById(id: number): Promise<MailboxInfo | null> {
    try { return await this.own(id); } catch (err) {
      if (err instanceof MailError && err.code === 'NONEXISTENT') return null;
      throw err;
    }
  }

  async create(name: string, specialUse?: SpecialUse | null): Promise<MailboxInfo> {
    const n = this.name(name);
    if (await this.store.getMailbox(this.account.id, n)) throw new MailError('ALREADYEXISTS', `mailbox ${n} already exists`);
    await this.createParents(n);
    const mb = await this.store.createMailbox(this.account.id, n, specialUse ?? null);
    this.publish('mailbox-create', mb.id);
    return mb;
  }

  private async createParents(name: string): Promise<void> {
    for (const parent of ancestors(name)) {
      if (await this.store.getMailbox(this.account.id, parent)) continue;
      try {
        const p = await this.store.createMailbox(this.account.id, parent, null);
        this.publish('mailbox-create', p.id);
      } catch (err) {
        if (!(err instanceof MailError && err.code === 'ALREADYEXISTS')) throw err; // created meanwhile: fine
      }
    }
  }

  async delete(name: string): Promise<void> {
    const n = this.name(name);
    if (n === 'INBOX') throw new MailError('CANNOT', 'INBOX cannot be deleted');
    const mb = await this.existing(n);
    await this.store.deleteMailbox(mb.id);
    this.owned.delete(mb.id);
    this.publish('mailbox-delete', mb.id);
  }

  async rename(oldName: string, newName: string): Promise<void> {
    const from = this.name(oldName);
    const to = this.name(newName);
    const src = await this.existing(from);
    if (to === 'INBOX' || (await this.store.getMailbox(this.account.id, to))) throw new MailError('ALREADYEXISTS', `mailbox ${to} already exists`);
    if (to.startsWith(from + '/')) throw new MailError('CANNOT', 'a mailbox cannot be renamed into its own child');
    await this.createParents(to);
    if (from === 'INBOX') {
      // RFC 3501: renaming INBOX moves its messages to the new mailbox and leaves INBOX empty.
      const dst = await this.store.createMailbox(this.account.id, to, null);
      this.publish('mailbox-create', dst.id);
      const uids = await this.store.listUids(src.id);
      if (uids.length > 0) {
        await this.store.move(src.id, Array.from(uids), dst.id);
        const after = await this.store.getMailboxById(src.id);
        this.publish('expunge', src.id, after?.highestModseq);
        this.publish('append', dst.id);
      }
      return;
    }
    await this.store.renameMailbox(src.id, to);
    this.publish('mailbox-rename', src.id);
  }

  async subscribe(name: string): Promise<void> {
    await this.store.setSubscribed(this.account.id, this.name(name), true);
    this.publish('subscription', null);
  }

  async unsubscribe(name: string): Promise<void> {
    if (typeof name !== 'string' || name.length === 0) throw new MailError('CANNOT', 'mailbox name must not be empty');
    await this.store.setSubscribed(this.account.id, name, false);
    this.publish('subscription', null);
  }

  subscriptions(): Promise<string[]> { return this.store.listSubscriptions(this.account.id); }

  async append(mailbox: string, raw: Buffer, options: { flags?: string[]; internalDate?: Date } = {}): Promise<AppendResult> {
    if (!Buffer.isBuffer(raw)) throw new MailError('BADINPUT', 'message must be bytes');
    if (raw.length > this.limits.maxMessageSize) {
      throw new MailError('TOOBIG', `message of ${raw.length} octets is larger than the limit of ${this.limits.maxMessageSize}`);
    }
    const mb = await this.existing(mailbox);
    await this.checkQuota(raw.length);
    const parsed = parseForStore(raw);
    const input: { raw: Buffer; parsed: ParsedMessage; flags?: string[]; internalDate?: Date } = { raw, parsed };
    if (options.flags) input.flags = options.flags;
    if (options.internalDate) input.internalDate = options.internalDate;
    const r = await this.store.append(mb.id, input);
    this.publish('append', mb.id, r.modseq);
    return r;
  }

  async listUids(mailboxId: number): Promise<Uint32Array> { await this.ownId(mailboxId); return this.store.listUids(mailboxId); }

  async *fetchRecords(mailboxId: number, ranges: Array<{ from: number; to: number }>, batchSize?: number) {
    await this.ownId(mailboxId);
    yield* this.store.fetchRecords(mailboxId, ranges, batchSize);
  }

  async *fetchFlags(mailboxId: number, ranges: Array<{ from: number; to: number }>, batchSize?: number) {
    await this.ownId(mailboxId);
    yield* this.store.fetchFlags(mailboxId, ranges, batchSize);
  }

  async getParsed(mailboxId: number, uid: number): Promise<ParsedMessage | null> {
    await this.ownId(mailboxId);
    return this.store.getParsed(mailboxId, uid);
  }

  // Blob ids are content hashes learnt from this account's own records; reading one needs no mailbox.
  getParsedBlob(blobId: string): Promise<ParsedMessage | null> { return this.store.getParsedBlob(blobId); }
  readBlob(blobId: string, start?: number, end?: number): Promise<Buffer> { return this.store.readBlob(blobId, start, end); }
  streamBlob(blobId: string, start?: number, end?: number): NodeJS.ReadableStream { return this.store.streamBlob(blobId, start, end); }

  async storeFlags(mailboxId: number, uids: number[], op: 'set' | 'add' | 'remove', flags: string[], unchangedSince?: number) {
    await this.ownId(mailboxId);
    const r = await this.store.storeFlags(mailboxId, uids, op, flags, unchangedSince);
    const top = r.updated.reduce((m, u) => Math.max(m, u.modseq), 0);
    if (r.updated.length > 0) this.publish('flags', mailboxId, top);
    return r;
  }

  private async copyOrMove(srcMailboxId: number, uids: number[], dstName: string, move: boolean): Promise<CopyResult> {
    await this.ownId(srcMailboxId);
    const dst = await this.existing(dstName);
    if (!move) {
      let bytes = 0;
      const wanted = new Set(uids);
      const lo = uids.reduce((m, u) => Math.min(m, u), Infinity);
      const hi = uids.reduce((m, u) => Math.max(m, u), 0);
      const ranges = uids.length > 0 ? [{ from: lo, to: hi }] : [];
      for await (const batch of this.store.fetchRecords(srcMailboxId, ranges)) {
        for (const rec of batch) if (wanted.has(rec.uid)) bytes += rec.size;
      }
      if (bytes > 0) await this.checkQuota(bytes);
    }
    const r = move ? await this.store.move(srcMailboxId, uids, dst.id) : await this.store.copy(srcMailboxId, uids, dst.id);
    if (r.map.length > 0) {
      this.publish('append', dst.id);
      if (move) this.publish('expunge', srcMailboxId);
    }
    return r;
  }

  copy(srcMailboxId: number, uids: number[], dstName: string): Promise<CopyResult> { return this.copyOrMove(srcMailboxId, uids, dstName, false); }
  move(srcMailboxId: number, uids: number[], dstName: string): Promise<CopyResult> { return this.copyOrMove(srcMailboxId, uids, dstName, true); }

  async expunge(mailboxId: number, uids?: number[]): Promise<number[]> {
    await this.ownId(mailboxId);
    const r = await this.store.expunge(mailboxId, uids);
    if (r.length > 0) this.publish('expunge', mailboxId);
    return r;
  }

  async changesSince(mailboxId: number, modseq: number) { await this.ownId(mailboxId); return this.store.changesSince(mailboxId, modseq); }
  async claimRecent(mailboxId: number): Promise<number> { await this.ownId(mailboxId); return this.store.claimRecent(mailboxId); }
  async searchText(mailboxId: number, field: Parameters<MailStore['searchText']>[1], value: string): Promise<Set<number>> {
    await this.ownId(mailboxId);
    return this.store.searchText(mailboxId, field, value);
  }

  async quota(): Promise<{ usedBytes: number; limitBytes: number | null }> {
    const fresh = await this.store.getAccountById(this.account.id);
    return { usedBytes: await this.store.usedBytes(this.account.id), limitBytes: fresh?.quotaBytes ?? null };
  }

  watch(listener: (event: ChangeEvent) => void): () => void {
    return this.store.changes.subscribe(this.account.id, listener);
  }
}

export function createMailboxService(store: MailStore, limits: Partial<MailboxLimits> = {}): MailboxService {
  const effective: MailboxLimits = { ...DEFAULT_MAILBOX_LIMITS, ...limits };
  return {
    limits: effective,
    forAccount(account: Account): UserMailboxes {
      return new AccountMailboxes(account, store, effective);
    },
    async deliver(address: string, raw: Buffer, options: DeliverOptions = {}): Promise<AppendResult> {
      const account = await store.getAccount(address);
      if (!account) throw new MailError('NONEXISTENT', 'no such user');
      const opts: { flags?: string[]; internalDate?: Date } = {};
      if (options.flags) opts.flags = options.flags;
      if (options.internalDate) opts.internalDate = options.internalDate;
      return new AccountMailboxes(account, store, effective).append(options.mailbox ?? 'INBOX', raw, opts);
    },
  };
}
