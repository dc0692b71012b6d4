/**
 * Named locks with an expiry (POP3 maildrop), in the locks table. Expiry uses the database's
 * clock, so nodes whose clocks disagree still agree on whether a lock has lapsed. Each operation
 * is one atomic statement.
 */
import type pg from 'pg';
import { MailError } from '../../core/errors.js';

function check(name: string, holder: string, ttlMs: number): void {
  if (!name || !holder || typeof name !== 'string' || typeof holder !== 'string') {
    throw new MailError('BADINPUT', 'lock name and holder must not be empty');
  }
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new MailError('BADINPUT', 'lock ttl must be positive');
}

export async function tryLock(pool: pg.Pool, name: string, holder: string, ttlMs: number): Promise<boolean> {
  check(name, holder, ttlMs);
  const r = await pool.query(
    `INSERT INTO locks (name, holder, expires_at) VALUES ($1, $2, clock_timestamp() + $3::float8 * interval '1 millisecond')
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE locks.holder = excluded.holder OR locks.expires_at <= clock_timestamp()`, [name, holder, ttlMs]);
  return r.rowCount === 1;
}

export async function renewLock(pool: pg.Pool, name: string, holder: string, ttlMs: number): Promise<boolean> {
  check(name, holder, ttlMs);
  const r = await pool.query(`UPDATE locks SET expires_at = clock_timestamp() + $3::float8 * interval '1 millisecond'
    WHERE name = $1 AND holder = $2`, [name, holder, ttlMs]);
  return r.rowCount === 1;
}

export async function unlock(pool: pg.Pool, name: string, holder: string): Promise<void> {
  if (!name || !holder) throw new MailError('BADINPUT', 'lock name and holder must not be empty');
  await pool.query('DELETE FROM locks WHERE name = $1 AND holder = $2', [name, holder]);
}
