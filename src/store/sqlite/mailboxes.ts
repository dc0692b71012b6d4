/** Mailboxes and subscriptions. Names arrive already validated by the mailbox layer; INBOX is normalised here. */
import { MailError } from '../../core/errors.js';
import { normalizeMailboxName } from '../names.js';
import { HIERARCHY_SEPARATOR, type MailboxInfo, type SpecialUse } from '../store.js';
import type { Ctx } from './context.js';

interface MailboxRow {
  id: number;
  account_id: number;
  name: string;
  special_use: string | null;
  uid_validity: number;
  uid_next: number;
  highest_modseq: number;
  message_count: number;
  unseen_count: number;
  total_size: number;
  subscribed: number;
}

const SELECT_INFO = `SELECT m.*, EXISTS (SELECT 1 FROM subscriptions s WHERE s.account_id = m.account_id AND s.name = m.name) AS subscribed
  FROM mailboxes m`;

function toInfo(r: MailboxRow): MailboxInfo {
  return {
    id: r.id, accountId: r.account_id, name: r.name, specialUse: (r.special_use as SpecialUse | null) ?? null,
    uidValidity: r.uid_validity, uidNext: r.uid_next, highestModseq: r.highest_modseq, messages: r.message_count,
    unseen: r.unseen_count, size: r.total_size, subscribed: r.subscribed === 1,
  };
}

/**
 * A new UIDVALIDITY: the current time in seconds, but always above any value handed out before
 * in this store, so a mailbox deleted and re-created in the same second still gets a new one.
 */
function nextUidValidity(ctx: Ctx): number {
  const last = (ctx.stmt("SELECT value FROM meta WHERE key = 'last_uid_validity'").pluck().get() as number | undefined) ?? 0;
  let v = Math.max(Math.floor(Date.now() / 1000), last + 1);
  if (v > 0xffffffff) v = 1; // year 2106: wrap (still unique enough with the +1 rule afterwards)
  ctx.stmt("INSERT INTO meta (key, value) VALUES ('last_uid_validity', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(v);
  return v;
}

/** Inside a write transaction. */
export function insertMailbox(ctx: Ctx, accountId: number, name: string, specialUse: SpecialUse | null): number {
  const n = normalizeMailboxName(name);
  if (ctx.stmt('SELECT 1 FROM mailboxes WHERE account_id = ? AND name = ?').get(accountId, n)) {
    throw new MailError('ALREADYEXISTS', `mailbox ${n} already exists`);
  }
  return Number(ctx.stmt('INSERT INTO mailboxes (account_id, name, special_use, uid_validity) VALUES (?, ?, ?, ?)')
    .run(accountId, n, specialUse, nextUidValidity(ctx)).lastInsertRowid);
}

export function listMailboxes(ctx: Ctx, accountId: number): MailboxInfo[] {
  return (ctx.stmt(`${SELECT_INFO} WHERE m.account_id = ? ORDER BY m.name <> 'INBOX', m.name`).all(accountId) as MailboxRow[]).map(toInfo);
}

export function getMailbox(ctx: Ctx, accountId: number, name: string): MailboxInfo | null {
  const r = ctx.stmt(`${SELECT_INFO} WHERE m.account_id = ? AND m.name = ?`).get(accountId, normalizeMailboxName(name)) as MailboxRow | undefined;
  return r ? toInfo(r) : null;
}

export function getMailboxById(ctx: Ctx, id: number): MailboxInfo | null {
  const r = ctx.stmt(`${SELECT_INFO} WHERE m.id = ?`).get(id) as MailboxRow | undefined;
  return r ? toInfo(r) : null;
}

export function createMailbox(ctx: Ctx, accountId: number, name: string, specialUse: SpecialUse | null): MailboxInfo {
  const id = ctx.write(() => {
    if (!ctx.stmt('SELECT 1 FROM accounts WHERE id = ?').get(accountId)) throw new MailError('NONEXISTENT', 'no such account');
    return insertMailbox(ctx, accountId, name, specialUse);
  });
  return getMailboxById(ctx, id)!;
}

/** Renames the mailbox and every mailbox below it (and their subscriptions), in one transaction. */
export function renameMailbox(ctx: Ctx, mailboxId: number, newName: string): void {
  const target = normalizeMailboxName(newName);
  ctx.write(() => {
    const row = ctx.stmt('SELECT account_id, name FROM mailboxes WHERE id = ?').get(mailboxId) as { account_id: number; name: string } | undefined;
    if (!row) throw new MailError('NONEXISTENT', 'no such mailbox');
    if (row.name === 'INBOX') throw new MailError('CANNOT', 'INBOX is renamed by moving its messages (mailbox layer)');
    if (target === row.name) throw new MailError('ALREADYEXISTS', `mailbox ${target} already exists`);
    const prefix = row.name + HIERARCHY_SEPARATOR;
    if (target.startsWith(prefix)) throw new MailError('CANNOT', 'a mailbox cannot be renamed into its own child');
    const family = ctx.stmt('SELECT id, name FROM mailboxes WHERE account_id = ? AND (name = ? OR substr(name, 1, ?) = ?) ORDER BY length(name) DESC')
      .all(row.account_id, row.name, prefix.length, prefix) as Array<{ id: number; name: string }>;
    const exists = ctx.stmt('SELECT 1 FROM mailboxes WHERE account_id = ? AND name = ?');
    const renames = family.map((m) => ({ id: m.id, from: m.name, to: target + m.name.slice(row.name.length) }));
    for (const r of renames) {
      if (exists.get(row.account_id, r.to)) throw new MailError('ALREADYEXISTS', `mailbox ${r.to} already exists`);
    }
    for (const r of renames) {
      ctx.stmt('UPDATE mailboxes SET name = ? WHERE id = ?').run(r.to, r.id);
      if (ctx.stmt('DELETE FROM subscriptions WHERE account_id = ? AND name = ?').run(row.account_id, r.from).changes > 0) {
        ctx.stmt('INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)').run(row.account_id, r.to);
      }
    }
  });
}

export function setSubscribed(ctx: Ctx, accountId: number, name: string, subscribed: boolean): void {
  const n = normalizeMailboxName(name);
  ctx.write(() => {
    if (!ctx.stmt('SELECT 1 FROM accounts WHERE id = ?').get(accountId)) throw new MailError('NONEXISTENT', 'no such account');
    if (subscribed) ctx.stmt('INSERT OR IGNORE INTO subscriptions (account_id, name) VALUES (?, ?)').run(accountId, n);
    else ctx.stmt('DELETE FROM subscriptions WHERE account_id = ? AND name = ?').run(accountId, n);
  });
}

export function listSubscriptions(ctx: Ctx, accountId: number): string[] {
  return ctx.stmt('SELECT name FROM subscriptions WHERE account_id = ? ORDER BY name').pluck().all(accountId) as string[];
}
