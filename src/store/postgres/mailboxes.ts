/** Mailboxes and subscriptions on PostgreSQL. Names arrive validated by the mailbox layer; INBOX is normalised here. */
import type pg from 'pg';
import { MailError } from '../../core/errors.js';
import { normalizeMailboxName } from '../names.js';
import { HIERARCHY_SEPARATOR, type MailboxInfo, type SpecialUse } from '../store.js';
import { transaction, type Queryable } from './db.js';

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
  subscribed: boolean;
}

const SELECT_INFO = `SELECT m.id, m.account_id, m.name, m.special_use, m.uid_validity, m.uid_next, m.highest_modseq,
    m.message_count, m.unseen_count, m.total_size,
    EXISTS (SELECT 1 FROM subscriptions s WHERE s.account_id = m.account_id AND s.name = m.name) AS subscribed
  FROM mailboxes m`;

function toInfo(r: MailboxRow): MailboxInfo {
  return {
    id: r.id, accountId: r.account_id, name: r.name, specialUse: (r.special_use as SpecialUse | null) ?? null,
    uidValidity: r.uid_validity, uidNext: r.uid_next, highestModseq: r.highest_modseq, messages: r.message_count,
    unseen: r.unseen_count, size: r.total_size, subscribed: r.subscribed,
  };
}

/**
 * A new UIDVALIDITY: the current time in seconds, but always above any value handed out before in
 * this database (one atomic UPDATE on the meta row: nodes whose clocks differ never collide).
 */
async function nextUidValidity(c: Queryable): Promise<number> {
  const now = Math.floor(Date.now() / 1000);
  const r = await c.query<{ value: number }>(
    `UPDATE meta SET value = CASE WHEN greatest($1::bigint, value + 1) > 4294967295 THEN 1 ELSE greatest($1::bigint, value + 1) END
     WHERE key = 'last_uid_validity' RETURNING value`, [now]);
  return r.rows[0]!.value;
}

/** Inside a transaction. */
export async function insertMailbox(c: Queryable, accountId: number, name: string, specialUse: SpecialUse | null): Promise<number> {
  const n = normalizeMailboxName(name);
  const uidValidity = await nextUidValidity(c);
  const r = await c.query<{ id: number }>(
    `INSERT INTO mailboxes (account_id, name, special_use, uid_validity) VALUES ($1, $2, $3, $4)
     ON CONFLICT (account_id, name) DO NOTHING RETURNING id`, [accountId, n, specialUse, uidValidity]);
  if (!r.rows[0]) throw new MailError('ALREADYEXISTS', `mailbox ${n} already exists`);
  return r.rows[0].id;
}

export async function listMailboxes(q: Queryable, accountId: number): Promise<MailboxInfo[]> {
  return (await q.query<MailboxRow>(`${SELECT_INFO} WHERE m.account_id = $1 ORDER BY m.name <> 'INBOX', m.name`, [accountId])).rows.map(toInfo);
}

export async function getMailbox(q: Queryable, accountId: number, name: string): Promise<MailboxInfo | null> {
  const r = await q.query<MailboxRow>(`${SELECT_INFO} WHERE m.account_id = $1 AND m.name = $2`, [accountId, normalizeMailboxName(name)]);
  return r.rows[0] ? toInfo(r.rows[0]) : null;
}

export async function getMailboxById(q: Queryable, id: number): Promise<MailboxInfo | null> {
  if (!Number.isSafeInteger(id)) return null;
  const r = await q.query<MailboxRow>(`${SELECT_INFO} WHERE m.id = $1`, [id]);
  return r.rows[0] ? toInfo(r.rows[0]) : null;
}

export async function createMailbox(pool: pg.Pool, accountId: number, name: string, specialUse: SpecialUse | null): Promise<MailboxInfo> {
  const id = await transaction(pool, async (c) => {
    // FOR SHARE: a concurrent deleteAccount cannot remove the account under the new mailbox.
    if ((await c.query('SELECT 1 FROM accounts WHERE id = $1 FOR SHARE', [accountId])).rowCount === 0) {
      throw new MailError('NONEXISTENT', 'no such account');
    }
    return insertMailbox(c, accountId, name, specialUse);
  });
  return (await getMailboxById(pool, id))!;
}

/** Renames the mailbox and every mailbox below it (and their subscriptions), in one transaction. */
export function renameMailbox(pool: pg.Pool, mailboxId: number, newName: string): Promise<void> {
  const target = normalizeMailboxName(newName);
  return transaction(pool, async (c) => {
    const row = (await c.query<{ account_id: number; name: string }>('SELECT account_id, name FROM mailboxes WHERE id = $1', [mailboxId])).rows[0];
    if (!row) throw new MailError('NONEXISTENT', 'no such mailbox');
    if (row.name === 'INBOX') throw new MailError('CANNOT', 'INBOX is renamed by moving its messages (mailbox layer)');
    if (target === row.name) throw new MailError('ALREADYEXISTS', `mailbox ${target} already exists`);
    const prefix = row.name + HIERARCHY_SEPARATOR;
    if (target.startsWith(prefix)) throw new MailError('CANNOT', 'a mailbox cannot be renamed into its own child');
    // Lock the family rows (in id order, as every multi-mailbox lock here is taken).
    const family = (await c.query<{ id: number; name: string }>(
      `SELECT id, name FROM mailboxes WHERE account_id = $1 AND (name = $2 OR left(name, $3) = $4) ORDER BY id FOR UPDATE`,
      [row.account_id, row.name, prefix.length, prefix])).rows;
    const renames = family.map((m) => ({ id: m.id, from: m.name, to: target + m.name.slice(row.name.length) }));
    const clash = await c.query<{ name: string }>('SELECT name FROM mailboxes WHERE account_id = $1 AND name = ANY($2::text[]) LIMIT 1',
      [row.account_id, renames.map((r) => r.to)]);
    if (clash.rows[0]) throw new MailError('ALREADYEXISTS', `mailbox ${clash.rows[0].name} already exists`);
    for (const r of renames) {
      await c.query('UPDATE mailboxes SET name = $1 WHERE id = $2', [r.to, r.id]);
      const del = await c.query('DELETE FROM subscriptions WHERE account_id = $1 AND name = $2', [row.account_id, r.from]);
      if ((del.rowCount ?? 0) > 0) {
        await c.query('INSERT INTO subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [row.account_id, r.to]);
      }
    }
  });
}

export async function setSubscribed(pool: pg.Pool, accountId: number, name: string, subscribed: boolean): Promise<void> {
  const n = normalizeMailboxName(name);
  if (subscribed) {
    // The foreign key refuses an account that does not exist (23503).
    try {
      await pool.query('INSERT INTO subscriptions (account_id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING', [accountId, n]);
    } catch (err) {
      if ((err as { code?: string }).code === '23503') throw new MailError('NONEXISTENT', 'no such account');
      throw err;
    }
    return;
  }
  if ((await pool.query('SELECT 1 FROM accounts WHERE id = $1', [accountId])).rowCount === 0) throw new MailError('NONEXISTENT', 'no such account');
  await pool.query('DELETE FROM subscriptions WHERE account_id = $1 AND name = $2', [accountId, n]);
}

export async function listSubscriptions(q: Queryable, accountId: number): Promise<string[]> {
  return (await q.query<{ name: string }>('SELECT name FROM subscriptions WHERE account_id = $1 ORDER BY name', [accountId])).rows.map((r) => r.name);
}
