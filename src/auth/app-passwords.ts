/**
 * App passwords: generated, high-entropy, per-user secrets limited to chosen protocols, stored
 * hashed in the store (MailStore.createAppPassword & co., optional members).
 *
 * Storage: `$apppw-sha256$SALT$DIGEST`, a salted SHA-256 of the canonical form. An 80-bit random
 * secret needs no slow hash (guessing 2^80 SHA-256 inputs is out of reach), and a fast one makes a
 * failed login cost the same whether the account has no app password or twenty: argon2id per app
 * password (the format before this one, still verified) would tell accounts apart by timing.
 *
 * Format: four groups of four characters from a 32-letter alphabet without look-alikes
 * ("abcd-efgh-jkmn-pqrs", 80 bits). The shape tells the authenticator when to try them: a login
 * whose password has this shape and does not match the account password is checked against the
 * account's app passwords for the protocol (for an unknown user, a dummy verification of the same
 * cost runs instead).
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { verifyPassword } from './passwords.js';
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

const FAST_PREFIX = '$apppw-sha256$';

/** The stored form of a new app password (`canonical`: normalizeAppPassword's output). */
export function hashAppPassword(canonical: string): string {
  const salt = randomBytes(16).toString('base64');
  return `${FAST_PREFIX}${salt}$${digest(salt, canonical).toString('base64')}`;
}

function digest(salt: string, canonical: string): Buffer {
  return createHash('sha256').update(salt).update('\0').update(canonical).digest();
}

/** True when `canonical` matches a stored app password, either format, compared in constant time. */
export async function verifyAppPassword(stored: string, canonical: string): Promise<boolean> {
  if (!stored.startsWith(FAST_PREFIX)) return verifyPassword(stored, canonical); // argon2id, from before
  const [salt, want] = stored.slice(FAST_PREFIX.length).split('$');
  if (!salt || !want) return false;
  const expected = Buffer.from(want, 'base64');
  const got = digest(salt, canonical);
  return expected.length === got.length && timingSafeEqual(expected, got);
}
