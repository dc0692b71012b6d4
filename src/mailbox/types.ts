/**
 * The mailbox layer's contract: protocol-neutral mail operations that IMAP, POP3, LMTP,
 * submission and `portcullis deliver` share. It parses incoming messages once (message/
 * indexer), enforces quota and naming rules, writes through the MailStore and publishes
 * change events. A protocol session gets a UserMailboxes handle only after login.
 */
import type {
  Account, AppendResult, Changes, CopyResult, FlagOp, FlagRecord, MailboxInfo, MessageRecord, SpecialUse,
  StoreFlagsResult, TextField, UidRange, ChangeEvent,
} from '../store/store.js';
import type { ParsedMessage } from '../message/types.js';

export interface MailboxLimits {
  /** Largest message accepted by append/deliver, in octets (APPENDLIMIT). */
  maxMessageSize: number;
  /** Deepest mailbox hierarchy level allowed. */
  maxMailboxDepth: number;
  /** Longest mailbox name, in UTF-8 octets. */
  maxMailboxNameLength: number;
}

export const DEFAULT_MAILBOX_LIMITS: MailboxLimits = {
  maxMessageSize: 50 * 1024 * 1024,
  maxMailboxDepth: 32,
  maxMailboxNameLength: 512,
};

export interface DeliverOptions {
  /** Target mailbox name; INBOX when absent. A missing mailbox is an error (NONEXISTENT). */
  mailbox?: string;
  flags?: string[];
  internalDate?: Date;
}

/** Operations on one user's mailboxes. Mailbox names are full "/"-separated UTF-8 names. */
export interface UserMailboxes {
  readonly account: Account;
  list(): Promise<MailboxInfo[]>;
  get(name: string): Promise<MailboxInfo | null>; // INBOX case-insensitive
  getById(id: number): Promise<MailboxInfo | null>;
  /** Creates the mailbox and any missing parents (RFC 3501 CREATE). Refuses bad names (CANNOT). */
  create(name: string, specialUse?: SpecialUse | null): Promise<MailboxInfo>;
  /** RFC 3501 DELETE: INBOX never; a mailbox with children only when it is... removed normally. */
  delete(name: string): Promise<void>;
  /** RFC 3501 RENAME, with children; renaming INBOX moves its messages to a new mailbox. */
  rename(oldName: string, newName: string): Promise<void>;
  subscribe(name: string): Promise<void>;
  unsubscribe(name: string): Promise<void>;
  subscriptions(): Promise<string[]>;

  append(mailbox: string, raw: Buffer, options?: { flags?: string[]; internalDate?: Date }): Promise<AppendResult>;
  listUids(mailboxId: number): Promise<Uint32Array>;
  fetchRecords(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<MessageRecord[]>;
  fetchFlags(mailboxId: number, ranges: UidRange[], batchSize?: number): AsyncIterable<FlagRecord[]>;
  getParsed(mailboxId: number, uid: number): Promise<ParsedMessage | null>;
  /** By a record's blobId (content hash): what FETCH uses, no mailbox lookup. */
  getParsedBlob(blobId: string): Promise<ParsedMessage | null>;
  readBlob(blobId: string, start?: number, end?: number): Promise<Buffer>;
  streamBlob(blobId: string, start?: number, end?: number): NodeJS.ReadableStream;
  storeFlags(mailboxId: number, uids: number[], op: FlagOp, flags: string[], unchangedSince?: number): Promise<StoreFlagsResult>;
  copy(srcMailboxId: number, uids: number[], dstName: string): Promise<CopyResult>;
  move(srcMailboxId: number, uids: number[], dstName: string): Promise<CopyResult>;
  expunge(mailboxId: number, uids?: number[]): Promise<number[]>;
  changesSince(mailboxId: number, modseq: number): Promise<Changes>;
  claimRecent(mailboxId: number): Promise<number>;
  searchText(mailboxId: number, field: TextField, value: string): Promise<Set<number>>;
  quota(): Promise<{ usedBytes: number; limitBytes: number | null }>;
  /** Change events for this account; returns an unsubscribe function. */
  watch(listener: (event: ChangeEvent) => void): () => void;
}

export interface MailboxService {
  readonly limits: MailboxLimits;
  forAccount(account: Account): UserMailboxes;
  /** Delivery path shared by LMTP, submission and `portcullis deliver`. */
  deliver(address: string, raw: Buffer, options?: DeliverOptions): Promise<AppendResult>;
}
