/** App passwords on PostgreSQL (schema migration 5), as in the SQLite store (sqlite/app-passwords.ts). */
import { MailError } from '../../core/errors.js';
import type { AppPasswordRecord } from '../store.js';
import type { Queryable } from './db.js';

interface Row {
  id: number;
  account_id: number;
  name: string;
  password_hash: string;
  protocols: string[];
  created_at: Date;
  last_used_at: Date | null;
}

function toRecord(r: Row): AppPasswordRecord {
  return {
    id: r.id, accountId: r.account_id, name: r.name, passwordHash: r.password_hash,
    protocols: r.protocols, createdAt: r.created_at, lastUsedAt: r.last_used_at,
  };
}

const id = (n: number): number => (Number.isSafeInteger(n) ? n : -1);

export async function createAppPassword(q: Queryable, accountId: number, name: string, passwordHash: string, protocols: string[]): Promise<AppPasswordRecord> {
  if (name.length === 0 || name.length > 64 || /[\s\x00-\x1f\x7f,]/.test(name)) throw new MailError('BADINPUT', 'app password name: 1 to 64 characters, no spaces or commas');
  // One statement: the account must exist, and (account_id, name) is unique (a duplicate is 23505: ALREADYEXISTS).
  const r = await q.query<Row>(
    `INSERT INTO app_passwords (account_id, name, password_hash, protocols)
     SELECT id, $2, $3, $4 FROM accounts WHERE id = $1 RETURNING *`, [id(accountId), name, passwordHash, protocols]);
  if (!r.rows[0]) throw new MailError('NONEXISTENT', 'no such account');
  return toRecord(r.rows[0]);
}

export async function listAppPasswords(q: Queryable, accountId: number): Promise<AppPasswordRecord[]> {
  return (await q.query<Row>('SELECT * FROM app_passwords WHERE account_id = $1 ORDER BY name', [id(accountId)])).rows.map(toRecord);
}

export async function deleteAppPassword(q: Queryable, accountId: number, name: string): Promise<boolean> {
  return ((await q.query('DELETE FROM app_passwords WHERE account_id = $1 AND name = $2', [id(accountId), name])).rowCount ?? 0) > 0;
}

export async function touchAppPassword(q: Queryable, appPasswordId: number, at: Date): Promise<void> {
  await q.query('UPDATE app_passwords SET last_used_at = $2 WHERE id = $1', [id(appPasswordId), at]);
}
