/**
 * Password hashing and verification.
 *
 * New hashes: argon2id (PHC string) at or above the OWASP minimum (m=19456 KiB, t=2, p=1).
 * Verification also accepts hashes imported from Dovecot passwd-files:
 *   {ARGON2ID}$argon2id$...   {SHA512-CRYPT}$6$...   {SHA256-CRYPT}$5$...   {SSHA512}base64
 * ({BLF-CRYPT} is verified with bcryptjs, a pure-JavaScript bcrypt; it is never used for new hashes.)
 * Every comparison of derived bytes is constant-time.
 */
import bcrypt from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Options as Argon2Options } from '@node-rs/argon2';
import { DEFAULT_SCRAM_ITERATIONS, MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS, SCRAM_PREFIX, deriveScramKeys, formatScramKeys, parseScramKeys, type ScramKeys } from './scram.js';

export interface Argon2Params {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

/** OWASP Password Storage Cheat Sheet minimum for argon2id. */
export const OWASP_MIN_ARGON2: Readonly<Argon2Params> = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
let currentParams: Argon2Params = { ...OWASP_MIN_ARGON2 };

/** Sets the argon2id parameters for new hashes (never below the OWASP minimum). */
export function setArgon2Params(p: Partial<Argon2Params>): void {
  const next = { ...currentParams, ...p };
  if (next.memoryCost < OWASP_MIN_ARGON2.memoryCost || next.timeCost < OWASP_MIN_ARGON2.timeCost || next.parallelism < 1) {
    throw new Error(`argon2id parameters below the OWASP minimum (m=${OWASP_MIN_ARGON2.memoryCost}, t=${OWASP_MIN_ARGON2.timeCost}, p=1)`);
  }
  currentParams = next;
}
export function argon2Params(): Argon2Params {
  return { ...currentParams };
}

const ARGON2ID = 2; // Algorithm.Argon2id (a const enum in the package's types)

function argonOptions(p: Argon2Params): Argon2Options {
  return { algorithm: ARGON2ID as Argon2Options['algorithm'], memoryCost: p.memoryCost, timeCost: p.timeCost, parallelism: p.parallelism };
}

let scramIterations = DEFAULT_SCRAM_ITERATIONS;

/** PBKDF2 iterations for new SCRAM-SHA-256 keys (RFC 7677 minimum 4096). */
export function setScramIterations(n: number): void {
  if (!Number.isInteger(n) || n < MIN_SCRAM_ITERATIONS || n > MAX_SCRAM_ITERATIONS) {
    throw new Error(`SCRAM iterations must be an integer from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS}`);
  }
  scramIterations = n;
}

/**
 * Hashes a new password with argon2id and returns the stored secret: the PHC string
 * ($argon2id$v=19$m=...,t=...,p=...$salt$hash), then — unless `scram: false` — one space and the
 * SCRAM-SHA-256 stored keys ({SCRAM-SHA-256}i,salt,StoredKey,ServerKey) so that SCRAM can be
 * offered without a reversible password.
 */
export async function hashPassword(pw: string, opts: { scram?: boolean } = {}): Promise<string> {
  const argon = await argon2Hash(pw, argonOptions(currentParams));
  if (opts.scram === false) return argon;
  return `${argon} ${formatScramKeys(deriveScramKeys(pw, undefined, scramIterations))}`;
}

export function scramIterationsSetting(): number {
  return scramIterations;
}

/** Splits a stored secret into its verifiable hash and its SCRAM keys (when present). */
export function splitStoredSecret(stored: string): { hash: string; scram: ScramKeys | null } {
  const i = stored.indexOf(` ${SCRAM_PREFIX}`);
  if (i < 0) return { hash: stored, scram: null };
  return { hash: stored.slice(0, i), scram: parseScramKeys(stored.slice(i + 1)) };
}

/** The SCRAM-SHA-256 keys kept with a password, or null (the account cannot use SCRAM). */
export function scramKeysOf(stored: string | null): ScramKeys | null {
  return stored === null ? null : splitStoredSecret(stored).scram;
}

export type HashScheme = 'ARGON2ID' | 'SHA512-CRYPT' | 'SHA256-CRYPT' | 'BLF-CRYPT' | 'SSHA512' | 'unknown';

/** Splits an optional "{SCHEME}" prefix off and names the scheme. */
export function hashScheme(stored: string): { scheme: HashScheme; body: string } {
  const m = /^\{([A-Za-z0-9.-]+)\}(.*)$/s.exec(stored);
  const prefix = m ? m[1].toUpperCase() : null;
  const body = m ? m[2] : stored;
  if (prefix === 'ARGON2ID' || (prefix === null && body.startsWith('$argon2id$'))) return { scheme: 'ARGON2ID', body };
  if (prefix === 'SHA512-CRYPT' || (prefix === null && body.startsWith('$6$'))) return { scheme: 'SHA512-CRYPT', body };
  if (prefix === 'SHA256-CRYPT' || (prefix === null && body.startsWith('$5$'))) return { scheme: 'SHA256-CRYPT', body };
  if (prefix === 'BLF-CRYPT' || (prefix === null && /^\$2[abxy]\$/.test(body))) return { scheme: 'BLF-CRYPT', body };
  if (prefix === 'SSHA512') return { scheme: 'SSHA512', body };
  return { scheme: 'unknown', body };
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a); // same work either way
    return false;
  }
  return timingSafeEqual(a, b);
}

/** True when `pw` matches `stored`. Never throws for a malformed hash: it does not match. */
export async function verifyPassword(stored: string, pw: string): Promise<boolean> {
  const { scheme, body } = hashScheme(splitStoredSecret(stored).hash);
  try {
    switch (scheme) {
      case 'ARGON2ID':
        return body.startsWith('$argon2id$') ? await argon2Verify(body, pw) : false;
      case 'SHA512-CRYPT':
      case 'SHA256-CRYPT': {
        const expected = shaCrypt(scheme === 'SHA512-CRYPT' ? 'sha512' : 'sha256', pw, body);
        return expected !== null && safeEqual(Buffer.from(expected), Buffer.from(body));
      }
      case 'BLF-CRYPT':
        // bcryptjs compares in constant time; $2y$ (PHP/Dovecot) is the same algorithm as $2b$.
        return /^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(body) && (await bcrypt.compare(pw, body.replace(/^\$2y\$/, '$2b$')));
      case 'SSHA512': {
        const raw = Buffer.from(body, 'base64');
        if (raw.length <= 64) return false;
        const digest = createHash('sha512').update(pw, 'utf8').update(raw.subarray(64)).digest();
        return safeEqual(digest, raw.subarray(0, 64));
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** True when the hash should be replaced by a fresh argon2id hash at the next successful login. */
export function needsRehash(stored: string): boolean {
  const split = splitStoredSecret(stored);
  if (split.scram === null || split.scram.iterations < scramIterations) return true; // add SCRAM keys at the next login
  stored = split.hash;
  const { scheme, body } = hashScheme(stored);
  if (scheme !== 'ARGON2ID' || stored.startsWith('{')) return true;
  const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(body);
  if (!m) return true;
  const [mm, tt, pp] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return mm < currentParams.memoryCost || tt < currentParams.timeCost || pp < currentParams.parallelism;
}

// ---- SHA-crypt (Ulrich Drepper, "Unix crypt using SHA-256 and SHA-512") ----

const ITOA64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SHA512_ORDER: ReadonlyArray<readonly [number, number, number]> = [
  [0, 21, 42], [22, 43, 1], [44, 2, 23], [3, 24, 45], [25, 46, 4], [47, 5, 26], [6, 27, 48],
  [28, 49, 7], [50, 8, 29], [9, 30, 51], [31, 52, 10], [53, 11, 32], [12, 33, 54], [34, 55, 13],
  [56, 14, 35], [15, 36, 57], [37, 58, 16], [59, 17, 38], [18, 39, 60], [40, 61, 19], [62, 20, 41],
];
const SHA256_ORDER: ReadonlyArray<readonly [number, number, number]> = [
  [0, 10, 20], [21, 1, 11], [12, 22, 2], [3, 13, 23], [24, 4, 14], [15, 25, 5], [6, 16, 26],
  [27, 7, 17], [18, 28, 8], [9, 19, 29],
];

function b64From24(b2: number, b1: number, b0: number, n: number): string {
  let w = (b2 << 16) | (b1 << 8) | b0;
  let out = '';
  for (let i = 0; i < n; i++) {
    out += ITOA64[w & 0x3f];
    w >>>= 6;
  }
  return out;
}

function repeatTo(src: Buffer, len: number): Buffer {
  const out = Buffer.alloc(len);
  for (let i = 0; i < len; i += src.length) src.copy(out, i, 0, Math.min(src.length, len - i));
  return out;
}

/**
 * Computes "$6$[rounds=N$]salt$hash" (or $5$) for `pw` with the salt and rounds of `setting`;
 * null when the setting is malformed.
 */
export function shaCrypt(alg: 'sha512' | 'sha256', pw: string, setting: string): string | null {
  const id = alg === 'sha512' ? '6' : '5';
  const m = new RegExp(`^\\$${id}\\$(rounds=(\\d{1,9})\\$)?([^$]*)`).exec(setting);
  if (!m) return null;
  const explicitRounds = m[1] !== undefined;
  const rounds = explicitRounds ? Math.min(999_999_999, Math.max(1000, Number(m[2]))) : 5000;
  const salt = Buffer.from(m[3].slice(0, 16), 'utf8');
  const key = Buffer.from(pw, 'utf8');
  const H = (...parts: Buffer[]): Buffer => {
    const h = createHash(alg);
    for (const p of parts) h.update(p);
    return h.digest();
  };
  const B = H(key, salt, key);
  const aParts: Buffer[] = [key, salt, repeatTo(B, key.length)];
  for (let len = key.length; len > 0; len >>= 1) aParts.push(len & 1 ? B : key);
  let C = H(...aParts);
  const DP = H(...Array<Buffer>(key.length).fill(key));
  const P = repeatTo(DP, key.length);
  const DS = H(...Array<Buffer>(16 + C[0]).fill(salt));
  const S = repeatTo(DS, salt.length);
  for (let i = 0; i < rounds; i++) {
    const h = createHash(alg);
    h.update(i & 1 ? P : C);
    if (i % 3) h.update(S);
    if (i % 7) h.update(P);
    h.update(i & 1 ? C : P);
    C = h.digest();
  }
  let enc = '';
  for (const [a, b, c] of alg === 'sha512' ? SHA512_ORDER : SHA256_ORDER) enc += b64From24(C[a], C[b], C[c], 4);
  enc += alg === 'sha512' ? b64From24(0, 0, C[63], 2) : b64From24(0, C[31], C[30], 3);
  return `$${id}$${explicitRounds ? `rounds=${rounds}$` : ''}${salt.toString('utf8')}$${enc}`;
}
