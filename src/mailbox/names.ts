/** Mailbox name rules, enforced by the mailbox layer before anything reaches a store. */
import { MailError } from '../core/errors.js';
import { normalizeMailboxName } from '../store/names.js';
import { HIERARCHY_SEPARATOR } from '../store/store.js';
import type { MailboxLimits } from './types.js';

/** True when the string has an unpaired UTF-16 surrogate (it could not be encoded as UTF-8). */
function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/**
 * Checks a full mailbox name and returns it normalised (INBOX in any case becomes "INBOX").
 * Refusals are MailError('CANNOT') with a reason a client can show.
 */
export function validateMailboxName(name: unknown, limits: Pick<MailboxLimits, 'maxMailboxDepth' | 'maxMailboxNameLength'>): string {
  if (typeof name !== 'string' || name.length === 0) throw new MailError('CANNOT', 'mailbox name must not be empty');
  if (hasLoneSurrogate(name) || name.includes('\uFFFD')) throw new MailError('CANNOT', 'mailbox name is not valid UTF-8');
  if (/[\x00-\x1f\x7f\x80-\x9f]/.test(name)) throw new MailError('CANNOT', 'mailbox name must not contain control characters');
  if (/[*%]/.test(name)) throw new MailError('CANNOT', 'mailbox name must not contain "*" or "%"');
  if (name.startsWith(HIERARCHY_SEPARATOR) || name.endsWith(HIERARCHY_SEPARATOR)) {
    throw new MailError('CANNOT', `mailbox name must not start or end with "${HIERARCHY_SEPARATOR}"`);
  }
  const levels = name.split(HIERARCHY_SEPARATOR);
  if (levels.some((l) => l.length === 0)) throw new MailError('CANNOT', 'mailbox name must not have empty levels');
  if (levels.some((l) => l === '.' || l === '..')) throw new MailError('CANNOT', 'mailbox name must not have "." or ".." levels');
  if (levels.length > limits.maxMailboxDepth) throw new MailError('CANNOT', `mailbox name is deeper than ${limits.maxMailboxDepth} levels`);
  if (Buffer.byteLength(name, 'utf8') > limits.maxMailboxNameLength) {
    throw new MailError('CANNOT', `mailbox name is longer than ${limits.maxMailboxNameLength} octets`);
  }
  return normalizeMailboxName(name);
}

/** The names of every ancestor of a name, outermost first ("a/b/c" -> ["a", "a/b"]). */
export function ancestors(name: string): string[] {
  const levels = name.split(HIERARCHY_SEPARATOR);
  const out: string[] = [];
  for (let i = 1; i < levels.length; i++) out.push(levels.slice(0, i).join(HIERARCHY_SEPARATOR));
  return out;
}
