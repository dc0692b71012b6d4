/**
 * App passwords: generated, high-entropy, per-user secrets limited to chosen protocols, stored as
 * argon2id hashes in the store (MailStore.createAppPassword & co., optional members).
 *
 * Format: four groups of four characters from a 32-letter alphabet without look-alikes
 * ("abcd-efgh-jkmn-pqrs", 80 bits). The shape tells the authenticator when to try them: a login
 * whose password has this shape and does not match the account password is checked against the
 * account's app passwords for the protocol (for an unknown user, a dummy verification of the same
 * cost runs instead).
 */
import { randomInt } from 'node:crypto';
import type { Protocol } from './types.js';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // 31 letters and digits: no i, l, o, 0, 1
export const APP_PASSWORD_PROTOCOLS: readonly Protocol[] = ['imap4', 'pop3', 'smtp'];
/** An account may hold at most this many (bounds the work of one failed login). */
export const MAX_APP_PASSWORDS = 20;

export function generateAppPassword(): string {
  const groups: string[] = [];
  for (let g = 0; g < 4; g++) {
    let s = '';
    for (let i = 0; i < 4; i++) s += ALPHABET[randomInt(ALPHABET.length)];
    groups.push(s);
  }
  return groups.join('-');
}

/** The canonical form (lower case, no separators) when `pw` has the app-password shape; else null. */
export function normalizeAppPassword(pw: string): string | null {
  const s = pw.toLowerCase().replace(/[\s-]/g, '');
  return s.length === 16 && [...s].every((c) => ALPHABET.includes(c)) ? s : null;
}

/** Parses "imap4,pop3,smtp" (also accepts "imap"); throws a message naming what is allowed. */
export function parseProtocols(list: string): Protocol[] {
  const out = new Set<Protocol>();
  for (const raw of list.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean)) {
    const p = raw === 'imap' ? 'imap4' : raw === 'submission' ? 'smtp' : raw;
    if (!APP_PASSWORD_PROTOCOLS.includes(p as Protocol)) throw new Error(`--protocols: "${raw.slice(0, 20)}" is not one of imap4, pop3, smtp`);
    out.add(p as Protocol);
  }
  if (out.size === 0) throw new Error('--protocols: give at least one of imap4, pop3, smtp');
  return [...out];
}
