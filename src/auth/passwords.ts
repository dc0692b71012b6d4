/**
 * Password hashing and verification.
 *
 * New hashes: argon2id (PHC string) at or above the OWASP minimum (m=19456 KiB, t=2, p=1).
 * Verification also accepts hashes imported from Dovecot passwd-files:
 *   {ARGON2ID}$argon2id$...   {SHA512-CRYPT}$6$...   {SHA256-CRYPT}$5$...   {SSHA512}base64
 * ({BLF-CRYPT} is verified with bcryptjs, a pure-JavaScript bcrypt; it is never used for new hashes.)
 * Weak schemes ({PLAIN}, {CLEAR}, {PLAIN-MD5}, {MD5-CRYPT}) verify only when the operator lists
 * them in allow-weak-hash-schemes; any imported hash is replaced by argon2id at the next login.
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

/** Schemes too weak to keep: they verify only when allowed (allow-weak-hash-schemes). */
export const WEAK_HASH_SCHEMES = ['PLAIN', 'CLEAR', 'PLAIN-MD5', 'MD5-CRYPT'] as const;
export type WeakHashScheme = (typeof WEAK_HASH_SCHEMES)[number];
let allowedWeak = new Set<WeakHashScheme>();

/** Which weak schemes may verify (case-insensitive names from WEAK_HASH_SCHEMES; others are rejected). */
export function setAllowedWeakSchemes(names: readonly string[]): void {
  const next = new Set<WeakHashScheme>();
  for (const n of names) {
    const up = n.toUpperCase();
    if (!(WEAK_HASH_SCHEMES as readonly string[]).includes(up)) throw new Error(`allow-weak-hash-schemes: "${n}" is not one of ${WEAK_HASH_SCHEMES.join(', ')}`);
    next.add(up as WeakHashScheme);
  }
  allowedWeak = next;
}

/** The weak scheme of a stored hash when it is not allowed to verify (for the log); else null. */
export function refusedWeakScheme(stored: string): WeakHashScheme | null {
  const { scheme } = hashScheme(splitStoredSecret(stored).hash);
  return (WEAK_HASH_SCHEMES as readonly string[]).includes(scheme) && !allowedWeak.has(scheme as WeakHashScheme) ? (scheme as WeakHashScheme) : null;
}

export type HashScheme = 'ARGON2ID' | 'SHA512-CRYPT' | 'SHA256-CRYPT' | 'BLF-CRYPT' | 'SSHA512' | WeakHashScheme | 'unknown';

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
  if (prefix === 'PLAIN' || prefix === 'CLEAR' || prefix === 'PLAIN-MD5') return { scheme: prefix, body };
  if (prefix === 'MD5-CRYPT' || (prefix === null && body.startsWith('$1$'))) return { scheme: 'MD5-CRYPT', body };
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
      case 'PLAIN':
      case 'CLEAR':
      case 'PLAIN-MD5':
      case 'MD5-CRYPT':
        return allowedWeak.has(scheme) && verifyWeak(scheme, body, pw);
      default:
        return false;
    }
  } catch {
    return false;
  }
}

/** Verifies a weak scheme (only called when the operator allows it); constant-time comparisons. */
function verifyWeak(scheme: WeakHashScheme, body: string, pw: string): boolean {
  switch (scheme) {
    case 'PLAIN':
    case 'CLEAR': // compared as digests, so neither the length nor the content leaks through timing
      return timingSafeEqual(createHash('sha256').update(body, 'utf8').digest(), createHash('sha256').update(pw, 'utf8').digest());
    case 'PLAIN-MD5': { // Dovecot writes hex; base64 is accepted too
      const expected = /^[0-9a-fA-F]{32}$/.test(body) ? Buffer.from(body, 'hex') : Buffer.from(body, 'base64');
      return expected.length === 16 && safeEqual(createHash('md5').update(pw, 'utf8').digest(), expected);
    }
    case 'MD5-CRYPT': {
      const computed = md5Crypt(pw, body);
      return computed !== null && safeEqual(Buffer.from(computed), Buffer.from(body));
    }
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

/** Computes "$1$salt$hash" (Poul-Henning Kamp's MD5-crypt) with the salt of `setting`; null when malformed. */
export function md5Crypt(pw: string, setting: string): string | null {
  const m = /^\$1\$([^$]{0,8})/.exec(setting);
  if (!m) return null;
  const key = Buffer.from(pw, 'utf8');
  const salt = Buffer.from(m[1], 'utf8');
  const alt = createHash('md5').update(key).update(salt).update(key).digest();
  const ctx = createHash('md5').update(key).update('$1$').update(salt);
  for (let left = key.length; left > 0; left -= 16) ctx.update(alt.subarray(0, Math.min(16, left)));
  for (let i = key.length; i > 0; i >>= 1) ctx.update(i & 1 ? Buffer.alloc(1) : key.subarray(0, 1));
  let f = ctx.digest();
  for (let i = 0; i < 1000; i++) {
    const h = createHash('md5');
    h.update(i & 1 ? key : f);
    if (i % 3) h.update(salt);
    if (i % 7) h.update(key);
    h.update(i & 1 ? f : key);
    f = h.digest();
  }
  let enc = '';
  for (const [a, b, c] of [[0, 6, 12], [1, 7, 13], [2, 8, 14], [3, 9, 15], [4, 10, 5]]) enc += b64From24(f[a], f[b], f[c], 4);
  enc += b64From24(0, 0, f[11], 2);
  return `$1$${m[1]}$${enc}`;
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
