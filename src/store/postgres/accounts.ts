/** Accounts (the local directory's rows) on PostgreSQL. New accounts get the default mailboxes, subscribed. */
import type pg from 'pg';
import { MailError } from '../../core/errors.js';
import { DEFAULT_MAILBOXES, type Account } from '../store.js';
import { transaction, type Queryable } from './db.js';
import { insertMailbox } from './mailboxes.js';
import { checkBackend } from '../names.js';

interface AccountRow {
  id: number;
  address: string;
  password_hash: string | null;
  imap_enabled: boolean;
  pop_enabled: boolean;
  quota_bytes: number | null;
  backend: string | null;
  created_at: Date;
}

function toAccount(r: AccountRow): Account {
  return {
    id: r.id, address: r.address, passwordHash: r.password_hash, imapEnabled: r.imap_enabled,
    popEnabled: r.pop_enabled, quotaBytes: r.quota_bytes, backend: r.backend ?? null, createdAt: r.created_at,
  };
}

/** Same rule as the SQLite backend: trimmed, lower-cased, no whitespace or controls, at most 320 octets. */
export function normalizeAddress(address: string): string {
  const a = String(address).trim().toLowerCase();
  if (a.length === 0 || a.length > 320 || /[\s\x00-\x1f\x7f]/.test(a)) throw new MailError('BADINPUT', 'invalid account address');
  return a;
}

export function createAccount(pool: pg.Pool, address: string, passwordHash: string | null): Promise<Account> {
  const addr = normalizeAddress(address);
  return transaction(pool, async (c) => {
    // ON CONFLICT: two nodes creating the same account at once get one row and one clear error.
    const ins = await c.query<AccountRow>(
      'INSERT INTO accounts (address, password_hash) VALUES ($1, $2) ON CONFLICT (address) DO NOTHING RETURNING *', [addr, passwordHash]);
    const row = ins.rows[0];
    if (!row) throw new MailError('ALREADYEXISTS', `account ${addr} already exists`);
    for (const mb of DEFAULT_MAILBOXES) {
      await insertMailbox(c, row.id, mb.name, mb.specialUse);
      await c.query('INSERT INTO subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [row.id, mb.name]);
    }
    return toAccount(row);
  });
}

export async function getAccount(q: Queryable, address: string): Promise<Account | null> {
  let addr: string;
  try { addr = normalizeAddress(address); } catch { return null; }
  const r = await q.query<AccountRow>('SELECT * FROM accounts WHERE address = $1', [addr]);
  return r.rows[0] ? toAccount(r.rows[0]) : null;
}

export async function getAccountById(q: Queryable, id: number): Promise<Account | null> {
  if (!Number.isSafeInteger(id)) return null;
  const r = await q.query<AccountRow>('SELECT * FROM accounts WHERE id = $1', [id]);
  return r.rows[0] ? toAccount(r.rows[0]) : null;
}

export async function listAccounts(q: Queryable): Promise<Account[]> {
  return (await q.query<AccountRow>('SELECT * FROM accounts ORDER BY address')).rows.map(toAccount);
}

export async function updateAccount(
  pool: pg.Pool, id: number,
  patch: Partial<Pick<Account, 'passwordHash' | 'imapEnabled' | 'popEnabled' | 'quotaBytes' | 'backend'>>,
): Promise<void> {
  checkBackend(patch.backend);
  if (patch.quotaBytes !== undefined && patch.quotaBytes !== null && (!Number.isSafeInteger(patch.quotaBytes) || patch.quotaBytes < 0)) {
    throw new MailError('BADINPUT', 'quota must be a non-negative whole number of octets or null');
  }
  if (!Number.isSafeInteger(id)) throw new MailError('NONEXISTENT', 'no such account');
  // One statement: each field keeps its value unless the patch names it.
  const r = await pool.query(
    `UPDATE accounts SET
       password_hash = CASE WHEN $2 THEN $3 ELSE password_hash END,
       imap_enabled = coalesce($4, imap_enabled),
       pop_enabled = coalesce($5, pop_enabled),
       quota_bytes = CASE WHEN $6 THEN $7::bigint ELSE quota_bytes END,
       backend = CASE WHEN $8 THEN $9::text ELSE backend END
     WHERE id = $1`,
    [id, patch.passwordHash !== undefined, patch.passwordHash ?? null, patch.imapEnabled ?? null, patch.popEnabled ?? null,
      patch.quotaBytes !== undefined, patch.quotaBytes ?? null, patch.backend !== undefined, patch.backend || null]);
  if (r.rowCount !== 1) throw new MailError('NONEXISTENT', 'no such account');
}

export async function usedBytes(q: Queryable, accountId: number): Promise<number> {
  const r = await q.query<{ used: number }>('SELECT coalesce(sum(total_size), 0)::bigint AS used FROM mailboxes WHERE account_id = $1', [accountId]);
  return r.rows[0]!.used;
}
