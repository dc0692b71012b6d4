/**
 * Directory backends: where accounts come from and who verifies their secrets. The interface keeps
 * the two apart — "look up the account" (no secret involved: quota, per-protocol switches, the
 * mail address the store keys the mailboxes by) and "verify a secret" — so that a backend may
 * verify by binding as the user (LDAP) while the store keeps the mail.
 *
 * The local directory (accounts and argon2id hashes in the store) is the default and lives in
 * auth/authenticator.ts; an external one (LDAP / Active Directory: ldap.ts) is passed to the
 * Authenticator as `directory`, and its users get a store account on their first login.
 */
export interface DirectoryEntry {
  /** Lower-cased primary mail address: the store account's name. */
  address: string;
  imapEnabled: boolean;
  popEnabled: boolean;
  /** Octets; null = unlimited (or not set in the directory). */
  quotaBytes: number | null;
  /**
   * Backend pin (HOST[:PORT]) from the directory: null = not pinned; absent = the directory has
   * no pin attribute configured, so the store account's own pin (set with the CLI) is kept.
   */
  backend?: string | null;
}

/** The directory cannot be reached or answered with an error: the login gets a temporary failure. */
export class DirectoryUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectoryUnavailableError';
  }
}

export interface Directory {
  readonly kind: string;
  /** The account for a login name, or null when there is none. Throws DirectoryUnavailableError. */
  lookup(username: string): Promise<DirectoryEntry | null>;
  /**
   * Verifies a password. The entry on success; null for an unknown user or a wrong password
   * (never distinguished). Throws DirectoryUnavailableError when the directory is down.
   */
  verify(username: string, password: string): Promise<DirectoryEntry | null>;
  close(): Promise<void>;
}
