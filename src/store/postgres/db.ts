/**
 * The connection pool of the PostgreSQL backend: type parsing, transactions with retry, and the
 * mapping of driver errors to MailError codes.
 */
import pg from 'pg';
import { MailError } from '../../core/errors.js';

export type Queryable = Pick<pg.PoolClient, 'query'>;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/**
 * Every number this schema stores fits in 2^53 (UIDs < 2^32, MODSEQs and sizes are counters), so
 * int8 and numeric (sum()) come back as JavaScript numbers. Per pool, not global: pg.types is shared.
 */
export const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if ((oid === INT8_OID || oid === NUMERIC_OID) && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown;
  },
} as unknown as pg.CustomTypesConfig;

export interface PoolOptions {
  max?: number;
  applicationName?: string;
}

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    types: PG_TYPES,
    application_name: opts.applicationName ?? 'portcullis',
    connectionTimeoutMillis: 15_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: 60_000,
  });
  // An idle client whose connection dies (server restart, pg_terminate_backend) emits 'error' on
  // the pool; without a listener that would crash the process. The pool drops the client itself.
  pool.on('error', () => {});
  // A checked-out client has no pool listener: its connection dying mid-transaction would emit an
  // unhandled 'error' and take the process down. The query in progress rejects anyway (mapped to
  // UNAVAILABLE) and the transaction helper discards the client.
  pool.on('connect', (client) => { client.on('error', () => {}); });
  return pool;
}

/** SQLSTATE codes worth retrying: the whole transaction is re-run from the start. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

/** Runs fn inside BEGIN ... COMMIT on one pooled client; retries serialisation failures, deadlocks and a dead connection at BEGIN. */
export async function transaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    let begun = false;
    try {
      await client.query('BEGIN');
      begun = true;
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone: do not hand it back to the pool
      }
      const code = (err as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
      // BEGIN failed: nothing was sent yet, so a pooled connection that died while idle is replaced.
      if (!begun && attempt < MAX_ATTEMPTS) {
        broken = true;
        continue;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }
}

/** Maps driver errors to MailError codes. */
export function mapPgError(err: unknown): MailError {
  if (err instanceof MailError) return err;
  const e = err as { code?: string; message?: string };
  const code = String(e.code ?? '');
  const msg = e.message ?? String(err);
  if (code === '22P02' || code === '22003' || code === '22021' || code === '54000') {
    return new MailError('BADINPUT', `value not accepted by the store: ${msg}`, { cause: err });
  }
  if (code === '23505') return new MailError('ALREADYEXISTS', 'already exists', { cause: err });
  if (code === '53100' || code === '53200' || code === '53300' || code === '57P01' || code === '57P02' || code === '57P03'
    || code.startsWith('08') || code === '40001' || code === '40P01' || code === '55P03' || code === '57014'
    || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'].includes(code)
    || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/.test(msg)) {
    return new MailError('UNAVAILABLE', `the store database is unavailable: ${msg}`, { cause: err });
  }
  if (code === 'XX001' || code === 'XX002') return new MailError('CORRUPTION', `store database damaged: ${msg}`, { cause: err });
  return new MailError('SERVERBUG', `store failure: ${msg}`, { cause: err });
}

/** Redacts the password of a postgres:// URL for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}
