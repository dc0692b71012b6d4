/**
 * The one list of mail errors. Every layer throws MailError with one of these codes; each
 * protocol maps codes to replies in exactly one place (IMAP response codes, POP3 -ERR codes,
 * SMTP enhanced status codes). Handlers never write reply text for storage failures by hand.
 */
export type MailErrorCode =
  | 'NONEXISTENT' // mailbox / message / account does not exist
  | 'ALREADYEXISTS' // mailbox already exists
  | 'INUSE' // resource locked by someone else (POP3 maildrop, mailbox being deleted)
  | 'CANNOT' // operation can never succeed (delete INBOX, rename to own child, bad name)
  | 'LIMIT' // a configured limit was hit (command size, literal size, connections)
  | 'OVERQUOTA' // quota exceeded
  | 'TOOBIG' // message larger than allowed
  | 'NOPERM' // not allowed for this user
  | 'PRIVACYREQUIRED' // login policy refuses credentials on this connection
  | 'AUTHENTICATIONFAILED' // wrong user or password (never says which)
  | 'AUTHORIZATIONFAILED' // authorization identity refused
  | 'UNAVAILABLE' // a backend or service is temporarily unavailable
  | 'SERVERBUG' // an internal error: logged with detail, reported without
  | 'BADINPUT' // malformed input from a client or operator
  | 'EXPUNGEISSUED' // a message named by the client was expunged meanwhile
  | 'CORRUPTION'; // stored data failed a check

export class MailError extends Error {
  readonly code: MailErrorCode;
  constructor(code: MailErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'MailError';
  }
}

export function isMailError(err: unknown, code?: MailErrorCode): err is MailError {
  return err instanceof MailError && (code === undefined || err.code === code);
}
