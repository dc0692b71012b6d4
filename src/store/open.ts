/**
 * Opens the store the config names: SQLite in the data dir (the default) or a shared PostgreSQL
 * database (scale-out: every node names the same URL; the change feed then crosses nodes by
 * LISTEN/NOTIFY unless opts.feed is given).
 */
import { MailError } from '../core/errors.js';
import type { ConfigFile } from '../config/config.js';
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { ChangeFeed, MailStore } from './store.js';

export async function openStore(dataDir: string, cfg: ConfigFile, opts: { feed?: ChangeFeed } = {}): Promise<MailStore> {
  const store = cfg.store ?? { kind: 'sqlite' };
  if (store.kind === 'sqlite') return openSqliteStore(dataDir, opts);
  if (store.kind === 'postgres') return openPostgresStore(store.url, opts);
  throw new MailError('BADINPUT', `unknown store kind ${JSON.stringify((store as { kind: unknown }).kind)}`);
}
