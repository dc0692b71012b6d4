/**
 * Opening the SQLite database and its versioned schema migrations.
 *
 * Durability: WAL journal with synchronous=FULL, so a commit returns only after the WAL has been
 * fsynced: a resolved promise from the store means the change survives kill -9 and power loss.
 * busy_timeout lets several processes share the file: writers queue on BEGIN IMMEDIATE.
 * The SQL is kept portable-ish (plain tables, no triggers) so a PostgreSQL backend can mirror it.
 */
import Database from 'better-sqlite3';
import { MailError } from '../../core/errors.js';

export type Db = Database.Database;

export const BUSY_TIMEOUT_MS = 15_000;

interface Migration {
  version: number;
  description: string;
  sql: string;
}

const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'accounts, mailboxes, blobs, messages, tombstones, subscriptions, locks, search',
    sql: `
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  address TEXT NOT NULL UNIQUE,
  password_hash TEXT,
  imap_enabled INTEGER NOT NULL DEFAULT 1,
  pop_enabled INTEGER NOT NULL DEFAULT 1,
  quota_bytes INTEGER,
  created_at INTEGER NOT NULL
);
CREATE TABLE mailboxes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  special_use TEXT,
  uid_validity INTEGER NOT NULL,
  uid_next INTEGER NOT NULL DEFAULT 1,
  highest_modseq INTEGER NOT NULL DEFAULT 1,
  first_recent_uid INTEGER NOT NULL DEFAULT 1,
  message_count INTEGER NOT NULL DEFAULT 0,
  unseen_count INTEGER NOT NULL DEFAULT 0,
  total_size INTEGER NOT NULL DEFAULT 0,
  UNIQUE (account_id, name)
);
CREATE TABLE blobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hash TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  refs INTEGER NOT NULL,
  parsed TEXT NOT NULL
);
CREATE INDEX blobs_unreferenced ON blobs(refs) WHERE refs = 0;
CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  flags TEXT NOT NULL,
  seen INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  internal_date INTEGER NOT NULL,
  size INTEGER NOT NULL,
  blob_ref INTEGER NOT NULL REFERENCES blobs(id),
  UNIQUE (mailbox_id, uid)
);
CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);
CREATE INDEX messages_blob ON messages(blob_ref);
CREATE TABLE tombstones (
  mailbox_id INTEGER NOT NULL,
  uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL,
  PRIMARY KEY (mailbox_id, uid)
);
CREATE INDEX tombstones_modseq ON tombstones(mailbox_id, modseq);
CREATE TABLE subscriptions (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  name TEXT NOT NULL,
  PRIMARY KEY (account_id, name)
);
CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE VIRTUAL TABLE search_fts USING fts5(
  subject, addr_from, addr_to, addr_cc, addr_bcc, headers, body,
  tokenize = 'trigram case_sensitive 0'
);
`,
  },
  {
    version: 2,
    description: 'small blobs stored inline in the blobs row (measured: see README.md)',
    sql: 'ALTER TABLE blobs ADD COLUMN data BLOB;',
  },
  {
    version: 3,
    description: 'app passwords: per-user secrets limited to protocols (auth)',
    sql: `
CREATE TABLE app_passwords (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  protocols TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  UNIQUE (account_id, name)
);
`,
  },
  {
    version: 4,
    description: 'messages carry their blob hash: FETCH pages without a JOIN on blobs (bench/results/profile.md)',
    // Nullable: a row written by an older process that still runs during an upgrade has none and
    // is resolved through blob_ref (messages.ts withHashes).
    sql: `
ALTER TABLE messages ADD COLUMN blob_hash TEXT;
UPDATE messages SET blob_hash = (SELECT hash FROM blobs WHERE blobs.id = messages.blob_ref);
`,
  },
  {
    version: 5,
    description: 'accounts.backend: a per-user backend pin (HOST[:PORT]) frontends hand the user to',
    // Nullable, no default: every existing account keeps rendezvous routing.
    sql: 'ALTER TABLE accounts ADD COLUMN backend TEXT;',
  },
  {
    version: 6,
    description: 'search rows written in batches after the append, deleted after the collection (search-queue.ts)',
    sql: `
CREATE TABLE search_pending (blob_id INTEGER PRIMARY KEY);
CREATE TABLE search_dead (blob_id INTEGER PRIMARY KEY);
`,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export function openDatabase(file: string): Db {
  let db: Db;
  try {
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new MailError('UNAVAILABLE', `cannot open store database ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    // From here on a busy write lock is waited for asynchronously (Ctx.write, the store's run()).
    db.pragma('busy_timeout = 0');
    return db;
  } catch (err) {
    db.close();
    if (err instanceof MailError) throw err;
    throw new MailError('UNAVAILABLE', `cannot prepare store database ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Applies missing migrations, each in its own IMMEDIATE transaction (safe when several processes start at once). */
function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = db.prepare('SELECT version FROM schema_migrations WHERE version = ?').pluck();
  const record = db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)');
  const newest = db.prepare('SELECT max(version) FROM schema_migrations').pluck().get() as number | null;
  if (newest !== null && newest > SCHEMA_VERSION) {
    throw new MailError('UNAVAILABLE', `store schema version ${newest} is newer than this program understands (${SCHEMA_VERSION})`);
  }
  for (const m of MIGRATIONS) {
    db.transaction(() => {
      if (applied.get(m.version) !== undefined) return;
      db.exec(m.sql);
      record.run(m.version, m.description, Date.now());
    }).immediate();
  }
}
