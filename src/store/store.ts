/**
 * The storage contract. Every backend (sqlite/ now, postgres/ later) implements MailStore and
 * passes the same conformance suite (conformance/). Nothing above this layer knows which backend
 * it talks to.
 *
 * Rules every backend keeps:
 * - A promise that resolves means the change is durable (transaction committed, blob fsynced).
 * - UIDs are strictly increasing per mailbox and never reused for a given UIDVALIDITY.
 * - Every change to a message or mailbox gets a new MODSEQ, strictly increasing per mailbox;
 *   HIGHESTMODSEQ is the greatest MODSEQ given out in that mailbox (expunges included).
 * - Expunged UIDs are remembered with the MODSEQ of their expunge (tombstones) so that
 *   changesSince() can report them (CONDSTORE/QRESYNC VANISHED, session resync).
 * - Mailbox names are full paths with "/" as separator, stored as UTF-8. "INBOX" is
 *   case-insensitive: any casing of it names the account's inbox, which is stored as "INBOX".
 * - Nothing assumes it is the only process using the store.
 * - Failures are MailError (core/errors.ts) with a meaningful code.
 */
import type { ParsedMessage } from '../message/types.js';

export type SpecialUse = '\\Drafts' | '\\Sent' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

/** Mailboxes every new account gets (with INBOX). */
export const DEFAULT_MAILBOXES: ReadonlyArray<{ name: string; specialUse: SpecialUse | null }> = [
  { name: 'INBOX', specialUse: null },
  { name: 'Drafts', specialUse: '\\Drafts' },
  { name: 'Sent', specialUse: '\\Sent' },
  { name: 'Trash', specialUse: '\\Trash' },
  { name: 'Junk', specialUse: '\\Junk' },
  { name: 'Archive', specialUse: '\\Archive' },
];

export const HIERARCHY_SEPARATOR = '/';

export interface Account {
  id: number;
  /** Lower-cased primary address, e.g. "alice@example.org". */
  address: string;
  /** Password hash in PHC or {SCHEME} form; null when the account has no local password. */
  passwordHash: string | null;
  imapEnabled: boolean;
  popEnabled: boolean;
  /** Storage quota in octets; null = unlimited. */
  quotaBytes: number | null;
  /**
   * The backend a frontend must hand this user to (HOST[:PORT], the port defaulting to the
   * protocol's proxy-target-port) instead of the rendezvous choice; null or absent: no pin.
   */
  backend?: string | null;
  createdAt: Date;
}

export interface MailboxInfo {
  id: number;
  accountId: number;
  /** Full name, "/"-separated, UTF-8 ("INBOX" for the inbox). */
  name: string;
  specialUse: SpecialUse | null;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Number of messages now in the mailbox. */
  messages: number;
  /** Messages without \Seen. */
  unseen: number;
  /** Sum of RFC822.SIZE of the messages (STATUS SIZE). */
  size: number;
  subscribed: boolean;
}

/** A message's mutable metadata plus the facts LIST/STAT/FETCH need without the blob. */
export interface MessageRecord {
  uid: number;
  modseq: number;
  /** System flags (\Seen, \Answered, \Flagged, \Deleted, \Draft) and keywords, as stored. */
  flags: string[];
  internalDate: Date;
  size: number;
  /** Identifies the immutable raw bytes (e.g. a content hash); shared by copies. */
  blobId: string;
}

/** What a FETCH of FLAGS, UID and MODSEQ alone needs (fetchFlags): no content hash, date or size. */
export type FlagRecord = Pick<MessageRecord, 'uid' | 'modseq' | 'flags'>;

export interface AppendInput {
  raw: Buffer;
  parsed: ParsedMessage;
  flags?: string[];
  internalDate?: Date;
}

export interface AppendResult {
  uid: number;
  modseq: number;
  uidValidity: number;
}

export type FlagOp = 'set' | 'add' | 'remove';

export interface StoreFlagsResult {
  /** Messages whose flags changed (or were set to the same value for 'set'), with new modseq. */
  updated: MessageRecord[];
  /** UIDs skipped because their modseq was above unchangedSince (CONDSTORE MODIFIED). */
  modified: number[];
}

export interface CopyResult {
  uidValidity: number;
  /** Pairs of source UID -> destination UID, in source UID order. */
  map: Array<[number, number]>;
}

export interface Changes {
  /** Messages added or changed after `since`, in UID order. */
  changed: MessageRecord[];
  /** UIDs expunged after `since`, ascending. */
  expunged: number[];
  highestModseq: number;
}

/** Inclusive UID range; `to` may be Infinity (meaning "*" / up to the last message). */
export interface UidRange {
  from: number;
  to: number;
}

/** One event of the change feed. It is a hint: a listener resyncs with changesSince(). */
export interface ChangeEvent {
  accountId: number;
  mailboxId: number | null;
  kind: 'append' | 'flags' | 'expunge' | 'mailbox-create' | 'mailbox-delete' | 'mailbox-rename' | 'subscription';
  modseq?: number;
}

export interface ChangeFeed {
  /** Returns an unsubscribe function. */
  subscribe(accountId: number, listener: (event: ChangeEvent) => void): () => void;
  publish(event: ChangeEvent): void;
}

/** An app password: a per-user secret limited to some protocols, stored hashed (argon2id). */
export interface AppPasswordRecord {
  id: number;
  accountId: number;
  /** Unique per account, chosen by the user ("phone", "laptop-thunderbird"). */
  name: string;
  passwordHash: string;
  /** Protocols it may be used with: "imap4", "pop3", "smtp". */
  protocols: string[];
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Fields SEARCH can ask the store to match as case-insensitive substrings of decoded text. */
export type TextField = 'text' | 'body' | 'subject' | 'from' | 'to' | 'cc' | 'bcc' | { header: string };

export interface MailStore {
  readonly kind: string;
  readonly changes: ChangeFeed;

  // --- accounts (the local directory keeps its accounts here) ---
  createAccount(address: string, passwordHash: string | null): Promise<Account>; // also creates DEFAULT_MAILBOXES
  getAccount(address: string): Promise<Account | null>; // case-insensitive
  getAccountById(id: number): Promise<Account | null>;
  listAccounts(): Promise<Account[]>;
  updateAccount(id: number, patch: Partial<Pick<Account, 'passwordHash' | 'imapEnabled' | 'popEnabled' | 'quotaBytes' | 'backend'>>): Promise<void>;
  deleteAccount(id: number): Promise<void>; // removes its mailboxes and messages
  /** Octets used by all messages of the account. */
  usedBytes(accountId: number): Promise<number>;

  // --- app passwords (optional: a backend without them simply has none) ---
  /** Fails with ALREADYEXISTS when the account already has one of that name. */
  createAppPassword?(accountId: number, name: string, passwordHash: string, protocols: string[]): Promise<AppPasswordRecord>;
  listAppPasswords?(accountId: number): Promise<AppPasswordRecord[]>;
  /** True when one was removed. */
  deleteAppPassword?(accountId: number, name: string): Promise<boolean>;
  /** Records a successful use. */
  touchAppPassword?(id: number, at: Date): Promise<void>;

  // --- mailboxes ---
  listMailboxes(accountId: number): Promise<MailboxInfo[]>;
  getMailbox(accountId: number, name: string): Promise<MailboxInfo | null>;
  getMailboxById(mailboxId: number): Promise<MailboxInfo | null>;
  createMailbox(accountId: number, name: string, specialUse?: SpecialUse | null): Promise<MailboxInfo>;
  /** Deletes the mailbox and its messages (the caller enforces IMAP's rules about children). */
  deleteMailbox(mailboxId: number): Promise<void>;
  /** Renames a mailbox and all its children (INBOX rename semantics are the mailbox layer's). */
  renameMailbox(mailboxId: number, newName: string): Promise<void>;
  setSubscribed(accountId: number, name: string, subscribed: boolean): Promise<void>;
  /** Subscribed names, which may include names of mailboxes that do not exist. */
  listSubscriptions(accountId: number): Promise<string[]>;

  // --- messages ---
  append(mailboxId: number, input: AppendInput): Promise<AppendResult>;
  /** All UIDs of the mailbox, ascending (the session's sequence-number map is built from it). */
  listUids(mailboxId: number): Promise<Uint32Array>;
  /** Metadata for messages in the ranges, ascending by UID, in batches of at most batchSize. */
  fetchRecords(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<MessageRecord[]>;
  /**
   * Like fetchRecords with only UID, MODSEQ and flags: a mail client's flag resync
   * (`UID FETCH 1:* (FLAGS)`) over a big mailbox reads and builds much less per message. The
   * flag arrays may be shared between records (and frozen): copy one to change it.
   */
  fetchFlags(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<FlagRecord[]>;
  getParsed(mailboxId: number, uid: number): Promise<ParsedMessage | null>;
  /**
   * The parsed form of a message by its content hash (a record's blobId), or null when there is
   * no such blob. Blobs never change, so stores keep recent ones in memory (parsed-cache.ts):
   * FETCH, which has the records already, needs no further query. Shared: never mutate it.
   */
  getParsedBlob(blobId: string): Promise<ParsedMessage | null>;
  /** The raw bytes [start, end) of a blob, or all of them. */
  readBlob(blobId: string, start?: number, end?: number): Promise<Buffer>;
  /** A stream of the raw bytes [start, end): for large bodies (RETR, BODY[]). */
  streamBlob(blobId: string, start?: number, end?: number): NodeJS.ReadableStream;
  storeFlags(mailboxId: number, uids: number[], op: FlagOp, flags: string[], unchangedSince?: number): Promise<StoreFlagsResult>;
  copy(srcMailboxId: number, uids: number[], dstMailboxId: number): Promise<CopyResult>;
  /** Atomic move (copy + expunge at the source in one transaction). */
  move(srcMailboxId: number, uids: number[], dstMailboxId: number): Promise<CopyResult>;
  /** Expunges messages flagged \Deleted (restricted to `uids` when given). Returns expunged UIDs ascending. */
  expunge(mailboxId: number, uids?: number[]): Promise<number[]>;
  changesSince(mailboxId: number, modseq: number): Promise<Changes>;
  /**
   * \Recent (RFC 3501 §2.3.2): claims for the calling session every message with UID >= the
   * mailbox's first-recent mark and moves the mark to UIDNEXT. Returns the lowest UID that is
   * \Recent for this session (messages with uid >= it were recent for it).
   */
  claimRecent(mailboxId: number): Promise<number>;
  /** UIDs of messages in the mailbox whose decoded `field` contains `value` (case-insensitive). */
  searchText(mailboxId: number, field: TextField, value: string): Promise<Set<number>>;

  // --- locks that die with their holder (POP3 maildrop) ---
  /** Try to take a named lock; false when another live holder has it. */
  tryLock(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extend a held lock; false when it was lost. */
  renewLock(name: string, holder: string, ttlMs: number): Promise<boolean>;
  unlock(name: string, holder: string): Promise<void>;

  /** Runs the backend's integrity check; returns a list of problems (empty = sound). */
  checkIntegrity(): Promise<string[]>;
  close(): Promise<void>;
}
