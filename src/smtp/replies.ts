/**
 * The one place where mail errors become SMTP/LMTP replies (enhanced status codes, RFC 3463).
 */
import { isMailError } from '../core/errors.js';
import { smtpError, type SmtpReplyError } from './server.js';

export function replyForError(err: unknown): SmtpReplyError {
  if (isMailError(err)) {
    switch (err.code) {
      case 'NONEXISTENT': return smtpError(550, '5.1.1', 'No such user here');
      case 'OVERQUOTA': return smtpError(552, '5.2.2', 'Mailbox full: quota exceeded');
      case 'TOOBIG': return smtpError(552, '5.3.4', 'Message too big for system');
      case 'NOPERM': return smtpError(550, '5.7.1', 'Delivery not authorized');
      case 'BADINPUT':
      case 'CANNOT': return smtpError(554, '5.6.0', 'Message refused: ' + err.message.replace(/[\r\n]/g, ' ').slice(0, 200));
      case 'LIMIT': return smtpError(452, '4.3.1', 'Insufficient system resources, try again later');
      default: return smtpError(451, '4.3.0', 'Temporary local problem, try again later');
    }
  }
  return smtpError(451, '4.3.0', 'Temporary local problem, try again later');
}

/** Whether a reply is a permanent failure. */
export function isPermanent(err: SmtpReplyError): boolean {
  return err.responseCode >= 500;
}
