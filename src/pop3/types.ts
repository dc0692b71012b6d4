/**
 * The POP3 frontend/backend boundary. The frontend (greeting, CAPA, STLS, USER/PASS, AUTH) owns
 * the connection and its framing; after a successful login it asks the backend to open the
 * account's maildrop (lock + snapshot) and then hands every TRANSACTION-state command to it.
 * The backend never sees a password.
 */
import type { Logger } from '../core/log.js';
import type { Account, MailStore } from '../store/store.js';
import type { PopCommand } from './protocol.js';
import type { Connection } from '../net/types.js';

/** Where replies go: the session's connection (or, later, a proxied stream). */
export interface PopOutput {
  write(data: string | Buffer): void;
  /** Resolves when buffered output is below the high-water mark (backpressure). */
  drained(): Promise<void>;
  /** Ends the connection (e.g. a message stream broke mid-reply and framing is lost). */
  close(finalWrite?: string): void;
}

export interface MaildropRequest {
  account: Account;
  sessionId: string;
  logger: Logger;
  /** The client's connection (a remote backend is told its address and TLS facts). */
  client?: Connection;
}

/** An open maildrop: locked for this session and holding the snapshot taken at login. */
export interface Pop3Transaction {
  /** Messages and octets in the snapshot (for the login reply). */
  readonly count: number;
  readonly octets: number;
  /** Runs one TRANSACTION-state command and writes its reply; 'quit' after QUIT was answered. */
  execute(cmd: PopCommand, out: PopOutput): Promise<'continue' | 'quit'>;
  /** The session ended without QUIT: release the lock, delete nothing. Idempotent. */
  abort(): Promise<void>;
}

export interface Pop3Backend {
  /**
   * Locks and snapshots the account's INBOX. Rejects with MailError 'INUSE' while another
   * session holds the maildrop, 'UNAVAILABLE' / other codes on storage failures.
   */
  openMaildrop(req: MaildropRequest): Promise<Pop3Transaction>;
}

/** The named locks of the store that die with their holder (MailStore.tryLock and friends). */
export type MaildropLocks = Pick<MailStore, 'tryLock' | 'renewLock' | 'unlock'>;
