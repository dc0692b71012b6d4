/**
 * SCRAM-SHA-256 stored keys (RFC 5802 §3, RFC 7677): the server keeps StoredKey and ServerKey,
 * never anything the password can be recovered from faster than by guessing.
 *
 *   SaltedPassword = PBKDF2-HMAC-SHA-256(Normalize(password), salt, i)
 *   ClientKey = HMAC(SaltedPassword, "Client Key")   StoredKey = SHA-256(ClientKey)
 *   ServerKey = HMAC(SaltedPassword, "Server Key")
 *
 * Stored form (Dovecot's): "{SCRAM-SHA-256}i,salt_b64,storedkey_b64,serverkey_b64". It lives in
 * the account's password column after the argon2id hash, separated by one space (see passwords.ts).
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ScramKeys {
  iterations: number;
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export const SCRAM_PREFIX = '{SCRAM-SHA-256}';
/** RFC 7677 asks for at least 4096; more costs every client at every login. */
export const DEFAULT_SCRAM_ITERATIONS = 10_000;
export const MIN_SCRAM_ITERATIONS = 4096;
export const MAX_SCRAM_ITERATIONS = 1_000_000;

export function hmac(key: Buffer, data: Buffer | string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

export function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * The password as SCRAM hashes it. Full SASLprep (RFC 4013) is approximated by NFKC plus
 * mapping non-ASCII spaces to U+0020, which is what it does for every printable password.
 */
export function normalizeScramPassword(pw: string): string {
  return pw.normalize('NFKC').replace(/[\u00a0\u1680\u2000-\u200b\u202f\u205f\u3000]/g, ' ');
}

export function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(normalizeScramPassword(password), 'utf8'), salt, iterations, 32, 'sha256');
}

export function deriveScramKeys(password: string, salt: Buffer = randomBytes(16), iterations = DEFAULT_SCRAM_ITERATIONS): ScramKeys {
  const sp = saltedPassword(password, salt, iterations);
  return { iterations, salt, storedKey: sha256(hmac(sp, 'Client Key')), serverKey: hmac(sp, 'Server Key') };
}

export function formatScramKeys(k: ScramKeys): string {
  return `${SCRAM_PREFIX}${k.iterations},${k.salt.toString('base64')},${k.storedKey.toString('base64')},${k.serverKey.toString('base64')}`;
}

/** Parses "{SCRAM-SHA-256}i,salt,stored,server" (prefix optional); null when malformed. */
export function parseScramKeys(s: string): ScramKeys | null {
  const body = s.startsWith(SCRAM_PREFIX) ? s.slice(SCRAM_PREFIX.length) : s;
  const parts = body.split(',');
  if (parts.length !== 4 || !/^\d{1,7}$/.test(parts[0]!)) return null;
  const iterations = Number(parts[0]);
  const b64 = /^[A-Za-z0-9+/]+={0,2}$/;
  if (!parts.slice(1).every((p) => b64.test(p))) return null;
  const [salt, storedKey, serverKey] = parts.slice(1).map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer];
  if (iterations < 1 || salt.length === 0 || storedKey.length !== 32 || serverKey.length !== 32) return null;
  return { iterations, salt, storedKey, serverKey };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ (b[i] ?? 0);
  return out;
}

/** Constant-time equality of two 32-byte values (false, after equal work, when lengths differ). */
export function equal32(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}
