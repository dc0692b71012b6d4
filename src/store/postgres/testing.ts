/**
 * Throwaway databases for tests: CREATE DATABASE portcullis_test_<random>, dropped afterwards.
 * The server comes from PORTCULLIS_TEST_PG_URL (default: the local PostgreSQL of the dev VM and
 * CI, trust auth as user postgres); only databases created here are ever dropped.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const TEST_ADMIN_URL = process.env.PORTCULLIS_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  /** Runs SQL as the admin connection (e.g. pg_terminate_backend). */
  admin(sql: string, values?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `portcullis_test_${randomBytes(6).toString('hex')}`;
  const adminClient = new pg.Client({ connectionString: TEST_ADMIN_URL });
  adminClient.on('error', () => {});
  await adminClient.connect();
  try {
    await adminClient.query(`CREATE DATABASE ${name}`);
  } catch (err) {
    await adminClient.end().catch(() => {});
    throw err;
  }
  const u = new URL(TEST_ADMIN_URL);
  u.pathname = '/' + name;
  let dropped = false;
  return {
    name,
    url: u.toString(),
    admin: (sql, values) => adminClient.query(sql, values),
    async drop() {
      if (dropped) return;
      dropped = true;
      try {
        await adminClient.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await adminClient.end().catch(() => {});
      }
    },
  };
}
