/**
 * Admin API tokens: DATA_DIR/admin-tokens.json (mode 0600) holds, per token, its name, scope
 * and the SHA-256 of the secret; the secret itself is shown once, when it is made, and never
 * stored. Tokens are 32 random bytes, so a plain (unsalted) SHA-256 is enough. A token may
 * carry an expiry (refused with 401 after it) and records when it was last used (at most one
 * write a minute per token).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type TokenScope = 'read-only' | 'read-write';
export const TOKEN_SCOPES: readonly TokenScope[] = ['read-only', 'read-write'];
export const TOKEN_FILE = 'admin-tokens.json';
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface TokenRecord {
  name: string;
  scope: TokenScope;
  /** Hex SHA-256 of the secret. */
  sha256: string;
  createdAt: string;
  /** ISO time after which the token is refused; absent or null: never. */
  expiresAt?: string | null;
  /** ISO time of the last request authenticated with it; absent or null: never used. */
  lastUsedAt?: string | null;
}

/** Most days a token may be made to last with --expires-in-days. */
export const MAX_TOKEN_DAYS = 3650;
/** lastUsedAt is rewritten only when older than this, so busy clients do not rewrite the file per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface TokenIdentity {
  name: string;
  scope: TokenScope;
}

interface TokenFile {
  version: 1;
  tokens: TokenRecord[];
}

export class TokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenError';
  }
}

export function tokenFilePath(dataDir: string): string {
  return join(dataDir, TOKEN_FILE);
}

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** A new secret: "pct_" and 43 base64url characters. */
export function newTokenSecret(): string {
  return 'pct_' + randomBytes(32).toString('base64url');
}

export function readTokens(dataDir: string): TokenRecord[] {
  const path = tokenFilePath(dataDir);
  if (!existsSync(path)) return [];
  let parsed: Partial<TokenFile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<TokenFile>;
  } catch (err) {
    throw new TokenError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(parsed.tokens)) throw new TokenError(`${path}: no "tokens" list`);
  return parsed.tokens.filter((t): t is TokenRecord =>
    typeof t?.name === 'string' && (TOKEN_SCOPES as readonly string[]).includes(t.scope) && /^[0-9a-f]{64}$/.test(String(t.sha256)));
}

function writeTokens(dataDir: string, tokens: TokenRecord[]): void {
  const path = tokenFilePath(dataDir);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ version: 1, tokens } satisfies TokenFile, null, 2) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** Adds a token and returns its secret (the only time it is available). */
export function addToken(dataDir: string, name: string, scope: TokenScope, now = new Date(), opts: { expiresInDays?: number } = {}): string {
  if (!TOKEN_NAME.test(name)) throw new TokenError(`NAME: "${name}" is not allowed (allowed: 1-64 letters, digits, ".", "_", "-", starting with a letter or digit)`);
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) throw new TokenError(`--scope: "${scope}" is not allowed (allowed: ${TOKEN_SCOPES.join(', ')})`);
  const days = opts.expiresInDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > MAX_TOKEN_DAYS)) {
    throw new TokenError(`--expires-in-days: "${days}" is not allowed (allowed: a whole number from 1 to ${MAX_TOKEN_DAYS})`);
  }
  const tokens = readTokens(dataDir);
  if (tokens.some((t) => t.name === name)) throw new TokenError(`NAME: a token "${name}" already exists (allowed: a new name; remove the old one first)`);
  const secret = newTokenSecret();
  const expiresAt = days === undefined ? null : new Date(now.getTime() + days * 86_400_000).toISOString();
  writeTokens(dataDir, [...tokens, { name, scope, sha256: hashToken(secret), createdAt: now.toISOString(), expiresAt, lastUsedAt: null }]);
  return secret;
}

export function removeToken(dataDir: string, name: string): void {
  const tokens = readTokens(dataDir);
  if (!tokens.some((t) => t.name === name)) {
    throw new TokenError(`NAME: no token "${name}" (allowed: ${tokens.map((t) => t.name).join(', ') || 'none exist'})`);
  }
  writeTokens(dataDir, tokens.filter((t) => t.name !== name));
}

export function isExpired(record: Pick<TokenRecord, 'expiresAt'>, now = new Date()): boolean {
  return !!record.expiresAt && Date.parse(record.expiresAt) <= now.getTime();
}

/**
 * Records that a token was used, unless its lastUsedAt is more recent than LAST_USED_RESOLUTION_MS.
 * A token removed meanwhile is left removed.
 */
export function touchToken(dataDir: string, name: string, now = new Date()): void {
  const tokens = readTokens(dataDir);
  const t = tokens.find((x) => x.name === name);
  if (!t || (t.lastUsedAt && now.getTime() - Date.parse(t.lastUsedAt) < LAST_USED_RESOLUTION_MS)) return;
  t.lastUsedAt = now.toISOString();
  writeTokens(dataDir, tokens);
}

/** Finds the token a secret belongs to, comparing hashes in constant time; an expired token matches nothing. */
export function matchToken(records: ReadonlyArray<Pick<TokenRecord, 'name' | 'scope' | 'sha256' | 'expiresAt'>>, secret: string, now = new Date()): TokenIdentity | null {
  if (!secret || secret.length > 512) return null;
  const presented = Buffer.from(hashToken(secret), 'hex');
  let hit: TokenIdentity | null = null;
  for (const r of records) {
    const stored = Buffer.from(r.sha256, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && !hit && !isExpired(r, now)) hit = { name: r.name, scope: r.scope };
  }
  return hit;
}

/** The expired token a secret belongs to, if any (to say "expired" rather than "unknown"). */
export function expiredToken(records: ReadonlyArray<Pick<TokenRecord, 'name' | 'sha256' | 'expiresAt'>>, secret: string, now = new Date()): { name: string; expiresAt: string } | null {
  if (!secret || secret.length > 512) return null;
  const presented = hashToken(secret);
  const r = records.find((x) => x.sha256 === presented && isExpired(x, now));
  return r ? { name: r.name, expiresAt: r.expiresAt! } : null;
}

export interface TokenRow {
  name: string;
  scope: TokenScope;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  expired: boolean;
}

/** What `admin token list` and GET /api/tokens show: never the secret or its hash. */
export function tokenRows(dataDir: string, now = new Date()): TokenRow[] {
  return readTokens(dataDir).map((t) => ({
    name: t.name, scope: t.scope, createdAt: t.createdAt, lastUsedAt: t.lastUsedAt ?? null, expiresAt: t.expiresAt ?? null, expired: isExpired(t, now),
  }));
}
