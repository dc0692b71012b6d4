/** Accounts: the local directory's rows. New accounts get the default mailboxes, subscribed. */
import { MailError } from '../../core/errors.js';
import { DEFAULT_MAILBOXES, type Account } from '../store.js';
import type { Ctx } from './context.js';
import { insertMailbox } from './mailboxes.js';
import { checkBackend } from '../names.js';

interface AccountRow {
  id: number;
  address: string;
  password_hash: string | null;
  imap_enabled: number;
  pop_enabled: number;
  quota_bytes: number | null;
  backend: string | null;
  created_at: number;
}

function toAccount(r: AccountRow): Account {
  return {
    id: r.id, address: r.address, passwordHash: r.password_hash, imapEnabled: r.imap_enabled === 1,
    popEnabled: r.pop_enabled === 1, quotaBytes: r.quota_bytes, backend: r.backend ?? null, createdAt: new Date(r.created_at),
  };
}

export function normalizeAddress(address: string): string {
  const a = String(address).trim().toLowerCase();
  if (a.length === 0 || a.length > 320 || /[\s\x00-\x1f\x7f]/.test(a)) {
    throw new MailError('BADINPUT', 'invalid account address');
  }
  return a;
}

export function createAccount(ctx: Ctx, address: string, passwordHash: string | null): Account {
  const addr = normalizeAddress(address);
  return ctx.write(() => {
    if (ctx.stmt('SELECT 1 FROM accounts WHERE address = ?').get(addr)) {
      throw new MailError('ALREADYEXISTS', `account ${addr} already exists`);
    }
    const now = Date.now();
    const id = Number(ctx.stmt('INSERT INTO accounts (address, password_hash, created_at) VALUES (?, ?, ?)').run(addr, passwordHash, now).lastInsertRowid);
    for (const mb of DEFAULT_MAILBOXES) {
      insertMailbox(ctx, id, mb.name, mb.specialUse);
      ctx.stmt('INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)').run(id, mb.name);
    }
    return toAccount(ctx.stmt('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow);
  });
}

export function getAccount(ctx: Ctx, address: string): Account | null {
  let addr: string;
  try { addr = normalizeAddress(address); } catch { return null; }
  const r = ctx.stmt('SELECT * FROM accounts WHERE address = ?').get(addr) as AccountRow | undefined;
  return r ? toAccount(r) : null;
}

export function getAccountById(ctx: Ctx, id: number): Account | null {
  const r = ctx.stmt('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
  return r ? toAccount(r) : null;
}

export function listAccounts(ctx: Ctx): Account[] {
  return (ctx.stmt('SELECT * FROM accounts ORDER BY address').all() as AccountRow[]).map(toAccount);
}

export function updateAccount(
  ctx: Ctx, id: number,
  patch: Partial<Pick<Account, 'passwordHash' | 'imapEnabled' | 'popEnabled' | 'quotaBytes' | 'backend'>>,
): void {
  checkBackend(patch.backend);
  if (patch.quotaBytes !== undefined && patch.quotaBytes !== null && (!Number.isSafeInteger(patch.quotaBytes) || patch.quotaBytes < 0)) {
    throw new MailError('BADINPUT', 'quota must be a non-negative whole number of octets or null');
  }
  ctx.write(() => {
    if (!ctx.stmt('SELECT 1 FROM accounts WHERE id = ?').get(id)) throw new MailError('NONEXISTENT', 'no such account');
    if (patch.passwordHash !== undefined) ctx.stmt('UPDATE accounts SET password_hash = ? WHERE id = ?').run(patch.passwordHash, id);
    if (patch.imapEnabled !== undefined) ctx.stmt('UPDATE accounts SET imap_enabled = ? WHERE id = ?').run(patch.imapEnabled ? 1 : 0, id);
    if (patch.popEnabled !== undefined) ctx.stmt('UPDATE accounts SET pop_enabled = ? WHERE id = ?').run(patch.popEnabled ? 1 : 0, id);
    if (patch.quotaBytes !== undefined) ctx.stmt('UPDATE accounts SET quota_bytes = ? WHERE id = ?').run(patch.quotaBytes, id);
    if (patch.backend !== undefined) ctx.stmt('UPDATE accounts SET backend = ? WHERE id = ?').run(patch.backend || null, id);
  });
}

export function usedBytes(ctx: Ctx, accountId: number): number {
  return (ctx.stmt('SELECT coalesce(sum(total_size), 0) FROM mailboxes WHERE account_id = ?').pluck().get(accountId) as number);
}
