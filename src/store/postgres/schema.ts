/**
 * The PostgreSQL schema and its versioned migrations.
 *
 * Every node runs migrate() when it opens the store. All migrations run in one transaction that
 * first takes a transaction-scoped advisory lock, so when several nodes start at once one applies
 * the migrations and the others wait, then find them applied. DDL is transactional in PostgreSQL:
 * a failed migration leaves nothing half-done.
 *
 * Mirrors the SQLite schema (src/store/sqlite/schema.ts). Differences: message bytes always live
 * in blobs.data (bytea, STORAGE EXTERNAL: uncompressed TOAST so substring() reads only the chunks
 * a range needs; see README.md), the search text lives in blob_search (lower-cased at ingest,
 * pg_trgm GIN index when the extension is available), lock expiry uses the database clock.
 */
import type pg from 'pg';
import { MailError } from '../../core/errors.js';

/** pg_advisory_xact_lock key for migrations ("PORTCULL" as bytes). */
const MIGRATION_LOCK_KEY = '5787213827886714956';

interface Migration {
  version: number;
  description: string;
  run(c: pg.PoolClient): Promise<void>;
}

const V1 = `
CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value bigint NOT NULL);
INSERT INTO meta (key, value) VALUES ('last_uid_validity', 0);
CREATE TABLE accounts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address text COLLATE "C" NOT NULL UNIQUE,
  password_hash text,
  imap_enabled boolean NOT NULL DEFAULT true,
  pop_enabled boolean NOT NULL DEFAULT true,
  quota_bytes bigint,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE mailboxes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts(id),
  name text COLLATE "C" NOT NULL,
  special_use text,
  uid_validity bigint NOT NULL,
  uid_next bigint NOT NULL DEFAULT 1,
  highest_modseq bigint NOT NULL DEFAULT 1,
  first_recent_uid bigint NOT NULL DEFAULT 1,
  message_count bigint NOT NULL DEFAULT 0,
  unseen_count bigint NOT NULL DEFAULT 0,
  total_size bigint NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
);
CREATE TABLE blobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  hash text COLLATE "C" NOT NULL UNIQUE,
  size bigint NOT NULL,
  refs integer NOT NULL,
  parsed text NOT NULL,
  data bytea NOT NULL
);
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
CREATE INDEX blobs_unreferenced ON blobs (id) WHERE refs <= 0;
CREATE TABLE blob_search (
  blob_id bigint PRIMARY KEY REFERENCES blobs(id) ON DELETE CASCADE,
  subject text NOT NULL,
  addr_from text NOT NULL,
  addr_to text NOT NULL,
  addr_cc text NOT NULL,
  addr_bcc text NOT NULL,
  headers text NOT NULL,
  body text NOT NULL
);
CREATE TABLE messages (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  mailbox_id bigint NOT NULL REFERENCES mailboxes(id),
  uid bigint NOT NULL,
  modseq bigint NOT NULL,
  flags text[] NOT NULL,
  seen boolean NOT NULL,
  deleted boolean NOT NULL,
  internal_date timestamptz NOT NULL,
  size bigint NOT NULL,
  blob_id bigint NOT NULL REFERENCES blobs(id),
  UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);
CREATE INDEX messages_blob ON messages (blob_id);
CREATE INDEX messages_deleted ON messages (mailbox_id, uid) WHERE deleted;
CREATE TABLE tombstones (
  mailbox_id bigint NOT NULL,
  uid bigint NOT NULL,
  modseq bigint NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX tombstones_modseq ON tombstones (mailbox_id, modseq);
CREATE TABLE subscriptions (
  account_id bigint NOT NULL REFERENCES accounts(id),
  name text COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE locks (
  name text COLLATE "C" PRIMARY KEY,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL
);
`;

const SEARCH_COLUMNS = ['subject', 'addr_from', 'addr_to', 'addr_cc', 'addr_bcc', 'headers', 'body'];

/** pg_trgm when it can be created (needs CREATE on the database, or superuser): else searches scan. */
async function trigramIndex(c: pg.PoolClient): Promise<void> {
  await c.query('SAVEPOINT trgm');
  try {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await c.query('RELEASE SAVEPOINT trgm');
  } catch {
    await c.query('ROLLBACK TO SAVEPOINT trgm');
    await c.query("INSERT INTO meta (key, value) VALUES ('trigram_index', 0) ON CONFLICT (key) DO UPDATE SET value = 0");
    return;
  }
  // The extension may live in another schema than ours: qualify its operator class.
  const r = await c.query<{ nspname: string }>(
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'");
  const schema = '"' + r.rows[0]!.nspname.replace(/"/g, '""') + '"';
  const cols = SEARCH_COLUMNS.map((col) => `${col} ${schema}.gin_trgm_ops`).join(', ');
  await c.query(`CREATE INDEX blob_search_trgm ON blob_search USING gin (${cols})`);
  await c.query("INSERT INTO meta (key, value) VALUES ('trigram_index', 1) ON CONFLICT (key) DO UPDATE SET value = 1");
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'accounts, mailboxes, blobs (bytea), messages, tombstones, subscriptions, locks, search text',
    run: async (c) => { await c.query(V1); },
  },
  {
    version: 2,
    description: 'pg_trgm GIN index on the search text (skipped when the extension cannot be created)',
    run: trigramIndex,
  },
  {
    version: 3,
    description: 'messages carry their blob hash: FETCH pages without a JOIN on blobs (bench/results/profile.md)',
    // Nullable: rows an older node writes during a rolling upgrade are resolved through blob_id.
    run: async (c) => {
      await c.query('ALTER TABLE messages ADD COLUMN blob_hash text');
      await c.query('UPDATE messages m SET blob_hash = b.hash FROM blobs b WHERE b.id = m.blob_id');
    },
  },
  {
    version: 4,
    description: 'accounts.backend: a per-user backend pin (HOST[:PORT]) frontends hand the user to',
    // Nullable, no default: every existing account keeps rendezvous routing.
    run: async (c) => { await c.query('ALTER TABLE accounts ADD COLUMN backend text'); },
  },
  {
    version: 5,
    description: 'app passwords: per-user secrets limited to protocols (auth)',
    run: async (c) => {
      await c.query(`CREATE TABLE app_passwords (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        account_id bigint NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
        name text COLLATE "C" NOT NULL,
        password_hash text NOT NULL,
        protocols text[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        UNIQUE (account_id, name)
      )`);
    },
  },
];

export const PG_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Applies missing migrations under an advisory lock (safe when several nodes start at once). */
export async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  let broken = false;
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const newest = Math.max(0, ...done);
    if (newest > PG_SCHEMA_VERSION) {
      throw new MailError('UNAVAILABLE', `store schema version ${newest} is newer than this program understands (${PG_SCHEMA_VERSION})`);
    }
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await m.run(c);
      await c.query('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [m.version, m.description]);
    }
    await c.query('COMMIT');
  } catch (err) {
    try { await c.query('ROLLBACK'); } catch { broken = true; }
    throw err;
  } finally {
    c.release(broken);
  }
}
