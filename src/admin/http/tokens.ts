/**
 * Admin API tokens: DATA_DIR/admin-tokens.json (mode 0600) holds, per token, its name, scope
 * and the SHA-256 of the secret; the secret itself is shown once, when it is made, and never
 * stored. Tokens are 32 random bytes, so a plain (unsalted) SHA-256 is enough.
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
}

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
export function addToken(dataDir: string, name: string, scope: TokenScope, now = new Date()): string {
  if (!TOKEN_NAME.test(name)) throw new TokenError(`NAME: "${name}" is not allowed (allowed: 1-64 letters, digits, ".", "_", "-", starting with a letter or digit)`);
  if (!(TOKEN_SCOPES as readonly string[]).includes(scope)) throw new TokenError(`--scope: "${scope}" is not allowed (allowed: ${TOKEN_SCOPES.join(', ')})`);
  const tokens = readTokens(dataDir);
  if (tokens.some((t) => t.name === name)) throw new TokenError(`NAME: a token "${name}" already exists (allowed: a new name; remove the old one first)`);
  const secret = newTokenSecret();
  writeTokens(dataDir, [...tokens, { name, scope, sha256: hashToken(secret), createdAt: now.toISOString() }]);
  return secret;
}

export function removeToken(dataDir: string, name: string): void {
  const tokens = readTokens(dataDir);
  if (!tokens.some((t) => t.name === name)) {
    throw new TokenError(`NAME: no token "${name}" (allowed: ${tokens.map((t) => t.name).join(', ') || 'none exist'})`);
  }
  writeTokens(dataDir, tokens.filter((t) => t.name !== name));
}

/** Finds the token a secret belongs to, comparing hashes in constant time. */
export function matchToken(records: ReadonlyArray<Pick<TokenRecord, 'name' | 'scope' | 'sha256'>>, secret: string): TokenIdentity | null {
  if (!secret || secret.length > 512) return null;
  const presented = Buffer.from(hashToken(secret), 'hex');
  let hit: TokenIdentity | null = null;
  for (const r of records) {
    const stored = Buffer.from(r.sha256, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && !hit) hit = { name: r.name, scope: r.scope };
  }
  return hit;
}
