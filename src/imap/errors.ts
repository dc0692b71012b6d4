/** The one place MailError codes become IMAP response codes. */
import { isMailError, type MailErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { ImapSyntaxError } from './protocol/tokenizer.js';
import { MailboxNameError } from './protocol/mutf7.js';
import type { CommandResult } from './commands/types.js';

const CODES: Record<MailErrorCode, string | null> = {
  NONEXISTENT: 'NONEXISTENT', ALREADYEXISTS: 'ALREADYEXISTS', INUSE: 'INUSE', CANNOT: 'CANNOT',
  LIMIT: 'LIMIT', OVERQUOTA: 'OVERQUOTA', TOOBIG: 'TOOBIG', NOPERM: 'NOPERM',
  PRIVACYREQUIRED: 'PRIVACYREQUIRED', AUTHENTICATIONFAILED: 'AUTHENTICATIONFAILED',
  AUTHORIZATIONFAILED: 'AUTHORIZATIONFAILED', UNAVAILABLE: 'UNAVAILABLE', SERVERBUG: 'SERVERBUG',
  BADINPUT: null, EXPUNGEISSUED: 'EXPUNGEISSUED', CORRUPTION: 'CORRUPTION',
};

/** Maps any error thrown by a handler to a tagged reply; logs what the client must not see. */
export function errorToResult(err: unknown, logger: Logger, command: string): CommandResult {
  if (err instanceof ImapSyntaxError) return { status: 'BAD', text: err.message };
  if (err instanceof MailboxNameError) return { status: 'NO', code: 'CANNOT', text: err.message };
  if (isMailError(err)) {
    if (err.code === 'BADINPUT') return { status: 'BAD', text: err.message };
    if (err.code === 'SERVERBUG' || err.code === 'CORRUPTION') {
      logger.error('imap-command-failed', { command, err });
      return { status: 'NO', code: CODES[err.code] ?? undefined, text: 'Internal error occurred. Refer to server log for more information.' };
    }
    return { status: 'NO', code: CODES[err.code] ?? undefined, text: err.message };
  }
  logger.error('imap-command-failed', { command, err: err instanceof Error ? err : new Error(String(err)) });
  return { status: 'NO', code: 'SERVERBUG', text: 'Internal error occurred. Refer to server log for more information.' };
}
